// The `tokengate` CLI as a user gets it: only the @tokengate/cli and @tokengate/core tarballs
// installed with npm in an empty project (everything else from the registry), then `npx tokengate`
// run against a loopback issuer on 127.0.0.1. Run by `pnpm test:packed` after `pnpm pack:check`.
import { existsSync, lstatSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startLoopbackIssuer, type FaultyIssuer } from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { exec, packs } from './scratch.js'

let dir: string
let issuer: FaultyIssuer

beforeAll(async () => {
  if (!existsSync(packs)) throw new Error(`no ${packs}: run \`pnpm pack:check\` first`)
  const tarball = (name: string) => {
    const file = readdirSync(packs).find((f) => new RegExp(`^tokengate-${name}-\\d`).test(f))
    if (!file) throw new Error(`no @tokengate/${name} tarball in ${packs}`)
    return `file:${join(packs, file)}`
  }
  dir = mkdtempSync(join(tmpdir(), 'tokengate-packed-cli-'))
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'scratch-cli',
        private: true,
        dependencies: { '@tokengate/cli': tarball('cli'), '@tokengate/core': tarball('core') },
      },
      null,
      2,
    ),
  )
  await exec(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  issuer = await startLoopbackIssuer()
}, 600_000)
afterAll(() => issuer?.close())

/** `npx --no tokengate ...`: the installed bin only (`--no`: never a registry package). */
function npx(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env }
  for (const name of ['NO_COLOR', 'FORCE_COLOR', 'NODE_OPTIONS']) delete env[name]
  return exec('npx', ['--no', 'tokengate', ...args], { cwd: dir, env }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: { code: number; stdout: string; stderr: string }) => ({
      code: err.code,
      stdout: err.stdout,
      stderr: err.stderr,
    }),
  )
}

describe('npx tokengate from the packed tarballs', () => {
  it('installs the bin from the tarball (a real directory, not a workspace link)', () => {
    const pkg = join(dir, 'node_modules/@tokengate/cli')
    expect(lstatSync(pkg).isSymbolicLink()).toBe(false)
    expect(existsSync(join(dir, 'node_modules/.bin/tokengate'))).toBe(true)
  })

  it('inspect: decodes a token from the loopback issuer, exit 0', async () => {
    const token = await issuer.sign({ scope: 'read' })
    const { code, stdout } = await npx(['inspect', token])
    expect(code).toBe(0)
    expect(stdout).toContain('JWS (signed)')
    expect(stdout).toContain(`"iss": "${issuer.issuer}"`)
    expect(stdout).toMatch(/exp\s+\S+Z {2}expires in 59 min|expires in 1 h/)
  })

  it('explain: the real pipeline from an ESM config and a CommonJS config; a wrong audience, exit 1', async () => {
    const options = {
      algorithms: ['ES256'],
      key: { discovery: issuer.issuer },
      audience: 'https://api.test',
    }
    writeFileSync(join(dir, 'tokengate.config.mjs'), `export default ${JSON.stringify(options)}\n`)
    writeFileSync(
      join(dir, 'tokengate.config.cjs'),
      `module.exports = ${JSON.stringify(options)}\n`,
    )
    const good = await npx(['explain', '--config', 'tokengate.config.mjs', await issuer.sign()])
    expect(good.code).toBe(0)
    expect(good.stdout).toContain('accepted  sub "alice"')
    const wrong = await npx([
      'explain',
      '--config',
      'tokengate.config.cjs',
      await issuer.sign({ aud: 'https://billing.test' }),
      '--json',
    ])
    expect(wrong.code).toBe(1)
    const result = JSON.parse(wrong.stdout) as {
      code: string
      steps: Array<{ step: string; status: string; expected?: unknown; received?: unknown }>
    }
    expect(result.code).toBe('claim_invalid')
    expect(result.steps.find((s) => s.step === 'claims')).toMatchObject({
      status: 'failed',
      expected: ['https://api.test'],
      received: 'https://billing.test',
    })
  })

  it('doctor: the loopback issuer passes, exit 0; a usage error exits 2', async () => {
    const ok = await npx(['doctor', '--issuer', issuer.issuer, '--alg', 'ES256'])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/ok\s+pipeline\s+tokengate fetched the keys itself/)
    expect((await npx(['doctor'])).code).toBe(2)
  })
})
