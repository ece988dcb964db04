// The pipeline end to end: every key form and alg, every failure code with its status, cache, CSRF, JWE.
import {
  attackerKeys,
  encryptToken,
  hmacWithPublicKey,
  jwksOf,
  keysFor,
  signJws,
  signToken,
  tamper,
  unsecuredJws,
  withHeader,
  raw,
  x5cValue,
} from '@tokengate/testkit'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createAuthenticator } from './authenticate.js'
import { AuthError } from './errors.js'
import type { AuthenticatorOptions, RequestLike } from './types.js'
import type { JwsAlgorithm } from './types.js'

const NOW = 1_800_000_000
beforeEach(() => {
  vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

const bearer = (token: string, extra: Record<string, string> = {}): RequestLike => ({
  method: 'GET',
  url: 'https://api.example.com/x',
  headers: { authorization: `Bearer ${token}`, ...extra },
})

async function outcome(options: AuthenticatorOptions<any>, request: RequestLike): Promise<string> {
  try {
    const ctx = await createAuthenticator(options).authenticate(request)
    return ctx === null ? 'null' : 'ok'
  } catch (err) {
    if (err instanceof AuthError) return `${err.code} ${err.status}`
    throw err
  }
}

describe('authenticate: every algorithm and key form', () => {
  const algs = ['HS256', 'HS384', 'HS512', 'RS256', 'PS256', 'ES256', 'ES384', 'ES512', 'EdDSA']
  it.each(algs)('%s verifies with each key form', async (alg) => {
    const keys = await keysFor(alg)
    const token = await signToken(
      { sub: 'alice', roles: ['admin'], scope: 'a b' },
      { alg, key: keys, now: NOW },
    )
    const forms: unknown[] = keys.secret
      ? [keys.secret, keys.publicJwk, keys.publicKey, { jwks: jwksOf(keys) }]
      : [keys.publicPem, keys.publicJwk, keys.publicKey, { jwks: jwksOf(keys) }]
    for (const key of forms) {
      const ctx = await createAuthenticator({
        algorithms: [alg as JwsAlgorithm],
        key: key as never,
      }).authenticate(bearer(token))
      expect(ctx).toMatchObject({
        token,
        source: 'header',
        payload: { sub: 'alice' },
        protectedHeader: { alg },
        roles: ['admin'],
        scopes: ['a', 'b'],
      })
      expect(ctx?.encryption).toBeUndefined()
    }
  })

  it('an X.509 certificate verifies', async () => {
    const attacker = attackerKeys()
    const pem = `-----BEGIN CERTIFICATE-----\n${x5cValue(attacker.certificate)}\n-----END CERTIFICATE-----`
    const token = signJws(
      'ES256',
      attacker.privateKey,
      { alg: 'ES256' },
      { sub: 'a', exp: NOW + 60 },
    )
    await expect(outcome({ algorithms: ['ES256'], key: pem }, bearer(token))).resolves.toBe('ok')
  })

  it('a local JWKS picks the key by kid, and tries fitting keys without kid', async () => {
    const [a, b] = await Promise.all([
      keysFor('ES256', { label: 'a' }),
      keysFor('ES256', { label: 'b' }),
    ])
    const options = { algorithms: ['ES256'] as const, key: { jwks: jwksOf(a, b) } }
    const byKid = await signToken({ sub: 'b' }, { alg: 'ES256', key: b, now: NOW })
    const noKid = await signToken({ sub: 'b' }, { alg: 'ES256', key: b, kid: null, now: NOW })
    const unknownKid = await signToken(
      { sub: 'b' },
      { alg: 'ES256', key: b, kid: 'nope', now: NOW },
    )
    await expect(outcome(options, bearer(byKid))).resolves.toBe('ok')
    await expect(outcome(options, bearer(noKid))).resolves.toBe('ok')
    await expect(outcome(options, bearer(unknownKid))).resolves.toBe('key_not_found 401')
  })
})

describe('authenticate: failures, each with its code and status', () => {
  let hs: Awaited<ReturnType<typeof keysFor>>,
    rs: Awaited<ReturnType<typeof keysFor>>,
    es: Awaited<ReturnType<typeof keysFor>>
  beforeEach(async () => {
    ;[hs, rs, es] = await Promise.all([keysFor('HS256'), keysFor('RS256'), keysFor('ES256')])
  })
  const claims = { sub: 'alice', iss: 'https://idp', aud: 'api', exp: NOW + 60, iat: NOW }
  const hsOpts = () => ({
    algorithms: ['HS256'] as const,
    key: hs.secret as Uint8Array,
    issuer: 'https://idp',
    audience: 'api',
  })
  const rsOpts = () => ({ algorithms: ['RS256'] as const, key: rs.publicPem as string })
  const sign = (
    extra: Record<string, unknown> = {},
    header: Record<string, unknown> = { alg: 'HS256' },
  ) => signJws('HS256', hs.secret as Uint8Array, header, { ...claims, ...extra })

  it.each<
    [string, () => AuthenticatorOptions<any>, () => Promise<RequestLike> | RequestLike, string]
  >([
    [
      'no token (RFC 6750 §3.1)',
      hsOpts,
      () => ({ method: 'GET', url: '/', headers: {} }),
      'token_missing 401',
    ],
    [
      'another scheme is no token',
      hsOpts,
      () => ({ method: 'GET', url: '/', headers: { authorization: 'Basic YTpi' } }),
      'token_missing 401',
    ],
    [
      'optional: no token gives null',
      () => ({ ...hsOpts(), optional: true }),
      () => ({ method: 'GET', url: '/', headers: {} }),
      'null',
    ],
    [
      'optional: a bad token is still rejected',
      () => ({ ...hsOpts(), optional: true }),
      () => bearer(tamper(sign(), 2)),
      'signature_invalid 401',
    ],
    ['a valid token', hsOpts, () => bearer(sign()), 'ok'],
    [
      'two segments',
      hsOpts,
      () => bearer(sign().split('.').slice(0, 2).join('.')),
      'token_malformed 401',
    ],
    ['four segments', hsOpts, () => bearer(`${sign()}.AAAA`), 'token_malformed 401'],
    [
      'empty signature (alg none shape)',
      hsOpts,
      () => bearer(unsecuredJws(claims, 'HS256')),
      'token_malformed 401',
    ],
    [
      'padding in a segment',
      hsOpts,
      () => ({ method: 'GET', url: '/', headers: { authorization: `Bearer ${sign()}==` } }),
      'token_malformed 401',
    ],
    [
      'standard base64 characters (+ /)',
      hsOpts,
      () => bearer(tamper(sign(), 2, (s) => `+${s.slice(1)}`)),
      'token_malformed 401',
    ],
    [
      'non-canonical trailing bits in the signature (one spelling per token)',
      hsOpts,
      () =>
        bearer(
          tamper(
            sign(),
            2,
            (s) => s.slice(0, -1) + String.fromCharCode(s.charCodeAt(s.length - 1) + 1),
          ),
        ),
      'token_malformed 401',
    ],
    [
      'header not JSON',
      hsOpts,
      () => bearer(signJws('HS256', hs.secret as Uint8Array, raw('not json'), claims)),
      'token_malformed 401',
    ],
    [
      'header a JSON array',
      hsOpts,
      () => bearer(signJws('HS256', hs.secret as Uint8Array, ['HS256'], claims)),
      'token_malformed 401',
    ],
    ['alg missing', hsOpts, () => bearer(sign({}, { typ: 'JWT' })), 'token_malformed 401'],
    [
      'alg none (RFC 8725 §3.2)',
      hsOpts,
      () => bearer(`${unsecuredJws(claims)}AAAA`),
      'alg_not_allowed 401',
    ],
    [
      'alg nOnE',
      hsOpts,
      () => bearer(`${unsecuredJws(claims, 'nOnE')}AAAA`),
      'alg_not_allowed 401',
    ],
    [
      'alg in another case (hs256)',
      hsOpts,
      () => bearer(sign({}, { alg: 'hs256' })),
      'alg_not_allowed 401',
    ],
    [
      'alg not in the allowlist (HS512)',
      hsOpts,
      () => bearer(signJws('HS512', new Uint8Array(64), { alg: 'HS512' }, claims)),
      'alg_not_allowed 401',
    ],
    [
      'RS256 public key as HMAC secret (alg confusion, RFC 8725 §3.1)',
      rsOpts,
      async () => bearer(hmacWithPublicKey(rs.publicKey as CryptoKey, 'pem', { ...claims })),
      'alg_not_allowed 401',
    ],
    [
      'crit extension (RFC 7515 §4.1.11)',
      hsOpts,
      () => bearer(sign({}, { alg: 'HS256', crit: ['exp'], exp: 1 })),
      'token_malformed 401',
    ],
    [
      'b64 false (RFC 7797)',
      hsOpts,
      () => bearer(sign({}, { alg: 'HS256', b64: false })),
      'token_malformed 401',
    ],
    [
      'kid not a string',
      hsOpts,
      () => bearer(sign({}, { alg: 'HS256', kid: 7 })),
      'token_malformed 401',
    ],
    [
      'typ not a string',
      hsOpts,
      () => bearer(sign({}, { alg: 'HS256', typ: 1 })),
      'token_malformed 401',
    ],
    ['tampered payload', hsOpts, () => bearer(tamper(sign(), 1)), 'signature_invalid 401'],
    ['tampered signature', hsOpts, () => bearer(tamper(sign(), 2)), 'signature_invalid 401'],
    [
      'another secret',
      hsOpts,
      () => bearer(signJws('HS256', new Uint8Array(32).fill(7), { alg: 'HS256' }, claims)),
      'signature_invalid 401',
    ],
    [
      'a key smuggled in jwk is never used (RFC 8725 §3.10)',
      () => ({ algorithms: ['ES256'], key: es.publicPem as string }),
      () => {
        const a = attackerKeys()
        return bearer(signJws('ES256', a.privateKey, { alg: 'ES256', jwk: a.publicJwk }, claims))
      },
      'signature_invalid 401',
    ],
    [
      'a certificate smuggled in x5c is never used',
      () => ({ algorithms: ['ES256'], key: es.publicPem as string }),
      () => {
        const a = attackerKeys()
        return bearer(
          signJws('ES256', a.privateKey, { alg: 'ES256', x5c: [x5cValue(a.certificate)] }, claims),
        )
      },
      'signature_invalid 401',
    ],
    [
      'jku / x5u are never fetched',
      () => ({ algorithms: ['ES256'], key: { jwks: jwksOf(es) } }),
      () => {
        const a = attackerKeys()
        return bearer(
          signJws(
            'ES256',
            a.privateKey,
            {
              alg: 'ES256',
              kid: 'evil',
              jku: 'http://127.0.0.1:9/jwks',
              x5u: 'http://127.0.0.1:9/c',
            },
            claims,
          ),
        )
      },
      'key_not_found 401',
    ],
    [
      'payload not JSON',
      hsOpts,
      () => bearer(signJws('HS256', hs.secret as Uint8Array, { alg: 'HS256' }, raw('hello'))),
      'token_malformed 401',
    ],
    [
      'payload a JSON array',
      hsOpts,
      () => bearer(signJws('HS256', hs.secret as Uint8Array, { alg: 'HS256' }, [claims])),
      'token_malformed 401',
    ],
    [
      'exp 1e400 parses to Infinity',
      hsOpts,
      () =>
        bearer(
          signJws(
            'HS256',
            hs.secret as Uint8Array,
            { alg: 'HS256' },
            raw('{"sub":"a","iss":"https://idp","aud":"api","exp":1e400}'),
          ),
        ),
      'claim_invalid 401',
    ],
    ['expired', hsOpts, () => bearer(sign({ exp: NOW - 60 })), 'token_expired 401'],
    ['not yet valid', hsOpts, () => bearer(sign({ nbf: NOW + 60 })), 'token_not_yet_valid 401'],
    ['no exp', hsOpts, () => bearer(sign({ exp: undefined })), 'claim_invalid 401'],
    [
      'requireExp false',
      () => ({ ...hsOpts(), requireExp: false }),
      () => bearer(sign({ exp: undefined })),
      'ok',
    ],
    [
      'clockTolerance as a duration',
      () => ({ ...hsOpts(), clockTolerance: '2m' }),
      () => bearer(sign({ exp: NOW - 60 })),
      'ok',
    ],
    [
      'maxTokenAge exceeded',
      () => ({ ...hsOpts(), maxTokenAge: '30s' }),
      () => bearer(sign({ iat: NOW - 60 })),
      'token_expired 401',
    ],
    ['wrong issuer', hsOpts, () => bearer(sign({ iss: 'https://evil' })), 'claim_invalid 401'],
    ['wrong audience', hsOpts, () => bearer(sign({ aud: ['web'] })), 'claim_invalid 401'],
    [
      'audience in a list',
      () => ({ ...hsOpts(), audience: ['web', 'api'] }),
      () => bearer(sign({ aud: ['api'] })),
      'ok',
    ],
    [
      'typ at+jwt expected, JWT given (RFC 9068 §4)',
      () => ({ ...hsOpts(), typ: 'at+jwt' }),
      () => bearer(sign({}, { alg: 'HS256', typ: 'JWT' })),
      'claim_invalid 401',
    ],
    [
      'typ application/at+jwt matches at+jwt',
      () => ({ ...hsOpts(), typ: 'at+jwt' }),
      () => bearer(sign({}, { alg: 'HS256', typ: 'application/AT+JWT' })),
      'ok',
    ],
    [
      'requiredClaims missing',
      () => ({ ...hsOpts(), requiredClaims: ['tenant'] }),
      () => bearer(sign()),
      'claim_invalid 401',
    ],
    [
      'zod schema failure',
      () => ({ ...hsOpts(), claims: z.object({ tenant: z.string() }) }),
      () => bearer(sign()),
      'claim_invalid 401',
    ],
    [
      'revoked (isRevoked)',
      () => ({ ...hsOpts(), isRevoked: () => true }),
      () => bearer(sign()),
      'token_revoked 401',
    ],
    [
      'isRevoked that throws fails closed',
      () => ({
        ...hsOpts(),
        isRevoked: () => {
          throw new Error('db down')
        },
      }),
      () => bearer(sign()),
      'revocation_unavailable 503',
    ],
    [
      'a JWE without options.decrypt',
      hsOpts,
      () => bearer('aaaa.bbbb.cccc.dddd.eeee'),
      'token_malformed 401',
    ],
    [
      'token longer than maxTokenLength',
      () => ({ ...hsOpts(), maxTokenLength: 64 }),
      () => bearer(sign()),
      'token_too_large 401',
    ],
  ])('%s', async (_name, options, request, expected) => {
    await expect(outcome(options(), await request())).resolves.toBe(expected)
  })

  it('errors carry the realm in their challenge; no token has no error attribute (RFC 6750 §3.1)', async () => {
    const authenticator = createAuthenticator({ ...hsOpts(), realm: 'api' })
    expect(authenticator.realm).toBe('api')
    const missing = await authenticator
      .authenticate({ method: 'GET', url: '/', headers: {} })
      .catch((e: AuthError) => e)
    expect(missing).toBeInstanceOf(AuthError)
    expect((missing as AuthError).toResponse().headers['www-authenticate']).toBe(
      'Bearer realm="api"',
    )
    const expired = await authenticator
      .authenticate(bearer(sign({ exp: NOW - 60 })))
      .catch((e: AuthError) => e)
    expect((expired as AuthError).toResponse().headers['www-authenticate']).toBe(
      'Bearer realm="api", error="invalid_token", error_description="the token has expired"',
    )
  })

  it('no message ever contains the token', async () => {
    const token = sign({ iss: 'https://evil' })
    const err = (await createAuthenticator(hsOpts())
      .authenticate(bearer(token))
      .catch((e: AuthError) => e)) as AuthError
    expect(JSON.stringify(err.toResponse())).not.toContain(token.split('.')[1])
  })
})

describe('authenticate: context', () => {
  it('payload is the zod output, roles from a dotted path, scopes from scp', async () => {
    const hs = await keysFor('HS256')
    const token = await signToken(
      {
        sub: 'alice',
        tenant: 'acme',
        realm_access: { roles: ['admin', 1] },
        scp: ['read', 'write'],
      },
      { alg: 'HS256', key: hs, now: NOW },
    )
    const authenticator = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      claims: z.object({ sub: z.string(), tenant: z.string().transform((t) => t.toUpperCase()) }),
      roles: { claim: 'realm_access.roles' },
    })
    const ctx = await authenticator.authenticate(bearer(token))
    expect(ctx?.payload).toEqual({ sub: 'alice', tenant: 'ACME' })
    expect(ctx?.roles).toEqual(['admin'])
    expect(ctx?.scopes).toEqual(['read', 'write'])
    expect(Object.isFrozen(ctx)).toBe(true)
  })

  it('a cookie-borne token has source cookie; a custom one source custom', async () => {
    const hs = await keysFor('HS256')
    const token = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs, now: NOW })
    const a = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      from: { cookie: 'at', custom: (r) => r.headers.get('x-token') ?? undefined },
    })
    expect(
      (await a.authenticate({ method: 'GET', url: '/', headers: { cookie: `at=${token}` } }))
        ?.source,
    ).toBe('cookie')
    expect(
      (await a.authenticate({ method: 'GET', url: '/', headers: { 'x-token': token } }))?.source,
    ).toBe('custom')
  })
})

describe('authenticate: CSRF before verification', () => {
  it.each<[string, RequestLike, string]>([
    [
      'cookie token, cross-site POST',
      {
        method: 'POST',
        url: 'https://api.example.com/x',
        headers: { cookie: 'at=TOKEN', origin: 'https://evil.example' },
      },
      'csrf_rejected 403',
    ],
    [
      'even a garbage cookie token is refused for CSRF first',
      {
        method: 'POST',
        url: 'https://api.example.com/x',
        headers: { cookie: 'at=garbage', origin: 'https://evil.example' },
      },
      'csrf_rejected 403',
    ],
    [
      'cookie token, same-origin POST',
      {
        method: 'POST',
        url: 'https://api.example.com/x',
        headers: { cookie: 'at=TOKEN', 'sec-fetch-site': 'same-origin' },
      },
      'ok',
    ],
    [
      'cookie token, cross-site GET',
      {
        method: 'GET',
        url: 'https://api.example.com/x',
        headers: { cookie: 'at=TOKEN', origin: 'https://evil.example' },
      },
      'ok',
    ],
    [
      'header token, cross-site POST is not affected',
      {
        method: 'POST',
        url: 'https://api.example.com/x',
        headers: { authorization: 'Bearer TOKEN', origin: 'https://evil.example' },
      },
      'ok',
    ],
  ])('%s: %s', async (_name, request, expected) => {
    const hs = await keysFor('HS256')
    const token = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs, now: NOW })
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([k, v]) => [k, (v as string).replace('TOKEN', token)]),
    )
    await expect(
      outcome(
        { algorithms: ['HS256'], key: hs.secret as Uint8Array, from: { cookie: 'at' } },
        { ...request, headers },
      ),
    ).resolves.toBe(expected)
  })

  it('csrf: false turns the check off; allowedOrigins admits a listed origin', async () => {
    const hs = await keysFor('HS256')
    const token = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs, now: NOW })
    const request = (origin: string): RequestLike => ({
      method: 'POST',
      url: '/x',
      headers: { cookie: `at=${token}`, origin },
    })
    const base = {
      algorithms: ['HS256'] as const,
      key: hs.secret as Uint8Array,
      from: { cookie: 'at' },
    }
    await expect(outcome({ ...base, csrf: false }, request('https://evil.example'))).resolves.toBe(
      'ok',
    )
    await expect(
      outcome(
        { ...base, csrf: { allowedOrigins: ['https://app.example'] } },
        request('https://app.example'),
      ),
    ).resolves.toBe('ok')
  })
})

describe('authenticate: cache', () => {
  it('a hit returns the cached context, still checks exp against the clock, still asks isRevoked', async () => {
    const hs = await keysFor('HS256')
    const token = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs, now: NOW, exp: NOW + 60 })
    const revoked = new Set<string>()
    const isRevoked = vi.fn((ctx: { token: string }) => revoked.has(ctx.token))
    const a = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      isRevoked,
    })
    // Admission on second sighting (token/cache.ts Doorkeeper): verified twice, then hits.
    const first = await a.authenticate(bearer(token))
    const second = await a.authenticate(bearer(token))
    expect(second).not.toBe(first)
    expect(await a.authenticate(bearer(token))).toBe(second)
    expect(isRevoked).toHaveBeenCalledTimes(3)
    revoked.add(token)
    await expect(a.authenticate(bearer(token))).rejects.toMatchObject({ code: 'token_revoked' })
    revoked.clear()
    vi.setSystemTime((NOW + 66) * 1000)
    await expect(a.authenticate(bearer(token))).rejects.toMatchObject({
      code: 'token_expired',
      status: 401,
    })
  })

  it("failures are never cached, and a token never gets another token's context", async () => {
    const hs = await keysFor('HS256')
    const a = createAuthenticator({ algorithms: ['HS256'], key: hs.secret as Uint8Array })
    const t1 = await signToken({ sub: 'one' }, { alg: 'HS256', key: hs, now: NOW })
    const t2 = await signToken({ sub: 'two' }, { alg: 'HS256', key: hs, now: NOW })
    expect((await a.authenticate(bearer(t1)))?.payload.sub).toBe('one')
    expect((await a.authenticate(bearer(t2)))?.payload.sub).toBe('two')
    const bad = tamper(t1, 2)
    await expect(a.authenticate(bearer(bad))).rejects.toMatchObject({ code: 'signature_invalid' })
    await expect(a.authenticate(bearer(bad))).rejects.toMatchObject({ code: 'signature_invalid' })
  })

  it('cache.ttl caps an entry; cache: false verifies every time', async () => {
    const hs = await keysFor('HS256')
    const token = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs, now: NOW })
    const capped = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      cache: { ttl: '10s' },
    })
    const first = await capped.authenticate(bearer(token))
    vi.setSystemTime((NOW + 11) * 1000)
    const second = await capped.authenticate(bearer(token))
    expect(second).not.toBe(first)
    expect(second).toEqual(first)
    const off = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      cache: false,
    })
    expect(await off.authenticate(bearer(token))).not.toBe(await off.authenticate(bearer(token)))
  })

  it('the same token from another source gets its own source', async () => {
    const hs = await keysFor('HS256')
    const token = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs, now: NOW })
    const a = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      from: { cookie: 'at' },
    })
    expect((await a.authenticate(bearer(token)))?.source).toBe('header')
    expect(
      (await a.authenticate({ method: 'GET', url: '/', headers: { cookie: `at=${token}` } }))
        ?.source,
    ).toBe('cookie')
  })
})

describe('authenticate: encrypted tokens (JWE)', () => {
  it.each<
    [
      string,
      (t: {
        jws: string
        claims: Record<string, unknown>
        dir: Uint8Array
      }) => Promise<string> | string,
      Record<string, unknown>,
      string,
    ]
  >([
    [
      'a nested JWS in a JWE',
      ({ jws, dir }) => encryptToken(jws, { alg: 'dir', key: dir, cty: 'JWT' }),
      {},
      'ok',
    ],
    [
      'a nested JWS whose cty is at+jwt (not relied on)',
      ({ jws, dir }) => encryptToken(jws, { alg: 'dir', key: dir, cty: 'at+jwt' }),
      {},
      'ok',
    ],
    [
      'claims straight in the JWE without allowUnsignedPayload',
      ({ claims, dir }) => encryptToken(claims, { alg: 'dir', key: dir }),
      {},
      'signature_required 401',
    ],
    [
      'claims straight in the JWE with allowUnsignedPayload',
      ({ claims, dir }) => encryptToken(claims, { alg: 'dir', key: dir }),
      { allowUnsignedPayload: true },
      'ok',
    ],
    [
      'expired claims in the JWE',
      ({ claims, dir }) => encryptToken({ ...claims, exp: NOW - 60 }, { alg: 'dir', key: dir }),
      { allowUnsignedPayload: true },
      'token_expired 401',
    ],
    [
      'a plain JWS when decrypt.required',
      ({ jws }) => jws,
      { required: true },
      'encryption_required 401',
    ],
    ['a plain JWS when decryption is optional', ({ jws }) => jws, {}, 'ok'],
    [
      'a JWE under another key',
      ({ jws }) => encryptToken(jws, { alg: 'dir', key: new Uint8Array(32).fill(1) }),
      {},
      'decryption_failed 401',
    ],
  ])('%s', async (_name, build, decryptExtra, expected) => {
    const hs = await keysFor('HS256')
    const dir = new Uint8Array(32).fill(9)
    const claims = { sub: 'a', exp: NOW + 60 }
    const jws = await signToken(claims, { alg: 'HS256', key: hs, now: NOW })
    const token = await build({ jws, claims, dir })
    const options = {
      algorithms: ['HS256'] as const,
      key: hs.secret as Uint8Array,
      decrypt: {
        keys: dir,
        keyManagementAlgorithms: ['dir'] as const,
        contentEncryptionAlgorithms: ['A256GCM'] as const,
        ...decryptExtra,
      },
    }
    await expect(outcome(options, bearer(token))).resolves.toBe(expected)
  })

  it('the context carries the JWE header', async () => {
    const hs = await keysFor('HS256')
    const dir = new Uint8Array(32).fill(9)
    const jws = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs, now: NOW })
    const token = await encryptToken(jws, { alg: 'dir', key: dir, cty: 'JWT' })
    const a = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      decrypt: { keys: dir, keyManagementAlgorithms: ['dir'] },
    })
    const ctx = await a.authenticate(bearer(token))
    expect(ctx?.encryption?.protectedHeader).toMatchObject({ alg: 'dir', enc: 'A256GCM' })
    expect(ctx?.protectedHeader).toMatchObject({ alg: 'HS256' })
  })

  // The context is shared through the cache (docs/ARCHITECTURE.md, "Contexts are frozen"): every
  // part of it is frozen, and its members keep their order (perf issue 17 freezes it part by part).
  it('a context, plain or from a JWE, is frozen all through, its members in a fixed order', async () => {
    const hs = await keysFor('HS256')
    const dir = new Uint8Array(32).fill(9)
    const claims = {
      sub: 'a',
      scope: 'read  write ',
      roles: ['admin', 2],
      obj: { list: [{ x: 1 }] },
    }
    const jws = await signToken(claims, { alg: 'HS256', key: hs, now: NOW })
    const jwe = await encryptToken(jws, { alg: 'dir', key: dir, cty: 'JWT' })
    const a = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      decrypt: { keys: dir, keyManagementAlgorithms: ['dir'] },
      cache: false,
    })
    const frozenThrough = (value: unknown): boolean =>
      typeof value !== 'object' ||
      value === null ||
      (Object.isFrozen(value) && Object.values(value).every(frozenThrough))
    const plain = await a.authenticate(bearer(jws))
    const opened = await a.authenticate(bearer(jwe))
    expect(Object.keys(plain!)).toEqual([
      'token',
      'source',
      'payload',
      'protectedHeader',
      'scopes',
      'roles',
    ])
    expect(Object.keys(opened!)).toEqual([
      'token',
      'source',
      'payload',
      'protectedHeader',
      'encryption',
      'scopes',
      'roles',
    ])
    for (const ctx of [plain, opened]) {
      expect(frozenThrough(ctx)).toBe(true)
      expect([ctx?.scopes, ctx?.roles]).toEqual([['read', 'write'], ['admin']])
      expect((ctx?.payload as typeof claims).obj.list[0]).toEqual({ x: 1 })
    }
  })
})

describe('authenticate: withHeader keeps tampering detectable', () => {
  it('an added header member breaks the signature', async () => {
    const hs = await keysFor('HS256')
    const token = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs, now: NOW })
    await expect(
      outcome(
        { algorithms: ['HS256'], key: hs.secret as Uint8Array },
        bearer(withHeader(token, { kid: 'x' })),
      ),
    ).resolves.toBe('signature_invalid 401')
  })
})
