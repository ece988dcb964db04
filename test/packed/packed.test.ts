// The packed tarballs installed as a user installs them (test/packed/scratch.ts), then used:
// require() on the oldest Node `engines` allows, TypeScript in commonjs and bundler modes, and a
// Hono Worker in workerd. Run by `pnpm test:packed` after `pnpm pack:check`.
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { build } from 'esbuild'
import { SignJWT, exportJWK, generateKeyPair } from 'jose'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  OLDEST_NODE,
  exec,
  removeScratches,
  scratch,
  scratchWithoutZod,
  type Scratch,
} from './scratch.js'

let app: Scratch
beforeAll(async () => {
  app = await scratch()
}, 600_000)
// The scratch apps live in the system tmp dir; nothing of them is left after the run.
afterAll(() => {
  for (const dir of removeScratches()) expect(existsSync(dir)).toBe(false)
})

describe('installed from the tarballs', () => {
  it('resolves every @tokengate package to the tarball, not the registry, with no nested copy', () => {
    for (const name of [
      'cli',
      'core',
      'express',
      'fastify',
      'hono',
      'koa',
      'passport',
      'redis',
      'testing',
    ]) {
      const dir = join(app.dir, 'node_modules/@tokengate', name)
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }
      expect(pkg.version).toBe('0.1.0')
      expect(existsSync(join(dir, 'node_modules/@tokengate'))).toBe(false)
      // Unpacked from the tarball, not linked to the workspace: a real directory, whose src/
      // (shipped for the @tokengate/source condition) holds no test file.
      expect(lstatSync(dir).isSymbolicLink()).toBe(false)
      expect(
        readdirSync(join(dir, 'src'), { recursive: true }).filter((f) =>
          /\.test(-d)?\.ts$/.test(String(f)),
        ),
      ).toEqual([])
    }
  })
})

describe(`CommonJS Express app, require() on Node ${OLDEST_NODE}`, () => {
  it('verifies a real ES256 token over HTTP and refuses a missing or forged one', async () => {
    const { stdout } = await exec(app.oldestNode, ['express-cjs/server.cjs'], { cwd: app.dir })
    const result = JSON.parse(stdout) as Record<string, any>
    expect(result.node).toBe(`v${OLDEST_NODE}`)
    // The Node fast path survives in the CommonJS build.
    expect(result.coreEntry).toMatch(/@tokengate\/core\/dist\/index\.cjs$/)
    expect(result.signatureCheck).toMatch(/@tokengate\/core\/dist\/signature-check\.node\.cjs$/)
    expect(result.expressEntry).toMatch(/@tokengate\/express\/dist\/index\.cjs$/)
    expect(result.valid).toMatchObject({ status: 200, body: { sub: 'alice' } })
    expect(result.missing).toMatchObject({
      status: 401,
      challenge: 'Bearer',
      body: { code: 'token_missing' },
    })
    expect(result.forged).toMatchObject({ status: 401, body: { error: 'invalid_token' } })
  })

  it('dual-package hazard: CJS and ESM AuthError are distinct classes; isAuthError accepts both', async () => {
    const { stdout } = await exec(app.oldestNode, ['express-cjs/server.cjs'], { cwd: app.dir })
    expect(JSON.parse(stdout).dual).toEqual({
      sameClass: false,
      instanceofAcross: false,
      isAuthErrorAcross: true,
    })
  })

  it('import() on the same Node picks the ESM build, and #signature-check and #jwe-decrypt the node:crypto steps', async () => {
    const { stdout } = await exec(app.oldestNode, ['express-cjs/esm.mjs'], { cwd: app.dir })
    const result = JSON.parse(stdout) as {
      coreEntry: string
      signatureCheck: string
      jweDecrypt: string
      expressEntry: string
      exports: string[]
    }
    expect(result.coreEntry).toMatch(/@tokengate\/core\/dist\/index\.js$/)
    expect(result.signatureCheck).toMatch(/@tokengate\/core\/dist\/signature-check\.node\.cjs$/)
    expect(result.jweDecrypt).toMatch(/@tokengate\/core\/dist\/jwe-decrypt\.node\.cjs$/)
    expect(result.expressEntry).toMatch(/@tokengate\/express\/dist\/index\.js$/)
    expect(result.exports).toContain('tokengate')
  })
})

describe(`CommonJS Fastify and Passport apps, require() on Node ${OLDEST_NODE}`, () => {
  it('the Fastify plugin and the Passport strategy verify a real token and refuse a missing one', async () => {
    const { stdout } = await exec(app.oldestNode, ['fastify-passport/server.cjs'], { cwd: app.dir })
    const result = JSON.parse(stdout) as Record<string, any>
    expect(result.fastifyEntry).toMatch(/@tokengate\/fastify\/dist\/index\.cjs$/)
    expect(result.passportEntry).toMatch(/@tokengate\/passport\/dist\/index\.cjs$/)
    const missing = { status: 401, challenge: 'Bearer', body: { code: 'token_missing' } }
    expect(result.fastify).toMatchObject({
      valid: { status: 200, body: { sub: 'alice' } },
      missing,
    })
    // The passport-jwt line swapped (Passport's own failure answer keeps status and challenge),
    // then authenticate(), which sends tokengate's own body.
    expect(result.passport.valid).toMatchObject({ status: 200, body: { sub: 'alice' } })
    expect(result.passport.passportMissing).toMatchObject({ status: 401, challenge: 'Bearer' })
    expect(result.passport.missing).toMatchObject(missing)
  })
})

describe(`@tokengate/testing from the tarball, require() on Node ${OLDEST_NODE}`, () => {
  it('runs the hostile corpus against an Express app trusting its loopback issuer, and fails a naive app', async () => {
    const { stdout } = await exec(app.oldestNode, ['testing/hostile.cjs'], { cwd: app.dir })
    const result = JSON.parse(stdout) as Record<string, any>
    expect(result.node).toBe(`v${OLDEST_NODE}`)
    expect(result.testingEntry).toMatch(/@tokengate\/testing\/dist\/index\.cjs$/)
    expect(result).toMatchObject({ control: 200, accepted: 0, crashed: 0 })
    expect(result.sent).toBeGreaterThanOrEqual(40)
    expect(result.naive).toMatch(/should refuse every hostile request with a 4xx/)
    expect(result.naive).toContain('accepted (200): alg "none" (unsigned token)')
  })
})

describe('TypeScript projects type req.auth from a zod schema', () => {
  for (const mode of ['commonjs', 'bundler']) {
    it(`${mode}: tsc --noEmit passes`, async () => {
      await exec(join(app.dir, 'node_modules/.bin/tsc'), ['-p', `types/tsconfig.${mode}.json`], {
        cwd: app.dir,
      })
    })

    it(`${mode}: a claim used as the wrong type is a type error (TS2322)`, async () => {
      const wrong = await exec(
        join(app.dir, 'node_modules/.bin/tsc'),
        ['-p', `types/tsconfig.${mode}.wrong.json`],
        { cwd: app.dir },
      ).then(
        () => 'compiled',
        (err: { stdout: string }) => err.stdout,
      )
      expect(wrong).toMatch(
        /types\/wrong\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'/,
      )
    })
  }
})

describe('Hono Worker in workerd, bundled from the tarballs', () => {
  it('verifies an ES256 token and refuses a request without one', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256')
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' }
    const bundle = await build({
      entryPoints: [join(app.dir, 'worker/worker.ts')],
      absWorkingDir: app.dir,
      bundle: true,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      // The conditions wrangler uses for workerd; none of the workspace's own.
      conditions: ['workerd', 'worker', 'browser', 'import', 'default'],
      mainFields: ['browser', 'module', 'main'],
      define: { __JWKS__: JSON.stringify({ keys: [jwk] }) },
      write: false,
      logLevel: 'silent',
    })
    const mf = new Miniflare({
      modules: true,
      script: bundle.outputFiles[0]!.text,
      // No nodejs_compat: the core and the Hono adapter need only Web APIs.
      compatibilityDate: '2025-01-01',
    })
    try {
      const token = await new SignJWT({ sub: 'alice' })
        .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
        .setIssuer('https://issuer.test')
        .setAudience('https://api.test')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey)
      const ok = await mf.dispatchFetch('http://worker.test/api/me', {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(ok.status).toBe(200)
      expect(await ok.json()).toEqual({ sub: 'alice' })
      const missing = await mf.dispatchFetch('http://worker.test/api/me')
      expect(missing.status).toBe(401)
      expect(((await missing.json()) as { code: string }).code).toBe('token_missing')
    } finally {
      await mf.dispose()
    }
  })
})

describe('without zod: an app that passes no claims schema (zod is an optional peer)', () => {
  let dir: string
  beforeAll(async () => {
    dir = await scratchWithoutZod()
  }, 600_000)

  it('installs no zod, and require() and import() verify a real ES256 token', async () => {
    expect(existsSync(join(dir, 'node_modules/zod'))).toBe(false)
    const { stdout } = await exec(process.execPath, ['no-zod/server.cjs'], { cwd: dir })
    const result = JSON.parse(stdout) as Record<string, any>
    expect(result.zod).toBe('not installed')
    expect(result.valid).toMatchObject({ status: 200, body: { sub: 'alice' } })
    expect(result.missing).toMatchObject({ status: 401, body: { code: 'token_missing' } })
    expect(result.esmExports).toContain('tokengate')
    expect(result.notASchema).toBe('tokengate: options.claims must be a zod schema (zod 4)')
  })

  it('type-checks with skipLibCheck off: the declarations import no zod', async () => {
    await exec(join(dir, 'node_modules/.bin/tsc'), ['-p', 'no-zod/tsconfig.json'], { cwd: dir })
    const declarations = ['index.d.ts', 'index.d.cts', 'adapter.d.ts']
      .map((f) => readFileSync(join(dir, 'node_modules/@tokengate/core/dist', f), 'utf8'))
      .join('\n')
    expect(declarations).not.toMatch(/from ['"]zod/)
  })
})
