// Decision events, key failure causes and explain mode through createAuthenticator (issue 16).
// Key failures are real: HTTP servers on 127.0.0.1 (404, bad JSON, a server that never answers),
// a closed port, and an unresolvable `.invalid` host (RFC 6761 §6.4).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dpopProof, jktOf, jwksOf, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { AuthError } from '../errors.js'
import {
  AuthExplanation,
  KeyFailureError,
  type DecisionEvent,
  type KeyFailureReason,
  type KeyFetchEvent,
} from '../events.js'
import type { AuthenticatorOptions, RequestLike } from '../types.js'
import { debugEnabled } from './debug.js'

const NOW = 1_800_000_000
const ISSUER = 'https://id.example.com/'
const AUDIENCE = 'api'

type Handler = (req: IncomingMessage, res: ServerResponse) => void
let server: Server
let base: string
let handler: Handler
let keys: TestKeys
let client: TestKeys

beforeAll(async () => {
  ;[keys, client] = await Promise.all([
    keysFor('ES256', { kid: 'k1' }),
    keysFor('ES256', { label: 'dpop-client' }),
  ])
  server = createServer((req, res) => handler(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] })
  handler = (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(jwksOf(keys)))
  }
})
afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'alice',
  tenant: 't-1',
  email: 'alice@example.com',
  ...extra,
})
const token = (extra: Record<string, unknown> = {}, kid: string | null = 'k1') =>
  signToken(claims(extra), { alg: 'ES256', key: keys, now: NOW, ...(kid !== null && { kid }) })
const bearer = (t: string, extra: Partial<RequestLike> = {}): RequestLike => ({
  method: 'GET',
  url: '/orders',
  headers: { authorization: `Bearer ${t}` },
  ...extra,
})

/** Options over the local key, plus a listener that collects events. */
function observed(extra: Record<string, unknown> = {}) {
  const events: DecisionEvent[] = []
  const options = {
    algorithms: ['ES256'],
    key: keys.publicJwk,
    issuer: ISSUER,
    audience: AUDIENCE,
    onDecision: (e: DecisionEvent) => events.push(e),
    ...extra,
  } as AuthenticatorOptions
  return { events, authenticator: createAuthenticator(options) }
}

async function refusal(
  authenticator: ReturnType<typeof createAuthenticator>,
  request: RequestLike,
): Promise<AuthError> {
  const err = await authenticator.authenticate(request).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(AuthError)
  return err as AuthError
}

describe('decision events', () => {
  it('an accepted request: step, issuer, subject, audience, kid, alg, cache hit, duration; no token, no other claim', async () => {
    const { events, authenticator } = observed()
    const t = await token()
    // Three times: the cache admits a token on its second sighting (token/cache.ts), so the
    // third request is the hit.
    await authenticator.authenticate(bearer(t))
    await authenticator.authenticate(bearer(t))
    await authenticator.authenticate(bearer(t))
    expect(events).toHaveLength(3)
    const [first, , second] = events as [DecisionEvent, DecisionEvent, DecisionEvent]
    expect(first).toMatchObject({
      outcome: 'accepted',
      step: 'claims',
      method: 'GET',
      source: 'header',
      issuer: ISSUER,
      subject: 'alice',
      audience: AUDIENCE,
      kid: 'k1',
      alg: 'ES256',
      cacheHit: false,
    })
    expect(first.durationMs).toBeGreaterThanOrEqual(0)
    expect(first.code).toBeUndefined()
    expect(second).toMatchObject({ outcome: 'accepted', step: 'cache', cacheHit: true })
    const text = JSON.stringify(events)
    for (const part of t.split('.')) expect(text).not.toContain(part)
    expect(text).not.toContain('alice@example.com')
    expect(text).not.toContain('t-1')
    expect(first.claims).toBeUndefined()
  })

  it('with no listener the hot path reads no clock (and so builds no event); with one it does', async () => {
    const now = vi.spyOn(performance, 'now')
    const t = await token()
    const plain = createAuthenticator({ algorithms: ['ES256'], key: keys.publicJwk })
    await plain.authenticate(bearer(t))
    await plain.authenticate(bearer(t)) // a cache hit
    await refusal(plain, bearer('x.y.z'))
    expect(now).not.toHaveBeenCalled()
    const { events, authenticator } = observed()
    await authenticator.authenticate(bearer(t))
    expect(now).toHaveBeenCalledTimes(2) // start and end of the one event
    expect(events).toHaveLength(1)
  })

  it('eventClaims adds the named claims, from verified tokens only', async () => {
    const { events, authenticator } = observed({ eventClaims: ['tenant', 'absent'] })
    await authenticator.authenticate(bearer(await token()))
    expect(events[0]!.claims).toEqual({ tenant: 't-1' })
    expect(JSON.stringify(events)).not.toContain('alice@example.com')
    // A forged signature: the claims are not verified, so none is shown.
    const forged = await signToken(claims(), {
      alg: 'ES256',
      key: client,
      now: NOW,
      kid: 'k1',
    })
    await refusal(authenticator, bearer(forged))
    expect(events[1]).toMatchObject({ outcome: 'refused', code: 'signature_invalid' })
    expect(events[1]!.claims).toBeUndefined()
    expect(events[1]!.subject).toBeUndefined()
  })

  it('an optional request without a token is accepted at extract', async () => {
    const { events, authenticator } = observed({ optional: true })
    await expect(
      authenticator.authenticate({ method: 'GET', url: '/', headers: {} }),
    ).resolves.toBeNull()
    expect(events).toEqual([
      expect.objectContaining({ outcome: 'accepted', step: 'extract', cacheHit: false }),
    ])
  })

  it('a listener that throws changes no decision; its first error is logged once', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const authenticator = createAuthenticator({
      algorithms: ['ES256'],
      key: keys.publicJwk,
      onDecision: () => {
        throw new Error('listener bug')
      },
    })
    await expect(authenticator.authenticate(bearer(await token()))).resolves.toMatchObject({
      payload: { sub: 'alice' },
    })
    const err = await refusal(authenticator, bearer('x.y.z'))
    expect(err.code).toBe('token_malformed')
    await refusal(authenticator, bearer('x.y.z'))
    expect(error).toHaveBeenCalledTimes(1)
    expect(String(error.mock.calls[0]![0])).toMatch(/onDecision threw; the decision stands/)
  })

  it('a listener that rejects changes no decision and leaves no unhandled rejection', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined)
    const unhandled = vi.fn()
    process.on('unhandledRejection', unhandled)
    try {
      const authenticator = createAuthenticator({
        algorithms: ['ES256'],
        key: keys.publicJwk,
        onDecision: (async () => {
          throw new Error('async listener bug')
        }) as never,
      })
      await authenticator.authenticate(bearer(await token()))
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(unhandled).not.toHaveBeenCalled()
      expect(error).toHaveBeenCalledTimes(1)
    } finally {
      process.off('unhandledRejection', unhandled)
    }
  })

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['onDecision not a function', { onDecision: 'log' }, /options.onDecision must be a function/],
    ['onKeyFetch not a function', { onKeyFetch: {} }, /options.onKeyFetch must be a function/],
    ['explain not a boolean', { explain: 'yes' }, /options.explain must be true or false/],
    ['eventClaims not a list', { eventClaims: 'tenant' }, /options.eventClaims must be a list/],
    ['eventClaims without onDecision', { eventClaims: ['tenant'] }, /add onDecision or remove/],
  ])('start-up: %s is refused with the fix', (_name, extra, message) => {
    expect(() =>
      createAuthenticator({
        algorithms: ['ES256'],
        key: keys.publicJwk,
        ...extra,
      } as AuthenticatorOptions),
    ).toThrow(message)
  })
})

// Each refusal code the security corpus cannot reach on its own profiles (it needs a store, a
// proof or a cookie): the event's step and code. The corpus codes are asserted on every driver
// in test/conformance/events.test.ts.
describe('refusal codes: the event names the step', () => {
  const cnfToken = async () => token({ cnf: { jkt: await jktOf(client) } })
  const dpopRequest = async (accessToken: string): Promise<RequestLike> => ({
    method: 'GET',
    url: 'https://api.example.com/orders',
    headers: {
      authorization: `DPoP ${accessToken}`,
      dpop: dpopProof({
        key: client,
        htm: 'GET',
        htu: 'https://api.example.com/orders',
        accessToken,
        iat: NOW,
      }),
    },
  })
  const dpop = { mode: 'allowed', origins: ['https://api.example.com'] }

  it.each<[string, Record<string, unknown>, () => Promise<RequestLike>, string, string]>([
    [
      'token_missing',
      {},
      async () => ({ method: 'GET', url: '/', headers: {} }),
      'extract',
      'token_missing',
    ],
    [
      'csrf_rejected',
      { from: { cookie: 'at' } },
      async () => ({
        method: 'POST',
        url: '/orders',
        headers: { cookie: `at=${await token()}`, 'sec-fetch-site': 'cross-site' },
      }),
      'csrf',
      'csrf_rejected',
    ],
    [
      'invalid_dpop_proof (no proof)',
      { dpop },
      async () => ({
        method: 'GET',
        url: 'https://api.example.com/orders',
        headers: { authorization: `DPoP ${await cnfToken()}` },
      }),
      'dpop',
      'invalid_dpop_proof',
    ],
    [
      'dpop_required (a bound token sent as Bearer)',
      { dpop },
      async () => bearer(await cnfToken()),
      'binding',
      'dpop_required',
    ],
    [
      'replay_check_unavailable',
      {
        dpop: {
          ...dpop,
          replayStore: {
            add: () => {
              throw new Error('down')
            },
          },
        },
      },
      async () => dpopRequest(await cnfToken()),
      'binding',
      'replay_check_unavailable',
    ],
    [
      'token_revoked',
      { isRevoked: () => true },
      async () => bearer(await token()),
      'revocation',
      'token_revoked',
    ],
    [
      'revocation_unavailable',
      {
        isRevoked: () => {
          throw new Error('store down')
        },
      },
      async () => bearer(await token()),
      'revocation',
      'revocation_unavailable',
    ],
    [
      'claim_invalid (audience)',
      {},
      async () => bearer(await token({ aud: 'other' })),
      'claims',
      'claim_invalid',
    ],
    [
      'token_expired',
      {},
      async () => bearer(await token({ exp: NOW - 60 })),
      'claims',
      'token_expired',
    ],
    ['token_malformed', {}, async () => bearer('a.b.c'), 'verify', 'token_malformed'],
  ])('%s', async (_name, extra, request, step, code) => {
    const { events, authenticator } = observed(extra)
    const err = await refusal(authenticator, await request())
    expect(err.code).toBe(code)
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      outcome: 'refused',
      step,
      code,
      status: err.status,
      description: err.description,
    })
  })
})

describe('key failures: the real cause, in the event and the error, never in the response', () => {
  // A generous timeout (a loaded machine can take a second to resolve or connect), except where the
  // timeout itself is the case.
  const remote = (jwksUri: string, extra: Record<string, unknown> = {}, timeout = '10s') => {
    const events: DecisionEvent[] = []
    const fetches: KeyFetchEvent[] = []
    const authenticator = createAuthenticator({
      algorithms: ['ES256'],
      key: { jwksUri, timeout, cooldown: '30s' },
      cache: false,
      onDecision: (e) => events.push(e),
      onKeyFetch: (e) => fetches.push(e),
      ...extra,
    } as AuthenticatorOptions)
    return { events, fetches, authenticator }
  }

  async function closedPort(): Promise<number> {
    const s = createServer()
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))
    const port = (s.address() as AddressInfo).port
    await new Promise((resolve) => s.close(resolve))
    return port
  }

  it.each<[KeyFailureReason, () => Promise<string>, Partial<KeyFailureError>]>([
    [
      'http_status',
      async () => {
        handler = (_req, res) => {
          res.writeHead(404)
          res.end('not here')
        }
        return `${base}/jwks`
      },
      { status: 404 },
    ],
    ['refused', async () => `http://127.0.0.1:${await closedPort()}/jwks`, {}],
    // RFC 6761 §6.4: .invalid never resolves.
    ['dns', async () => 'https://keys.tokengate.invalid/jwks', {}],
    [
      'timeout',
      async () => {
        handler = () => undefined // never answers
        return `${base}/jwks`
      },
      {},
    ],
    [
      'bad_json',
      async () => {
        handler = (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end('{"keys": [')
        }
        return `${base}/jwks`
      },
      {},
    ],
    [
      'not_a_jwks',
      async () => {
        handler = (_req, res) => {
          res.writeHead(200, { 'content-type': 'application/json' })
          res.end('{"kids": []}')
        }
        return `${base}/jwks`
      },
      {},
    ],
  ])('%s: 503 keys_unavailable at verify, with its cause', async (reason, setup, extra) => {
    const url = await setup()
    const { events, fetches, authenticator } = remote(
      `${url}?api_key=s3cret`,
      {},
      reason === 'timeout' ? '500ms' : '10s',
    )
    const err = await refusal(authenticator, bearer(await token()))
    expect(err.code).toBe('keys_unavailable')
    expect(err.cause).toBeInstanceOf(KeyFailureError)
    expect(err.cause).toMatchObject({ reason, ...extra })
    expect(events).toHaveLength(1)
    expect(events[0]).toMatchObject({
      outcome: 'refused',
      step: 'verify',
      code: 'keys_unavailable',
      status: 503,
      keyFailure: { reason, ...extra },
    })
    expect(events[0]!.keyFailure!.url).toBe(url)
    expect(fetches).toEqual([expect.objectContaining({ result: reason, url })])
    // The response says only that keys are unavailable; neither the cause nor the query.
    const response = JSON.stringify(err.toResponse())
    expect(response).not.toMatch(new RegExp(`${reason}|s3cret|127\\.0\\.0\\.1|invalid`))
  })

  it('no matching kid: 401 key_not_found with cause no_matching_key; a good fetch is reported', async () => {
    const { events, fetches, authenticator } = remote(`${base}/jwks`)
    const err = await refusal(authenticator, bearer(await token({}, 'rotated-away')))
    expect(err.code).toBe('key_not_found')
    expect(err.cause).toMatchObject({ reason: 'no_matching_key', url: `${base}/jwks` })
    expect(events[0]).toMatchObject({
      step: 'verify',
      code: 'key_not_found',
      kid: 'rotated-away',
      alg: 'ES256',
      keyFailure: { reason: 'no_matching_key' },
    })
    expect(fetches[0]).toMatchObject({ result: 'ok', status: 200, keys: 1, url: `${base}/jwks` })
  })

  it('a request within the cooldown after a failure carries the same cause', async () => {
    handler = (_req, res) => {
      res.writeHead(500)
      res.end()
    }
    const { events, fetches, authenticator } = remote(`${base}/jwks`)
    await refusal(authenticator, bearer(await token()))
    await refusal(authenticator, bearer(await token()))
    expect(events.map((e) => e.keyFailure?.status)).toEqual([500, 500])
    expect(fetches).toHaveLength(1)
  })
})

describe('explain mode', () => {
  let warn: ReturnType<typeof vi.spyOn>
  beforeEach(() => {
    warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined)
  })

  it('the trailing-slash issuer: expected against received in the cause and the event, never in the response', async () => {
    const { events, authenticator } = observed({
      explain: true,
      issuer: 'https://id.example.com', // the token says https://id.example.com/
    })
    const err = await refusal(authenticator, bearer(await token()))
    expect(err.code).toBe('claim_invalid')
    expect(err.cause).toBeInstanceOf(AuthExplanation)
    const cause = err.cause as AuthExplanation
    expect(cause.message).toContain(
      'iss: expected ["https://id.example.com"], received "https://id.example.com/"',
    )
    expect(cause.explain).toMatchObject({
      verified: true,
      iss: { expected: ['https://id.example.com'], received: ISSUER, ok: false },
      aud: { expected: [AUDIENCE], received: AUDIENCE, ok: true },
      alg: { expected: ['ES256'], received: 'ES256', ok: true },
      kid: { received: 'k1', ok: true },
      keys: { tried: [{ algorithms: ['ES256'] }], available: 1 },
      exp: { ok: true },
    })
    expect(events[0]!.explain).toEqual(cause.explain)
    const response = JSON.stringify(err.toResponse())
    expect(response).not.toContain('id.example.com')
    expect(response).not.toContain('expected')
  })

  it('time claims against the clock with the tolerance; unverified values are marked', async () => {
    const { authenticator } = observed({ explain: true, clockTolerance: 5 })
    const err = await refusal(authenticator, bearer(await token({ exp: NOW - 60 })))
    const explanation = (err.cause as AuthExplanation).explain
    expect(explanation).toMatchObject({
      now: NOW,
      clockTolerance: 5,
      exp: { value: NOW - 60, delta: -60, ok: false },
    })
    expect((err.cause as AuthExplanation).message).toContain('exp: ')
    expect((err.cause as AuthExplanation).message).toContain('60s in the past')
    const forged = await signToken(claims({ aud: 'other' }), {
      alg: 'ES256',
      key: client,
      now: NOW,
    })
    const bad = await refusal(authenticator, bearer(forged))
    expect(bad.code).toBe('signature_invalid')
    expect((bad.cause as AuthExplanation).explain).toMatchObject({
      verified: false,
      aud: { received: 'other', ok: false },
    })
  })

  it('typ, alg and kid against the configuration, and the keys tried', async () => {
    const other = await keysFor('ES256', { kid: 'k2' })
    const { authenticator } = observed({
      explain: true,
      typ: 'at+jwt',
      key: { jwks: { keys: [keys.publicJwk, other.publicJwk] } },
    })
    const err = await refusal(authenticator, bearer(await token({}, 'k9')))
    expect(err.code).toBe('key_not_found')
    expect((err.cause as AuthExplanation).explain).toMatchObject({
      kid: { expected: ['k1', 'k2'], received: 'k9', ok: false },
      keys: { tried: [], available: 2 },
      typ: { expected: 'at+jwt', ok: false },
    })
  })

  it('warns once at start-up; accepted events carry the explanation too', async () => {
    const { events, authenticator } = observed({ explain: true })
    observed({ explain: true })
    await authenticator.authenticate(bearer(await token()))
    expect(events[0]!.explain).toMatchObject({ verified: true, iss: { ok: true } })
    // Once per process: an earlier test may have printed it already.
    expect(warn.mock.calls.length).toBeLessThanOrEqual(1)
  })

  it('without explain, the cause is left as it was', async () => {
    const { authenticator } = observed()
    const err = await refusal(authenticator, bearer(await token({ aud: 'other' })))
    expect(err.cause).toBeUndefined()
  })
})

describe('DEBUG=tokengate', () => {
  it.each<[string | undefined, boolean]>([
    ['tokengate', true],
    ['tokengate:*', true],
    ['express:*,tokengate', true],
    ['express:* tokengate', true],
    ['*', true],
    ['*,-tokengate', false],
    ['token*', true],
    ['express:*', false],
    ['tokengatex', false],
    ['', false],
    [undefined, false],
  ])('%j -> %s', (value, on) => {
    expect(debugEnabled(value)).toBe(on)
  })
})
