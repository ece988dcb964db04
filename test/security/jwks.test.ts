// JWKS resilience against a real key server on 127.0.0.1 that the test controls, through every adapter.
//
// Only Date is faked (network timers stay real): moving the clock past `cooldown` or `cacheMaxAge`
// is how a test waits without waiting. Server hits are counted to prove fetches are bounded.
import { createAuthenticator, isAuthError, type AuthenticatorOptions } from '@tokengate/core'
import { makeKeys, signJws, type TestKeys } from '@tokengate/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { drivers, type DriverResponse, type RunningApp } from '../support/drivers.js'
import { allDrivers } from '../support/workers.js'
import { startJwksServer, type JwksMode, type JwksServer } from './support/jwks-server.js'

const ISSUER = 'https://issuer.example.test/'
const COOLDOWN_S = 30
const MAX_AGE_S = 600
const T0 = new Date('2030-01-01T00:00:00Z').getTime()

let server: JwksServer
let keyA: TestKeys
let keyB: TestKeys

beforeAll(async () => {
  ;[keyA, keyB] = await Promise.all([
    makeKeys('ES256', { kid: 'key-a' }),
    makeKeys('ES256', { kid: 'key-b' }),
  ])
  server = await startJwksServer({ keys: [keyA.publicJwk] })
})

afterAll(async () => {
  await server.close()
})

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: T0 })
  await server.up()
  server.mode = 'ok'
  server.setKeys({ keys: [keyA.publicJwk] })
  server.setDiscovery(undefined)
  server.resetHits()
})

afterEach(() => {
  vi.useRealTimers()
})

const advance = (seconds: number) => vi.setSystemTime(Date.now() + seconds * 1000)
const now = () => Math.floor(Date.now() / 1000)

/** A token signed by `keys`, valid for an hour from the (fake) now. */
const tokenFor = (keys: TestKeys, kid: string = keys.kid) =>
  signJws(
    'ES256',
    keys.privateKey,
    { alg: 'ES256', kid },
    { iss: ISSUER, sub: 'alice', exp: now() + 3600 },
  )

const remoteOptions = (extra: Record<string, unknown> = {}): AuthenticatorOptions => ({
  algorithms: ['ES256'],
  issuer: ISSUER,
  key: {
    jwksUri: server.jwksUri,
    cooldown: COOLDOWN_S,
    cacheMaxAge: MAX_AGE_S,
    timeout: '1s',
    ...extra,
  },
})

async function get(app: RunningApp, token: string): Promise<DriverResponse> {
  return app.request({ path: '/protected', headers: { authorization: `Bearer ${token}` } })
}

function expectUnavailable(response: DriverResponse): void {
  expect(response.status).toBe(503)
  expect(response.body).toMatchObject({
    code: 'keys_unavailable',
    error: 'temporarily_unavailable',
  })
  const retryAfter = Number(response.headers['retry-after'])
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= COOLDOWN_S).toBe(true)
  // RFC 6750 §3: no Bearer challenge for a server-side outage; the token may well be valid.
  expect(response.headers['www-authenticate']).toBeUndefined()
}

describe.each(drivers)('remote JWKS on $name', (driver) => {
  let app: RunningApp | undefined

  const start = async (options = remoteOptions()) => {
    app = await driver.start({ options })
    return app
  }

  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('fetches lazily, once, and serves later requests from the cache', async () => {
    const a = await start()
    expect(server.hits).toBe(0)
    for (let i = 0; i < 5; i++) expect((await get(a, tokenFor(keyA))).status).toBe(200)
    expect(server.hits).toBe(1)
  })

  it('concurrent first requests share one fetch', async () => {
    const a = await start()
    const responses = await Promise.all(Array.from({ length: 20 }, () => get(a, tokenFor(keyA))))
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200))
    expect(server.hits).toBe(1)
  })

  it('rotation: a new kid is accepted after one refetch (RFC 7517 §4.5)', async () => {
    const a = await start()
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    server.setKeys({ keys: [keyA.publicJwk, keyB.publicJwk] })
    advance(COOLDOWN_S)
    expect((await get(a, tokenFor(keyB))).status).toBe(200)
    expect(server.hits).toBe(2)
    // both keys are now served from the cache
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    expect((await get(a, tokenFor(keyB))).status).toBe(200)
    expect(server.hits).toBe(2)
  })

  it('a flood of unknown kids causes at most one fetch per cooldown', async () => {
    const a = await start()
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    const flood = async (n: number) => {
      const sequential: DriverResponse[] = []
      for (let i = 0; i < n; i++)
        sequential.push(await get(a, tokenFor(keyB, `random-${i}-${Math.random()}`)))
      const concurrent = await Promise.all(
        Array.from({ length: n }, (_, i) => get(a, tokenFor(keyB, `burst-${i}-${Math.random()}`))),
      )
      for (const response of [...sequential, ...concurrent]) {
        expect(response.status).toBe(401)
        expect(response.body).toMatchObject({ code: 'key_not_found' })
      }
    }
    await flood(25) // inside the first cooldown: no refetch at all
    expect(server.hits).toBe(1)
    advance(COOLDOWN_S)
    await flood(25) // a new cooldown window: at most one refetch
    expect(server.hits).toBe(2)
    advance(COOLDOWN_S / 2)
    await flood(25)
    expect(server.hits).toBe(2)
  })

  it('server down with keys cached: valid tokens are still accepted, also past cacheMaxAge (stale-if-error)', async () => {
    const a = await start()
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    await server.down()
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    advance(MAX_AGE_S + 1)
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    advance(MAX_AGE_S * 6)
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    // and a forged token is still refused while the server is down
    const forged = signJws(
      'ES256',
      keyB.privateKey,
      { alg: 'ES256', kid: keyA.kid },
      { iss: ISSUER, exp: now() + 60 },
    )
    expect((await get(a, forged)).body).toMatchObject({ code: 'signature_invalid' })
  })

  it('server down with nothing cached: 503 keys_unavailable with Retry-After, then recovery', async () => {
    await server.down()
    const a = await start()
    expectUnavailable(await get(a, tokenFor(keyA)))
    expectUnavailable(await get(a, tokenFor(keyA)))
    await server.up()
    advance(COOLDOWN_S)
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
  })

  it('a failing server is asked at most once per cooldown while nothing is cached', async () => {
    server.mode = 'error'
    const a = await start()
    const responses = await Promise.all(Array.from({ length: 20 }, () => get(a, tokenFor(keyA))))
    for (const response of responses) expectUnavailable(response)
    for (let i = 0; i < 10; i++) expectUnavailable(await get(a, tokenFor(keyA)))
    expect(server.hits).toBe(1)
    server.mode = 'ok'
    advance(COOLDOWN_S)
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    expect(server.hits).toBe(2)
  })

  it.each<[JwksMode, string]>([
    ['slow', 'a server slower than the timeout'],
    ['error', 'HTTP 500'],
    ['garbage', 'a body that is not JSON'],
    ['not-jwks', 'JSON that is not a JWK Set'],
    ['huge', 'a 16 MiB body'],
  ])('%s: %s gives 503, no crash, then recovery', async (mode) => {
    server.mode = mode
    const a = await start()
    expectUnavailable(await get(a, tokenFor(keyA)))
    server.mode = 'ok'
    advance(COOLDOWN_S)
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
  })

  it('a failing refresh of stale keys is retried at most once per cooldown, stale keys served meanwhile', async () => {
    const a = await start()
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    server.mode = 'error'
    advance(MAX_AGE_S + 1)
    for (let i = 0; i < 10; i++) expect((await get(a, tokenFor(keyA))).status).toBe(200)
    expect(server.hits).toBe(2)
    advance(COOLDOWN_S)
    for (let i = 0; i < 10; i++) expect((await get(a, tokenFor(keyA))).status).toBe(200)
    expect(server.hits).toBe(3)
    server.mode = 'ok'
    advance(COOLDOWN_S)
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    // The refresh runs in the background (stale-while-revalidate): it arrives, once.
    await vi.waitFor(() => expect(server.hits).toBe(4))
  })

  // Issue 12 item 11: a cached verified context must not outlive the freshness of its keys.
  it('rotation: a cached token whose key the issuer removed is refused once the keys past cacheMaxAge are re-resolved', async () => {
    const a = await start()
    const token = tokenFor(keyA)
    expect((await get(a, token)).status).toBe(200) // verified and cached
    server.setKeys({ keys: [keyB.publicJwk] }) // the issuer withdraws key-a
    advance(MAX_AGE_S + 1)
    // Past freshness a hit starts the refresh; once it shows key-a gone, the cached token is refused.
    await vi.waitFor(async () => {
      const response = await get(a, token)
      expect(response.status).toBe(401)
      expect(response.body).toMatchObject({ code: 'key_not_found' })
    })
    expect(server.hits).toBe(2)
    expect((await get(a, tokenFor(keyB))).status).toBe(200)
  })

  it('rotation: a refresh that keeps the key keeps the cached token (only removals invalidate)', async () => {
    const a = await start()
    const token = tokenFor(keyA)
    expect((await get(a, token)).status).toBe(200)
    server.setKeys({ keys: [keyB.publicJwk, keyA.publicJwk] })
    advance(MAX_AGE_S + 1)
    expect((await get(a, token)).status).toBe(200)
    await vi.waitFor(() => expect(server.hits).toBe(2))
    expect((await get(a, token)).status).toBe(200)
    expect((await get(a, tokenFor(keyB))).status).toBe(200)
    expect(server.hits).toBe(2)
  })

  // Issue 12, Also: stale-while-revalidate (RFC 5861 §3). The key fetch timeout here is longer than
  // the test timeout, so a request that waited for the held refresh could not pass.
  it('a key server that holds the refresh open: requests past cacheMaxAge are answered from the stale set without waiting', async () => {
    const a = await start(remoteOptions({ timeout: '10m' }))
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    server.mode = 'slow'
    advance(MAX_AGE_S + 1)
    // Tokens not in the cache, so each one needs the keys.
    for (let i = 0; i < 5; i++) expect((await get(a, tokenFor(keyA))).status).toBe(200)
    expect(server.held).toBe(1) // one refresh in flight, shared, still unanswered
    expect(server.hits).toBe(2)
    // The server finally answers, without key-a: from then on key-a's tokens are refused.
    server.mode = 'ok'
    server.setKeys({ keys: [keyB.publicJwk] })
    server.release()
    const late = tokenFor(keyA)
    await vi.waitFor(async () => {
      expect((await get(a, late)).body).toMatchObject({ code: 'key_not_found' })
    })
    expect((await get(a, tokenFor(keyB))).status).toBe(200)
    expect(server.hits).toBe(2)
  })

  it('a slow refresh does not lose the cached keys', async () => {
    const a = await start()
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    server.mode = 'slow'
    advance(MAX_AGE_S + 1)
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
    expect((await get(a, tokenFor(keyA))).status).toBe(200)
  })
})

describe.each(drivers)('OpenID Connect discovery on $name', (driver) => {
  let app: RunningApp | undefined

  afterEach(async () => {
    await app?.close()
    app = undefined
  })

  it('a document naming another issuer is refused: 503, and no key from it is used (OIDC Discovery §4.3)', async () => {
    const issuer = `${server.origin}/`
    server.setDiscovery({ issuer: 'https://attacker.example/', jwks_uri: server.jwksUri })
    app = await driver.start({
      options: { algorithms: ['ES256'], key: { discovery: issuer, cooldown: COOLDOWN_S } },
    })
    const token = signJws(
      'ES256',
      keyA.privateKey,
      { alg: 'ES256', kid: keyA.kid },
      { iss: issuer, exp: now() + 600 },
    )
    expectUnavailable(
      await app.request({ path: '/protected', headers: { authorization: `Bearer ${token}` } }),
    )
    expect(server.hits).toBe(0)
    // the right document is picked up after the cooldown
    server.setDiscovery({ issuer, jwks_uri: server.jwksUri })
    advance(COOLDOWN_S)
    const ok = await app.request({
      path: '/protected',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(ok.status).toBe(200)
    expect(server.hits).toBe(1)
  })
})

describe.each(allDrivers)('discovered jwks_uri on $name (issue 21 item 5)', (driver) => {
  let app: RunningApp | undefined
  let other: JwksServer | undefined

  afterEach(async () => {
    await app?.close()
    await other?.close()
    app = undefined
    other = undefined
  })

  const discover = async (jwksUri: string) => {
    const issuer = `${server.origin}/`
    server.setDiscovery({ issuer, jwks_uri: jwksUri })
    app = await driver.start({
      options: { algorithms: ['ES256'], key: { discovery: issuer, cooldown: COOLDOWN_S } },
    })
    const token = signJws(
      'ES256',
      keyA.privateKey,
      { alg: 'ES256', kid: keyA.kid },
      { iss: issuer, exp: now() + 600 },
    )
    return app.request({ path: '/protected', headers: { authorization: `Bearer ${token}` } })
  }

  it('a jwks_uri on another origin (another port of 127.0.0.1) is refused: 503, never fetched', async () => {
    other = await startJwksServer({ keys: [keyA.publicJwk] })
    expectUnavailable(await discover(other.jwksUri))
    expect(other.hits).toBe(0)
  })

  it.each([
    ['a link-local address (cloud metadata)', 'https://169.254.169.254/latest/jwks'],
    ['an IPv6 link-local address', 'https://[fe80::1]/jwks'],
    ['plain http on a host that is not loopback', 'http://keys.example.test/jwks'],
    ['plain http on a *.localhost name (resolved by DNS)', 'http://keys.localhost/jwks'],
    ['another https host', 'https://keys.example.test/jwks'],
  ])('a jwks_uri naming %s is refused: 503', async (_name, jwksUri) => {
    expectUnavailable(await discover(jwksUri))
    expect(server.hits).toBe(0)
  })

  it('a jwks_uri on the issuer origin is used', async () => {
    expect((await discover(server.jwksUri)).status).toBe(200)
    expect(server.hits).toBe(1)
  })
})

describe('discovered jwks_uri: the 503 says why (issue 21 items 5 and 6)', () => {
  // The driver cases above cannot tell the rule from a failed fetch (each of these hosts is
  // unreachable here anyway): the cause shows that the URL was refused before any fetch.
  it.each([
    ['a link-local address', 'https://169.254.169.254/latest/jwks', /link-local/],
    ['an IPv6 link-local address', 'https://[fe80::1]/jwks', /link-local/],
    [
      'plain http on a host that is not loopback',
      'http://keys.example.test/jwks',
      /must use https/,
    ],
    [
      'plain http on a *.localhost name (item 6: resolved by DNS)',
      'http://keys.localhost/jwks',
      /must use https .*not \*\.localhost/,
    ],
    ['another https host', 'https://keys.example.test/jwks', /not on the issuer's origin/],
  ])(
    '%s: refused before any fetch, and the cause says which rule',
    async (_name, jwksUri, rule) => {
      const issuer = `${server.origin}/`
      server.setDiscovery({ issuer, jwks_uri: jwksUri })
      const authenticator = createAuthenticator({
        algorithms: ['ES256'],
        key: { discovery: issuer },
      })
      const token = signJws(
        'ES256',
        keyA.privateKey,
        { alg: 'ES256', kid: keyA.kid },
        { iss: issuer, exp: now() + 600 },
      )
      const error = await authenticator
        .authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } })
        .then(
          () => undefined,
          (err: unknown) => err,
        )
      expect(isAuthError(error) && error.code).toBe('keys_unavailable')
      expect(String((error as Error).cause)).toMatch(rule)
    },
  )

  it('the cause names the origin rule and the option that lifts it', async () => {
    const other = await startJwksServer({ keys: [keyA.publicJwk] })
    try {
      const issuer = `${server.origin}/`
      server.setDiscovery({ issuer, jwks_uri: other.jwksUri })
      const authenticator = createAuthenticator({
        algorithms: ['ES256'],
        key: { discovery: issuer },
      })
      const token = signJws(
        'ES256',
        keyA.privateKey,
        { alg: 'ES256', kid: keyA.kid },
        { iss: issuer, exp: now() + 600 },
      )
      const error = await authenticator
        .authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } })
        .then(
          () => undefined,
          (err: unknown) => err,
        )
      expect(isAuthError(error) && error.code).toBe('keys_unavailable')
      expect(String((error as Error).cause)).toMatch(
        /not on the issuer's origin .*options\.key\.allowJwksOrigins/,
      )
      expect(other.hits).toBe(0)
    } finally {
      await other.close()
    }
  })
})

// Issue 12 (Also) and issue 21 items 5 and 6: remote key options that can never work, refused at
// start-up with the fix in the message.
describe('remote key options refused at start-up', () => {
  const jwks = (extra: Record<string, unknown>) => ({
    algorithms: ['ES256'],
    key: { jwksUri: 'https://id.example.test/jwks', ...extra },
  })
  const discovery = (extra: Record<string, unknown>) => ({
    algorithms: ['ES256'],
    key: { discovery: 'https://id.example.test', ...extra },
  })
  it.each<[string, Record<string, unknown>, RegExp]>([
    ['timeout 0', jwks({ timeout: 0 }), /options\.key\.timeout must be between 1ms and/],
    ["timeout '0ms'", jwks({ timeout: '0ms' }), /options\.key\.timeout must be between 1ms/],
    ['timeout negative', jwks({ timeout: -1 }), /options\.key\.timeout must be a non-negative/],
    ['timeout NaN', jwks({ timeout: Number.NaN }), /options\.key\.timeout must be a non-negative/],
    [
      'timeout Infinity',
      jwks({ timeout: Infinity }),
      /options\.key\.timeout must be a non-negative/,
    ],
    [
      'timeout past the timer limit',
      jwks({ timeout: '30d' }),
      /timeout must be between 1ms and 2147483\.647s/,
    ],
    [
      'cooldown 0 (every unknown kid a fetch)',
      jwks({ cooldown: 0 }),
      /options\.key\.cooldown must be at least '1s'/,
    ],
    [
      "cooldown '500ms'",
      jwks({ cooldown: '500ms' }),
      /options\.key\.cooldown must be at least '1s'/,
    ],
    [
      'cacheMaxAge 0',
      jwks({ cacheMaxAge: 0 }),
      /options\.key\.cacheMaxAge must be at least options\.key\.cooldown/,
    ],
    [
      'cacheMaxAge below cooldown',
      discovery({ cooldown: '1m', cacheMaxAge: '30s' }),
      /cacheMaxAge must be at least options\.key\.cooldown: .*raise cacheMaxAge/,
    ],
    [
      'http on *.localhost (resolved by DNS, not loopback)',
      jwks({ jwksUri: 'http://idp.localhost/jwks' }),
      /must use https .*not \*\.localhost/,
    ],
    [
      'http on localhost. (an absolute DNS name)',
      jwks({ jwksUri: 'http://localhost./jwks' }),
      /must use https/,
    ],
    [
      'a link-local jwksUri (cloud metadata)',
      jwks({ jwksUri: 'https://169.254.169.254/jwks' }),
      /must not name a link-local or unspecified address/,
    ],
    [
      'an IPv6 link-local discovery',
      discovery({ discovery: 'https://[fe80::1]/' }),
      /must not name a link-local/,
    ],
    [
      'an IPv4-mapped link-local jwksUri',
      jwks({ jwksUri: 'https://[::ffff:169.254.169.254]/jwks' }),
      /must not name a link-local/,
    ],
    [
      'the unspecified address',
      jwks({ jwksUri: 'http://0.0.0.0:8080/jwks' }),
      /must not name a link-local or unspecified/,
    ],
    [
      'allowJwksOrigins not a list',
      discovery({ allowJwksOrigins: 'https://keys.example.test' }),
      /allowJwksOrigins must be a list: list https origins/,
    ],
    [
      'allowJwksOrigins with http',
      discovery({ allowJwksOrigins: ['http://keys.example.test'] }),
      /allowJwksOrigins\.0 must (use https|be an https origin)/,
    ],
    [
      'allowJwksOrigins with a path',
      discovery({ allowJwksOrigins: ['https://keys.example.test/jwks'] }),
      /allowJwksOrigins\.0 must be an https origin/,
    ],
    [
      'allowJwksOrigins link-local',
      discovery({ allowJwksOrigins: ['https://169.254.169.254'] }),
      /allowJwksOrigins\.0 must not name a link-local/,
    ],
    [
      "allowJwksOrigins with the issuer's own origin",
      discovery({ allowJwksOrigins: ['https://id.example.test'] }),
      /is the issuer's own origin, which is always allowed/,
    ],
    [
      'allowJwksOrigins with a jwksUri (nothing is discovered)',
      jwks({ allowJwksOrigins: ['https://keys.example.test'] }),
      /unknown option options\.key\.allowJwksOrigins/,
    ],
  ])('%s', (_name, options, message) => {
    expect(() => createAuthenticator(options as unknown as AuthenticatorOptions)).toThrow(TypeError)
    expect(() => createAuthenticator(options as unknown as AuthenticatorOptions)).toThrow(message)
  })

  it.each<[string, Record<string, unknown>]>([
    ['http on localhost', jwks({ jwksUri: 'http://localhost:8080/jwks' })],
    ['http on 127.0.0.0/8', jwks({ jwksUri: 'http://127.9.9.9/jwks' })],
    ['http on [::1]', jwks({ jwksUri: 'http://[::1]:8080/jwks' })],
    ['cooldown equal to cacheMaxAge', jwks({ cooldown: '1m', cacheMaxAge: '1m' })],
    [
      'allowJwksOrigins with an https origin',
      discovery({ allowJwksOrigins: ['https://www.googleapis.com'] }),
    ],
  ])('accepted: %s', (_name, options) => {
    expect(() => createAuthenticator(options as unknown as AuthenticatorOptions)).not.toThrow()
  })
})
