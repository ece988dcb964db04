// JWKS resilience against a real key server on 127.0.0.1 that the test controls, through every adapter.
//
// Only Date is faked (network timers stay real): moving the clock past `cooldown` or `cacheMaxAge`
// is how a test waits without waiting. Server hits are counted to prove fetches are bounded.
import type { AuthenticatorOptions } from '@tokengate/core'
import { makeKeys, signJws, type TestKeys } from '@tokengate/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { drivers, type DriverResponse, type RunningApp } from '../support/drivers.js'
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
    expect(server.hits).toBe(4)
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
