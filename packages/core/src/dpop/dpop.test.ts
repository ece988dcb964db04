// DPoP (RFC 9449) through createAuthenticator: every proof check of §4.3, the binding, modes, challenges.
import {
  dpopProof,
  flipBit,
  jktOf,
  keysFor,
  proofJwk,
  raw,
  signJws,
  signToken,
  unsecuredJws,
  type DpopProofOptions,
  type TestKeys,
} from '@tokengate/testkit'
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { createMemoryReplayStore } from './replay.js'
import { normalizeHtu } from './target.js'
import { AuthError } from '../errors.js'
import type { AuthenticatorOptions, DpopOptions, RequestLike } from '../types.js'

const NOW = 1_800_000_000
const ORIGIN = 'https://api.example.com'
const URL_ = `${ORIGIN}/orders`
const ALGS = 'ES256 ES384 EdDSA RS256 PS256'

beforeEach(() => {
  vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

let server: TestKeys
let client: TestKeys
let other: TestKeys
let clients: Record<string, TestKeys>
let p384: TestKeys
let hmac: TestKeys
beforeAll(async () => {
  ;[server, client, other, p384, hmac] = await Promise.all([
    keysFor('ES256', { kid: 'server' }),
    keysFor('ES256', { label: 'client' }),
    keysFor('ES256', { label: 'other-client' }),
    keysFor('ES384', { label: 'client' }),
    keysFor('HS256', { label: 'client' }),
  ])
  const [eddsa, rs256, ps256] = await Promise.all([
    keysFor('EdDSA', { label: 'client' }),
    keysFor('RS256', { label: 'client' }),
    keysFor('PS256', { label: 'client' }),
  ])
  clients = { ES256: client, ES384: p384, EdDSA: eddsa, RS256: rs256, PS256: ps256 }
})

/** An access token from the server, bound to `to` (cnf.jkt, RFC 9449 §6.1) unless `to` is null. */
async function token(to: TestKeys | null = client, claims: Record<string, unknown> = {}) {
  const cnf = to === null ? {} : { cnf: { jkt: await jktOf(to) } }
  return signToken({ sub: 'alice', ...cnf, ...claims }, { alg: 'ES256', key: server, now: NOW })
}

function options(
  dpop: Partial<DpopOptions> = {},
  extra: Record<string, unknown> = {},
): AuthenticatorOptions {
  return {
    algorithms: ['ES256'],
    key: server.publicJwk,
    realm: 'api',
    dpop: { mode: 'allowed', origins: [ORIGIN], ...dpop },
    ...extra,
  } as AuthenticatorOptions
}

type Proof = Partial<DpopProofOptions>
/** A DPoP request: `Authorization: DPoP <token>` and a proof for GET https://api.example.com/orders. */
async function dpopRequest(
  proof: Proof = {},
  request: Partial<RequestLike> & { accessToken?: string; scheme?: string } = {},
): Promise<RequestLike> {
  const accessToken = request.accessToken ?? (await token())
  return {
    method: request.method ?? 'GET',
    url: request.url ?? 'http://10.0.0.7:3000/orders',
    headers: {
      authorization: `${request.scheme ?? 'DPoP'} ${accessToken}`,
      dpop: dpopProof({ key: client, htm: 'GET', htu: URL_, accessToken, ...proof }),
      ...(request.headers as Record<string, string>),
    },
  }
}

async function outcome(
  authenticator: ReturnType<typeof createAuthenticator>,
  request: RequestLike,
) {
  try {
    const ctx = await authenticator.authenticate(request)
    return ctx === null ? 'null' : 'ok'
  } catch (err) {
    if (err instanceof AuthError) return `${err.code} ${err.status}`
    throw err
  }
}

const run = async (request: RequestLike | Promise<RequestLike>, o = options()) =>
  outcome(createAuthenticator(o), await request)

describe('valid proofs (RFC 9449 §4.2, §7.1)', () => {
  it.each(['ES256', 'ES384', 'EdDSA', 'RS256', 'PS256'])(
    '%s proof with a token bound to its key',
    async (alg) => {
      const key = clients[alg] as TestKeys
      const accessToken = await token(key)
      const ctx = await createAuthenticator(options()).authenticate(
        await dpopRequest({ key }, { accessToken }),
      )
      expect(ctx?.dpop).toEqual({ jkt: await jktOf(key) })
      expect(ctx?.payload.sub).toBe('alice')
    },
  )

  it.each<[string, Proof, Partial<RequestLike> & { scheme?: string }]>([
    ['the scheme is case-insensitive (RFC 9110 §11.1)', {}, { scheme: 'dpop' }],
    [
      'typ application/dpop+jwt names the same media type (RFC 7515 §4.1.9)',
      { header: { typ: 'application/dpop+jwt' } },
      {},
    ],
    [
      'htu scheme and host case is normalised (RFC 3986 §6.2.2.1)',
      { htu: 'HTTPS://API.Example.COM/orders' },
      {},
    ],
    [
      'the default port is dropped (RFC 3986 §6.2.3)',
      { htu: 'https://api.example.com:443/orders' },
      {},
    ],
    [
      'percent-encoding case is normalised (RFC 3986 §6.2.2.1)',
      { htu: `${ORIGIN}/a%2fb` },
      { url: '/a%2Fb' },
    ],
    [
      'percent-encoded unreserved characters are decoded (RFC 3986 §6.2.2.2)',
      { htu: `${ORIGIN}/%7Euser` },
      { url: '/~user' },
    ],
    ['dot segments are removed (RFC 3986 §6.2.2.3)', { htu: `${ORIGIN}/a/../orders` }, {}],
    ['the request query is ignored (RFC 9449 §4.3 check 9)', {}, { url: '/orders?page=2' }],
    [
      'the htu query and fragment are ignored (RFC 9449 §4.3 check 9)',
      { htu: `${ORIGIN}/orders?page=2#s` },
      { url: '/orders?page=2' },
    ],
    ['a path-only request URL is taken as is', {}, { url: '/orders' }],
    ['POST with htm POST (RFC 9449 §4.3 check 8)', { htm: 'POST' }, { method: 'POST' }],
    ['iat at the edge of maxAge + clockTolerance (RFC 9449 §11.1)', { iat: NOW - 65 }, {}],
    ['iat slightly ahead within clockTolerance', { iat: NOW + 5 }, {}],
  ])('%s', async (_name, proof, request) => {
    await expect(run(dpopRequest(proof, request))).resolves.toBe('ok')
  })
})

describe('broken proofs: each refused with invalid_dpop_proof 401 (RFC 9449 §4.3)', () => {
  const cases: Array<[string, () => Promise<RequestLike> | RequestLike, string?]> = [
    ['no DPoP header with the DPoP scheme (§7.1)', async () => dropProof(await dpopRequest())],
    [
      'two DPoP header lines (§4.3 check 1)',
      async () => {
        const req = await dpopRequest()
        const headers = req.headers as Record<string, string | string[]>
        headers.dpop = [headers.dpop as string, headers.dpop as string]
        return req
      },
    ],
    [
      'two DPoP headers joined by a Fetch Headers (§4.3 check 1)',
      async () => {
        const req = await dpopRequest()
        const headers = new Headers(req.headers as Record<string, string>)
        headers.append('dpop', headers.get('dpop') as string)
        return { ...req, headers }
      },
    ],
    [
      'a proof that is not a JWS (§4.3 check 2)',
      async () => withProof(await dpopRequest(), 'not-a-jwt'),
    ],
    ['typ missing (§4.3 check 4)', () => dpopRequest({ header: { typ: undefined } })],
    ['typ JWT, a token of another kind (§11.5)', () => dpopRequest({ header: { typ: 'JWT' } })],
    [
      'alg none (§4.3 check 5, §11.6)',
      async () =>
        withProof(
          await dpopRequest(),
          unsecuredJws({ jti: 'x', htm: 'GET', htu: URL_, iat: NOW }, 'none', { typ: 'dpop+jwt' }),
        ),
    ],
    [
      'alg HS256, a symmetric algorithm (§4.2, §11.6)',
      () =>
        dpopRequest({
          header: { alg: 'HS256', jwk: hmac.publicJwk },
          signAlg: 'HS256',
          signKey: hmac.secret,
        }),
    ],
    [
      'alg ES512, not in dpop.algorithms (§4.3 check 5)',
      () => dpopRequest({ header: { alg: 'ES512' } }),
    ],
    ['jwk missing (§4.2)', () => dpopRequest({ header: { jwk: undefined } })],
    [
      'jwk with the private key (§4.3 check 7)',
      () => dpopRequest({ header: { jwk: client.privateJwk } }),
    ],
    [
      'jwk of kty oct (§4.2: asymmetric only)',
      () => dpopRequest({ header: { jwk: hmac.publicJwk } }),
    ],
    ['jwk of a P-384 key under alg ES256', () => dpopRequest({ header: { jwk: p384.publicJwk } })],
    [
      'jwk of another key than the signer (§4.3 check 6)',
      () => dpopRequest({ header: { jwk: other.publicJwk } }),
    ],
    [
      'signature tampered (§4.3 check 6)',
      async () => mapProof(await dpopRequest(), (p) => flipBit(p, 2)),
    ],
    ['crit header (RFC 7515 §4.1.11)', () => dpopRequest({ header: { crit: ['exp'], exp: 1 } })],
    ['htm POST on a GET (§4.3 check 8)', () => dpopRequest({ htm: 'POST' })],
    [
      'htm in lower case: methods are case-sensitive (RFC 9110 §9.1)',
      () => dpopRequest({ htm: 'get' }),
    ],
    ['htu of another path (§4.3 check 9)', () => dpopRequest({ htu: `${ORIGIN}/admin` })],
    [
      'htu of another path, with a query (§4.3 check 9)',
      () => dpopRequest({ htu: `${ORIGIN}/admin?page=2` }),
    ],
    ['htu on another port', () => dpopRequest({ htu: 'https://api.example.com:8443/orders' })],
    ['htu on another host', () => dpopRequest({ htu: 'https://evil.example/orders' })],
    [
      'htu over http for an https origin',
      () => dpopRequest({ htu: 'http://api.example.com/orders' }),
    ],
    ['htu relative', () => dpopRequest({ htu: '/orders' })],
    ['htu with userinfo', () => dpopRequest({ htu: 'https://u:p@api.example.com/orders' })],
    ['htu not a string (§4.2)', () => dpopRequest({ claims: { htu: 42 } })],
    ['iat older than maxAge + clockTolerance (§11.1)', () => dpopRequest({ iat: NOW - 66 })],
    ['iat in the future beyond clockTolerance (§11.1)', () => dpopRequest({ iat: NOW + 6 })],
    ['iat missing (§4.2)', () => dpopRequest({ claims: { iat: undefined } })],
    ['iat a string (RFC 7519 §2 NumericDate)', () => dpopRequest({ claims: { iat: String(NOW) } })],
    ['jti missing (§4.2)', () => dpopRequest({ claims: { jti: undefined } })],
    ['jti empty', () => dpopRequest({ jti: '' })],
    ['jti unnecessarily large (§11.1)', () => dpopRequest({ jti: 'j'.repeat(257) })],
    ['ath missing (§7: MUST include ath)', () => dpopRequest({ claims: { ath: undefined } })],
    [
      'ath of another token (§4.3 check 12)',
      async () => dpopRequest({ accessToken: await token(client, { sub: 'mallory' }) }),
    ],
    [
      'a payload that is not JSON',
      async () =>
        withProof(
          await dpopRequest(),
          signJws(
            'ES256',
            client.privateKey as CryptoKey,
            { typ: 'dpop+jwt', alg: 'ES256', jwk: proofJwk(client) },
            raw('nope'),
          ),
        ),
    ],
  ]
  it.each(cases)('%s', async (_name, build) => {
    await expect(run(build())).resolves.toBe('invalid_dpop_proof 401')
  })
})

describe('proof keys the client chooses cannot make verification expensive', () => {
  it.each<[string, Record<string, string>]>([
    ['an RSA modulus above 4096 bits', { n: '_'.repeat(1366) }],
    ['a huge RSA public exponent', { e: '_'.repeat(342) }],
  ])('%s is refused before any verification', async (_name, members) => {
    const err = await createAuthenticator(options())
      .authenticate(await dpopRequest(rsaJwk(members)))
      .catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'invalid_dpop_proof', status: 401 })
    // A huge exponent is already refused by the key checks that prepareJwk runs (keys/public-key.ts).
    expect((err as AuthError).description).toMatch(
      /RSA key above 4096 bits or with a large exponent|not a usable public key/,
    )
  })
})

describe('the binding and the schemes (RFC 9449 §6.1, §7.1, §7.2)', () => {
  it.each<[string, () => Promise<RequestLike>, Partial<DpopOptions>, string]>([
    [
      "cnf.jkt of another key than the proof's (§6.1)",
      async () => dpopRequest({}, { accessToken: await token(other) }),
      {},
      'claim_invalid 401',
    ],
    [
      'a token without cnf.jkt sent with the DPoP scheme (§6.1)',
      async () => dpopRequest({}, { accessToken: await token(null) }),
      {},
      'claim_invalid 401',
    ],
    [
      'a DPoP-bound token sent as Bearer is refused when DPoP is allowed (§7.2)',
      async () => bearer(await token()),
      {},
      'dpop_required 401',
    ],
    [
      'a DPoP-bound token sent as Bearer with a valid proof too (§7.2)',
      async () => {
        const req = await dpopRequest()
        const h = req.headers as Record<string, string>
        h.authorization = h.authorization!.replace('DPoP', 'Bearer')
        return req
      },
      {},
      'dpop_required 401',
    ],
    [
      'an unbound Bearer token passes when DPoP is allowed',
      async () => bearer(await token(null)),
      {},
      'ok',
    ],
    [
      'an unbound Bearer token is refused when DPoP is required',
      async () => bearer(await token(null)),
      { mode: 'required' },
      'dpop_required 401',
    ],
    [
      'no token at all when DPoP is required',
      async () => ({ method: 'GET', url: '/orders', headers: {} }),
      { mode: 'required' },
      'token_missing 401',
    ],
    [
      'DPoP disabled: the DPoP scheme is just another scheme (no bearer token)',
      () => dpopRequest(),
      { mode: 'disabled' },
      'token_missing 401',
    ],
    [
      'a malformed DPoP credential (§7.1: DPoP 1*SP token68)',
      async () => ({
        method: 'GET',
        url: '/orders',
        headers: { authorization: 'DPoP a b', dpop: 'x' },
      }),
      {},
      'invalid_request 400',
    ],
    [
      'the DPoP scheme and a Bearer header joined: two credentials',
      async () => {
        const req = await dpopRequest()
        const h = req.headers as Record<string, string>
        h.authorization = `${h.authorization}, Bearer ${await token(null)}`
        return req
      },
      {},
      'invalid_request 400',
    ],
  ])('%s', async (_name, build, dpop, expected) => {
    await expect(run(build(), options(dpop))).resolves.toBe(expected)
  })

  it('a DPoP token and a cookie token are two tokens (RFC 6750 §2): multiple_tokens 400', async () => {
    const req = await dpopRequest({}, { headers: { cookie: `at=${await token(null)}` } })
    await expect(run(req, options({}, { from: { cookie: 'at' } }))).resolves.toBe(
      'multiple_tokens 400',
    )
  })

  it('the proof is checked on every request, also when the token comes from the cache', async () => {
    const authenticator = createAuthenticator(options())
    const accessToken = await token()
    await expect(outcome(authenticator, await dpopRequest({}, { accessToken }))).resolves.toBe('ok')
    await expect(outcome(authenticator, await dpopRequest({}, { accessToken }))).resolves.toBe('ok')
    await expect(
      outcome(authenticator, dropProof(await dpopRequest({}, { accessToken }))),
    ).resolves.toBe('invalid_dpop_proof 401')
    await expect(outcome(authenticator, bearer(accessToken))).resolves.toBe('dpop_required 401')
  })
})

describe('replay (RFC 9449 §11.1)', () => {
  it('a proof is accepted once; the same proof again is refused', async () => {
    const authenticator = createAuthenticator(options())
    const req = await dpopRequest()
    await expect(outcome(authenticator, req)).resolves.toBe('ok')
    await expect(outcome(authenticator, req)).resolves.toBe('invalid_dpop_proof 401')
  })

  it('is keyed by key, URI and jti: the same jti for another URI is another proof', async () => {
    const authenticator = createAuthenticator(options())
    await expect(outcome(authenticator, await dpopRequest({ jti: 'j1' }))).resolves.toBe('ok')
    const elsewhere = await dpopRequest({ jti: 'j1', htu: `${ORIGIN}/carts` }, { url: '/carts' })
    await expect(outcome(authenticator, elsewhere)).resolves.toBe('ok')
  })

  it('a store records the proof past iat + maxAge + clockTolerance, and only after every check passed', async () => {
    const add = vi.fn((_key: string, _expiresAt: number) => true)
    const authenticator = createAuthenticator(options({ replayStore: { add } }))
    const expired = await token(client, { exp: NOW - 60 })
    await expect(
      outcome(authenticator, await dpopRequest({}, { accessToken: expired })),
    ).resolves.toBe('token_expired 401')
    await expect(
      outcome(authenticator, await dpopRequest({}, { accessToken: await token(other) })),
    ).resolves.toBe('claim_invalid 401')
    expect(add).not.toHaveBeenCalled()
    await expect(outcome(authenticator, await dpopRequest({ iat: NOW - 10 }))).resolves.toBe('ok')
    expect(add).toHaveBeenCalledTimes(1)
    const [key, expiresAt] = add.mock.calls[0]!
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // One second past the window's last instant: an add processed a little late still finds it.
    expect(expiresAt).toBe(NOW - 10 + 60 + 5 + 1)
  })

  it.each<[string, () => unknown]>([
    [
      'throws',
      () => {
        throw new Error('down')
      },
    ],
    ['rejects', () => Promise.reject(new Error('down'))],
    ['answers neither true nor false', () => 'yes'],
  ])('a store that %s fails closed: 503 replay_check_unavailable', async (_name, add) => {
    const o = options({ replayStore: { add: add as never } })
    await expect(run(dpopRequest(), o)).resolves.toBe('replay_check_unavailable 503')
    const err = await createAuthenticator(o)
      .authenticate(await dpopRequest())
      .catch((e: AuthError) => e)
    expect((err as AuthError).toResponse().headers['retry-after']).toBe('5')
  })

  it('the memory store is bounded: full of live entries it refuses, expired entries make room', () => {
    const store = createMemoryReplayStore({ max: 2 })
    expect(store.add('a', NOW + 10)).toBe(true)
    expect(store.add('a', NOW + 10)).toBe(false)
    expect(store.add('b', NOW + 20)).toBe(true)
    expect(() => store.add('c', NOW + 30)).toThrow(/full/)
    vi.setSystemTime((NOW + 11) * 1000)
    expect(store.add('c', NOW + 30)).toBe(true)
    expect(store.add('b', NOW + 50)).toBe(false)
  })
})

describe('the request URI without trusting Host (RFC 9449 §4.3 check 9)', () => {
  const at = (url: string, headers: Record<string, string> = {}) => ({ url, headers })
  it.each<
    [string, Proof, Partial<RequestLike>, Partial<DpopOptions> & { trustProxy?: boolean }, string]
  >([
    [
      'one origin: Host is irrelevant, even a spoofed one',
      {},
      at('http://evil.example/orders', { host: 'evil.example' }),
      {},
      'ok',
    ],
    [
      "one origin: a proof for the spoofed Host's URL is refused",
      { htu: 'http://evil.example/orders' },
      at('http://evil.example/orders', { host: 'evil.example' }),
      {},
      'invalid_dpop_proof 401',
    ],
    [
      'X-Forwarded-* are ignored without trustProxy',
      { htu: 'https://evil.example/orders' },
      at('/orders', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }),
      {},
      'invalid_dpop_proof 401',
    ],
    [
      'several origins: the one Host names',
      { htu: 'https://b.example/orders' },
      at('/orders', { host: 'b.example' }),
      { origins: ['https://a.example', 'https://b.example'] },
      'ok',
    ],
    [
      'several origins: a proof for another listed origin than Host names',
      { htu: 'https://a.example/orders' },
      at('/orders', { host: 'b.example' }),
      { origins: ['https://a.example', 'https://b.example'] },
      'invalid_dpop_proof 401',
    ],
    [
      'several origins: a Host that names none of them',
      { htu: 'https://a.example/orders' },
      at('/orders', { host: 'evil.example' }),
      { origins: ['https://a.example', 'https://b.example'] },
      'invalid_dpop_proof 401',
    ],
    [
      'a Host that is not host[:port] (it could shift the path)',
      {},
      at('http://api.example.com/?/orders', { host: 'api.example.com/?' }),
      {},
      'invalid_request 400',
    ],
    [
      'trustProxy: X-Forwarded-Proto and X-Forwarded-Host define the URL',
      {},
      at('http://10.0.0.7:3000/orders', {
        host: '10.0.0.7:3000',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'api.example.com',
      }),
      { origins: undefined, trustProxy: true },
      'ok',
    ],
    [
      'trustProxy: the first of several forwarded values (the client-facing proxy)',
      {},
      at('/orders', {
        'x-forwarded-proto': 'https, http',
        'x-forwarded-host': 'api.example.com, 10.0.0.1',
      }),
      { origins: undefined, trustProxy: true },
      'ok',
    ],
    [
      'trustProxy without X-Forwarded-Host: Host',
      {},
      at('/orders', { host: 'api.example.com', 'x-forwarded-proto': 'https' }),
      { origins: undefined, trustProxy: true },
      'ok',
    ],
    [
      'trustProxy with origins: a forwarded origin that is not listed',
      { htu: 'https://evil.example/orders' },
      at('/orders', { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.example' }),
      { trustProxy: true },
      'invalid_dpop_proof 401',
    ],
    [
      'trustProxy: a forwarded scheme other than http(s)',
      { htu: 'ftp://api.example.com/orders' },
      at('/orders', { 'x-forwarded-proto': 'ftp', 'x-forwarded-host': 'api.example.com' }),
      { origins: undefined, trustProxy: true },
      'invalid_dpop_proof 401',
    ],
  ])('%s', async (_name, proof, request, config, expected) => {
    const { trustProxy, ...dpop } = config
    const o = options(dpop, trustProxy === undefined ? {} : { trustProxy })
    const req = await dpopRequest(proof, { url: request.url })
    Object.assign(req.headers, request.headers)
    await expect(run(req, o)).resolves.toBe(expected)
  })

  it.each<[string, string | undefined]>([
    ['https://api.example.com/a', 'https://api.example.com/a'],
    ['HTTPS://API.EXAMPLE.COM:443/a', 'https://api.example.com/a'],
    ['http://api.example.com:80', 'http://api.example.com/'],
    ['https://api.example.com:8443/a', 'https://api.example.com:8443/a'],
    ['https://api.example.com/%7e%2f%41', 'https://api.example.com/~%2FA'],
    ['https://api.example.com/a/./b/../c', 'https://api.example.com/a/c'],
    // RFC 9449 §4.3 check 9: query and fragment are ignored, not refused.
    ['https://api.example.com/a?', 'https://api.example.com/a'],
    ['https://api.example.com/a?x=1#s', 'https://api.example.com/a'],
    ['https://api.example.com/a#', 'https://api.example.com/a'],
    ['https://api.example.com?x=/a', 'https://api.example.com/'],
    ['ftp://api.example.com/a', undefined],
    ['//api.example.com/a', undefined],
    ['https://user@api.example.com/a', undefined],
  ])('normalizeHtu(%s) (RFC 3986 §6.2.2, §6.2.3)', (input, expected) => {
    expect(normalizeHtu(input)).toBe(expected)
  })
})

describe('challenges (RFC 9449 §7.1, §7.2)', () => {
  const challenge = async (request: RequestLike | Promise<RequestLike>, o = options()) => {
    const err = await createAuthenticator(o)
      .authenticate(await request)
      .catch((e: unknown) => e)
    return (err as AuthError).toResponse()
  }

  it('no token, DPoP allowed: Bearer and DPoP challenges, no error attribute', async () => {
    const res = await challenge({ method: 'GET', url: '/orders', headers: {} })
    expect(res.headers['www-authenticate']).toBe(
      `Bearer realm="api", DPoP realm="api", algs="${ALGS}"`,
    )
  })

  it('no token, DPoP required: only the DPoP challenge', async () => {
    const res = await challenge(
      { method: 'GET', url: '/', headers: {} },
      options({ mode: 'required' }),
    )
    expect(res.headers['www-authenticate']).toBe(`DPoP realm="api", algs="${ALGS}"`)
  })

  it('a failed DPoP request carries the error on the DPoP challenge, error=invalid_dpop_proof', async () => {
    const res = await challenge(dpopRequest({ htm: 'PUT' }))
    expect(res.status).toBe(401)
    expect(res.body).toMatchObject({ error: 'invalid_dpop_proof', code: 'invalid_dpop_proof' })
    expect(res.headers['www-authenticate']).toMatch(
      new RegExp(
        `^Bearer realm="api", DPoP realm="api", error="invalid_dpop_proof", error_description="[^"]+", algs="${ALGS}"$`,
      ),
    )
  })

  it('a failed Bearer request carries the error on the Bearer challenge', async () => {
    const res = await challenge(bearer(await token()))
    expect(res.headers['www-authenticate']).toMatch(
      new RegExp(
        `^Bearer realm="api", error="invalid_token", error_description="[^"]+", DPoP realm="api", algs="${ALGS}"$`,
      ),
    )
  })

  it('required: a Bearer token gets the error on the DPoP challenge, and no Bearer challenge', async () => {
    const res = await challenge(
      bearer(await token(null)),
      options({ mode: 'required', algorithms: ['ES256'] }),
    )
    expect(res.headers['www-authenticate']).toMatch(
      /^DPoP realm="api", error="invalid_token", error_description="[^"]+", algs="ES256"$/,
    )
  })

  it('503 has no challenge', async () => {
    const res = await challenge(
      dpopRequest(),
      options({
        replayStore: {
          add: () => {
            throw new Error('x')
          },
        },
      }),
    )
    expect(res.status).toBe(503)
    expect(res.headers['www-authenticate']).toBeUndefined()
  })

  it('DPoP off: the challenge is unchanged', async () => {
    const res = await challenge(bearer('x.y.z'), options({ mode: 'disabled' }))
    expect(res.headers['www-authenticate']).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/,
    )
  })
})

describe('start-up refusals', () => {
  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'neither origins nor trustProxy',
      { dpop: { mode: 'allowed' } },
      /options\.dpop\.origins .*options\.trustProxy: true.*Host/,
    ],
    [
      'mode missing',
      { dpop: { origins: [ORIGIN] } },
      /options\.dpop\.mode must be 'allowed', 'required' or 'disabled'/,
    ],
    ['mode misspelt', { dpop: { mode: 'on', origins: [ORIGIN] } }, /options\.dpop\.mode must be/],
    [
      'HS256 among the proof algorithms',
      { dpop: { mode: 'allowed', origins: [ORIGIN], algorithms: ['HS256'] } },
      /asymmetric algorithms only/,
    ],
    [
      'none among the proof algorithms',
      { dpop: { mode: 'allowed', origins: [ORIGIN], algorithms: ['none'] } },
      /asymmetric algorithms only/,
    ],
    [
      'an unknown proof algorithm',
      { dpop: { mode: 'allowed', origins: [ORIGIN], algorithms: ['ES999'] } },
      /options\.dpop\.algorithms contains "ES999"/,
    ],
    [
      'empty proof algorithms',
      { dpop: { mode: 'allowed', origins: [ORIGIN], algorithms: [] } },
      /non-empty list/,
    ],
    [
      'an origin with a path',
      { dpop: { mode: 'allowed', origins: ['https://api.example.com/v1'] } },
      /must be an http\(s\) origin/,
    ],
    [
      'an origin of another scheme',
      { dpop: { mode: 'allowed', origins: ['ftp://api.example.com'] } },
      /must be an http\(s\) origin/,
    ],
    ['origins empty', { dpop: { mode: 'allowed', origins: [] } }, /non-empty list of origins/],
    [
      'an unknown dpop member',
      { dpop: { mode: 'allowed', origins: [ORIGIN], maxage: 5 } },
      /unknown option options\.dpop\.maxage/,
    ],
    [
      'a replay store without add',
      { dpop: { mode: 'allowed', origins: [ORIGIN], replayStore: {} } },
      /replayStore must have an add/,
    ],
    [
      'a maxAge that is not a duration',
      { dpop: { mode: 'allowed', origins: [ORIGIN], maxAge: 'soon' } },
      /options\.dpop\.maxAge/,
    ],
    [
      'a maxAge of zero',
      { dpop: { mode: 'allowed', origins: [ORIGIN], maxAge: 0 } },
      /options\.dpop\.maxAge must be positive/,
    ],
    [
      'the Authorization header switched off',
      { dpop: { mode: 'allowed', origins: [ORIGIN] }, from: { header: false, cookie: 'at' } },
      /options\.from\.header/,
    ],
    [
      'required with a cookie source',
      { dpop: { mode: 'required', origins: [ORIGIN] }, from: { cookie: 'at' } },
      /mode 'required' accepts only Authorization: DPoP/,
    ],
    [
      'trustProxy not a boolean',
      { trustProxy: 'yes' },
      /options\.trustProxy must be true or false/,
    ],
  ])('%s', (_name, extra, message) => {
    const o = { algorithms: ['ES256'], key: server.publicJwk, ...extra } as AuthenticatorOptions
    expect(() => createAuthenticator(o)).toThrow(message)
  })

  it.each([
    ['disabled needs no origins', { mode: 'disabled' }, {}],
    ['trustProxy stands in for origins', { mode: 'required' }, { trustProxy: true }],
  ])('%s', (_name, dpop, extra) => {
    const o = {
      algorithms: ['ES256'],
      key: server.publicJwk,
      dpop,
      ...extra,
    } as AuthenticatorOptions
    expect(() => createAuthenticator(o)).not.toThrow()
  })
})

/** A proof signed by the RSA client whose jwk has its members replaced. */
function rsaJwk(members: Record<string, string>): Proof {
  const key = clients.RS256 as TestKeys
  return { key, header: { jwk: { ...proofJwk(key), ...members } } }
}

function bearer(accessToken: string): RequestLike {
  return { method: 'GET', url: '/orders', headers: { authorization: `Bearer ${accessToken}` } }
}

function dropProof(req: RequestLike): RequestLike {
  const { dpop: _dpop, ...headers } = req.headers as Record<string, string>
  return { ...req, headers }
}

function withProof(req: RequestLike, proof: string): RequestLike {
  return { ...req, headers: { ...(req.headers as Record<string, string>), dpop: proof } }
}

function mapProof(req: RequestLike, f: (proof: string) => string): RequestLike {
  return withProof(req, f((req.headers as Record<string, string>).dpop as string))
}
