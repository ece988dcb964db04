// Hono on Workers reading its key from c.env (issue 15 item 4), inside workerd (miniflare): the
// authenticator is built once for the isolate's env, so its key and token caches survive requests.
import { fileURLToPath } from 'node:url'
import { signToken } from '@tokengate/testkit'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const SECRET = 'a-workers-secret-of-at-least-32-bytes!!'
const ISSUER = 'https://issuer.example.test'
let mf: Miniflare | undefined

beforeAll(async () => {
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('../support/worker-env-entry.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['@tokengate/source', 'workerd', 'worker', 'browser', 'import', 'default'],
    mainFields: ['browser', 'module', 'main'],
    write: false,
    logLevel: 'silent',
  })
  mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: '2025-01-01',
    bindings: { JWT_SECRET: SECRET, ISSUER },
  })
  await mf.ready
}, 60_000)
afterAll(async () => {
  await mf?.dispose()
})

const get = async (path: string, token?: string) => {
  const res = await mf!.dispatchFetch(`http://api.example.test${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  })
  return { status: res.status, body: (await res.json()) as Record<string, unknown> }
}
const tokenFor = (claims: Record<string, unknown>, secret = SECRET) =>
  signToken(claims, { alg: 'HS256', key: new TextEncoder().encode(secret) })

describe('tokengate((c) => options) on workerd: secrets from c.env', () => {
  it('accepts a token signed with the secret from the binding, and checks the issuer from it', async () => {
    expect(await get('/api/me', await tokenFor({ sub: 'alice', iss: ISSUER }))).toEqual({
      status: 200,
      body: { sub: 'alice', issuer: ISSUER },
    })
    const other = await get('/api/me', await tokenFor({ sub: 'alice', iss: 'https://other.test' }))
    expect(other).toMatchObject({ status: 401, body: { code: 'claim_invalid' } })
  })

  it('refuses a token signed with another secret, and a request without one', async () => {
    const forged = await tokenFor(
      { sub: 'mallory', iss: ISSUER },
      'another-secret-of-at-least-32-bytes!!',
    )
    expect(await get('/api/me', forged)).toMatchObject({
      status: 401,
      body: { code: 'signature_invalid' },
    })
    expect(await get('/api/me')).toMatchObject({ status: 401, body: { code: 'token_missing' } })
  })

  it('builds the authenticator once across many requests (never per request)', async () => {
    const token = await tokenFor({ sub: 'alice', iss: ISSUER })
    const answers = await Promise.all(Array.from({ length: 20 }, () => get('/api/me', token)))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    for (let i = 0; i < 5; i++) expect((await get('/api/me', token)).status).toBe(200)
    expect(await get('/built')).toEqual({ status: 200, body: { built: 1 } })
  })
})
