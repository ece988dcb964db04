// Hostile requests against the idioms of issue 15, through every Node adapter over real HTTP:
// paths crafted so that `skip` would see a public path while the router serves a protected one,
// and per-request tenant lookups that throw, reject, hang or answer nonsense (503, never 500).
import { CODE_TABLE, type AuthenticatorOptions } from '@tokengate/core'
import { keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { drivers, type DriverResponse, type RunningApp } from '../support/drivers.js'

let keys: TestKeys
const ISSUER = 'https://tenant-a.example.test'
const apps = new Map<string, RunningApp>()
const token = (iss = ISSUER) => signToken({ sub: 'alice', iss }, { alg: 'ES256', key: keys })

beforeAll(async () => {
  keys = await keysFor('ES256', { kid: 'a' })
})
afterAll(async () => {
  await Promise.all([...apps.values()].map((app) => app.close()))
})

async function appFor(
  driver: (typeof drivers)[number],
  name: string,
  options: () => AuthenticatorOptions,
) {
  const id = `${driver.name}/${name}`
  let app = apps.get(id)
  if (!app) {
    app = await driver.start({ options: options() })
    apps.set(id, app)
  }
  return app
}

const single = (extra: Partial<AuthenticatorOptions>) => () =>
  ({ algorithms: ['ES256'], key: keys.publicJwk, ...extra }) as AuthenticatorOptions

/** Never the route run anonymously: refused (400/401) or not routed (404). */
function notSkipped(res: DriverResponse): void {
  expect([400, 401, 404], `status ${res.status}: ${res.text}`).toContain(res.status)
  if (res.status === 401) expect((res.body as { code?: string }).code).toBe('token_missing')
}

describe.each(drivers)(
  'skip path tricks on $name (a skipped request must be the path the router serves)',
  (driver) => {
    // /public has no tokengate; /public/... is not routed: only a trick could reach /protected skipped.
    const publicSkip = single({ skip: { path: [/^\/public\//, '/public'] } })
    it.each([
      ['a .. segment', '/public/../protected'],
      ['an encoded .. (%2e%2e)', '/public/%2e%2e/protected'],
      ['an encoded .. in upper case', '/public/%2E%2E/protected'],
      ['a half-encoded ..', '/public/.%2e/protected'],
      ['a . then ..', '/public/./../protected'],
      ['an encoded slash', '/public%2f..%2fprotected'],
      ['an encoded slash after ..', '/public/..%2fprotected'],
      ['a backslash', '/public/..\\protected'],
      ['an encoded backslash', '/public/..%5cprotected'],
      ['a protocol-relative target', '//public/../protected'],
      ['an empty segment', '/public//../protected'],
    ])('%s: %s', async (_name, path) => {
      notSkipped(await (await appFor(driver, 'publicSkip', publicSkip)).request({ path }))
    })

    it('a Host carrying a path (api.example.test/public) does not shift the path skip sees', async () => {
      const app = await appFor(driver, 'publicSkip', publicSkip)
      notSkipped(
        await app.request({ path: '/protected', headers: { host: 'api.example.test/public' } }),
      )
    })

    it('an absolute-form target naming /public does not make /protected public (RFC 9112 §3.2.2)', async () => {
      const app = await appFor(driver, 'publicSkip', publicSkip)
      notSkipped(await app.request({ path: 'http://api.example.test/public/../protected' }))
    })

    const exactSkip = single({ skip: { path: ['/protected'] } })
    it.each([
      ['a trailing slash (Express and Koa route it to /protected)', '/protected/'],
      ['another case (Express routes case-insensitively)', '/PROTECTED'],
      ['a percent-encoded letter (Hono decodes it for routing)', '/%70rotected'],
      ['a trailing dot segment', '/protected/.'],
      ['a trailing encoded slash', '/protected%2f'],
    ])('exact path: %s is authenticated', async (_name, path) => {
      notSkipped(await (await appFor(driver, 'exactSkip', exactSkip)).request({ path }))
    })

    it.each([
      ['the exact path', '/protected'],
      ['with a query string', '/protected?next=/admin'],
    ])('control: %s is skipped (the route runs without a context)', async (_name, path) => {
      const res = await (await appFor(driver, 'exactSkip', exactSkip)).request({ path })
      expect(res.status).toBe(200)
      expect((res.body as { payload: unknown }).payload).toBeNull()
    })
  },
)

describe('tenant lookups that fail: 503 keys_unavailable with Retry-After, never 500, never a pass', () => {
  const tenant = (iss: string) => ({
    issuer: iss,
    key: keys.publicJwk,
    algorithms: ['ES256'] as const,
  })
  const lookups: [string, (iss: string) => unknown][] = [
    [
      'throws',
      () => {
        throw new Error('tenant database down')
      },
    ],
    ['rejects', () => Promise.reject(new Error('tenant database down'))],
    ['never settles (times out after 5 s)', () => new Promise(() => undefined)],
    ['answers another issuer', () => tenant('https://tenant-b.example.test')],
    ['answers an entry with alg none', (iss) => ({ ...tenant(iss), algorithms: ['none'] })],
    ['answers a key that is not a key', (iss) => ({ ...tenant(iss), key: 'not-a-key' })],
    ['answers an unknown member', (iss) => ({ ...tenant(iss), jwks_uri: 'https://x' })],
    ['answers a number', () => 42],
  ]

  it.each(lookups)(
    'a lookup that %s, on every Node adapter',
    async (name, lookup) => {
      const options = () => ({ issuers: lookup }) as unknown as AuthenticatorOptions
      const headers = { authorization: `Bearer ${await token()}` }
      // In parallel: the hanging lookup costs its 5 s once, not once per adapter.
      const answers = await Promise.all(
        drivers.map(async (driver) =>
          (await appFor(driver, `tenant ${name}`, options)).request({
            path: '/protected',
            headers,
          }),
        ),
      )
      for (const res of answers) {
        expect(res.status).toBe(503)
        expect((res.body as { code?: string }).code).toBe('keys_unavailable')
        expect(CODE_TABLE.keys_unavailable.status).toBe(503)
        expect(Number(res.headers['retry-after'])).toBeGreaterThan(0)
        expect(res.text).not.toMatch(/tenant database down|not-a-key/)
      }
    },
    20_000,
  )

  it('a lookup answering undefined is 401 issuer_unknown, as an unlisted issuer', async () => {
    const options = () => ({ issuers: () => undefined }) as unknown as AuthenticatorOptions
    const headers = { authorization: `Bearer ${await token()}` }
    for (const driver of drivers) {
      const res = await (
        await appFor(driver, 'tenant undefined', options)
      ).request({ path: '/protected', headers })
      expect(res.status).toBe(401)
      expect((res.body as { code?: string }).code).toBe('issuer_unknown')
    }
  })
})
