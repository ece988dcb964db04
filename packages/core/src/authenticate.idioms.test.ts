// The idioms of issue 15 through createAuthenticator: preflights, skip, passthrough, and issuers as
// a function of the token's unverified iss (per-request tenants).
import { jwksOf, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from './authenticate.js'
import { AuthError } from './errors.js'
import { ISSUER_LOOKUP } from './policy/issuers.js'
import type { AuthenticatorOptions, IssuerOptions, IssuerResolver, RequestLike } from './types.js'

const A = 'https://a.example'
const B = 'https://b.example'
let es: TestKeys
let other: TestKeys
let hs: TestKeys
beforeAll(async () => {
  ;[es, other, hs] = await Promise.all([
    keysFor('ES256', { kid: 'a' }),
    keysFor('ES256', { kid: 'b' }),
    keysFor('HS256', { kid: 'h' }),
  ])
})
afterEach(() => {
  vi.useRealTimers()
})

const single = (extra: Partial<AuthenticatorOptions> = {}): AuthenticatorOptions =>
  ({ algorithms: ['ES256'], key: es.publicJwk, issuer: A, ...extra }) as AuthenticatorOptions
const token = (iss: unknown = A, key = es, extra: Record<string, unknown> = {}) =>
  signToken({ sub: 'alice', iss, ...extra } as never, { alg: 'ES256', key })
const request = (
  headers: Record<string, string> = {},
  method = 'GET',
  url = '/api',
): RequestLike => ({
  method,
  url,
  headers,
})
const bearer = async (t: string | Promise<string>) =>
  request({ authorization: `Bearer ${await t}` })

async function outcome(o: AuthenticatorOptions, r: RequestLike | Promise<RequestLike>) {
  try {
    const ctx = await createAuthenticator(o).authenticate(await r)
    return ctx === null ? 'null' : `ok ${String(ctx.payload.sub)}`
  } catch (err) {
    if (err instanceof AuthError) return `${err.code} ${err.status}`
    throw err
  }
}

describe('preflight (default on)', () => {
  const preflight = request(
    { 'access-control-request-method': 'PUT', origin: 'https://app.example' },
    'OPTIONS',
  )
  it('a CORS preflight resolves null, without a token', async () => {
    expect(await outcome(single(), preflight)).toBe('null')
  })
  it('preflight: false authenticates it like any request', async () => {
    expect(await outcome(single({ preflight: false }), preflight)).toBe('token_missing 401')
  })
  it('a plain OPTIONS request (no Access-Control-Request-Method) is authenticated', async () => {
    expect(await outcome(single(), request({}, 'OPTIONS'))).toBe('token_missing 401')
  })
  it('preflight must be a boolean', () => {
    expect(() => createAuthenticator(single({ preflight: 'yes' as never }))).toThrow(
      /^tokengate: options\.preflight must be true or false/,
    )
  })
})

describe('skip', () => {
  it('a skipped request resolves null before any token is read (even a malformed one)', async () => {
    const o = single({ skip: { path: ['/health'] } })
    expect(
      await outcome(o, { ...request({ authorization: 'Bearer a b c' }), url: '/health' }),
    ).toBe('null')
    expect(await outcome(o, request({ authorization: 'Bearer a b c' }))).toBe('invalid_request 400')
  })
  it("a skip function that throws is the app's error, not an AuthError (the framework's 500)", async () => {
    const o = single({
      skip: () => {
        throw new Error('skip bug')
      },
    })
    await expect(createAuthenticator(o).authenticate(request())).rejects.toThrow('skip bug')
  })
})

describe('passthrough: a refused token leaves the request anonymous, with the reason', () => {
  const o = () => single({ passthrough: true, from: { header: true, cookie: 'at' } })
  it.each<[string, () => Promise<RequestLike>, string | undefined]>([
    ['no token: anonymous, no refusal', async () => request(), undefined],
    ['a forged signature', () => bearer(token(A, other)), 'signature_invalid'],
    [
      'an expired token',
      () => bearer(signToken({ sub: 'a', iss: A }, { alg: 'ES256', key: es, exp: 1000, iat: 900 })),
      'token_expired',
    ],
    ['another issuer', () => bearer(token(B)), 'claim_invalid'],
    ['garbage', async () => request({ authorization: 'Bearer abc' }), 'token_malformed'],
  ])('%s', async (_name, r, code) => {
    const authenticator = createAuthenticator(o())
    const attempt = await authenticator.attempt(await r())
    expect(attempt.context).toBeNull()
    expect(attempt.refusal?.code).toBe(code)
    expect(await authenticator.authenticate(await r())).toBeNull()
  })

  it('a valid token still gives its context', async () => {
    const attempt = await createAuthenticator(o()).attempt(await bearer(token()))
    expect(attempt.context?.payload.sub).toBe('alice')
    expect(attempt.refusal).toBeUndefined()
  })

  it.each<[string, () => Promise<RequestLike>, () => AuthenticatorOptions, string]>([
    [
      '400: two tokens (RFC 6750 §2)',
      async () =>
        request({ authorization: `Bearer ${await token()}`, cookie: `at=${await token()}` }),
      o,
      'multiple_tokens 400',
    ],
    [
      '400: a malformed Authorization header',
      async () => request({ authorization: 'Bearer a b' }),
      o,
      'invalid_request 400',
    ],
    [
      '403: a cross-site cookie token on POST',
      async () => ({
        ...request(
          { cookie: `at=${await token()}`, origin: 'https://evil.example' },
          'POST',
          'https://api.example/x',
        ),
        headers: {
          cookie: `at=${await token()}`,
          origin: 'https://evil.example',
          host: 'api.example',
        },
      }),
      o,
      'csrf_rejected 403',
    ],
    [
      '503: keys unavailable',
      () => bearer(token()),
      () =>
        single({ passthrough: true, key: { jwksUri: 'http://127.0.0.1:9/jwks', timeout: '2s' } }),
      'keys_unavailable 503',
    ],
    [
      '503: a revocation hook that throws',
      () => bearer(token()),
      () =>
        single({
          passthrough: true,
          isRevoked: () => {
            throw new Error('store down')
          },
        }),
      'revocation_unavailable 503',
    ],
  ])('still fails closed: %s', async (_name, r, options, expected) => {
    expect(await outcome(options(), r())).toBe(expected)
    await expect(createAuthenticator(options()).attempt(await r())).rejects.toBeInstanceOf(
      AuthError,
    )
  })

  it('without passthrough, attempt() rejects as authenticate() does', async () => {
    await expect(
      createAuthenticator(single()).attempt(await bearer(token(A, other))),
    ).rejects.toMatchObject({
      code: 'signature_invalid',
    })
  })

  it('passthrough must be a boolean', () => {
    expect(() => createAuthenticator(single({ passthrough: 1 as never }))).toThrow(
      /^tokengate: options\.passthrough must be true or false/,
    )
  })
})

describe('issuers as a function of the unverified iss (per-request tenants)', () => {
  const tenants: Record<string, IssuerOptions> = {}
  beforeAll(() => {
    tenants[A] = { issuer: A, key: es.publicJwk, algorithms: ['ES256'] }
    tenants[B] = {
      issuer: B,
      key: { jwks: jwksOf(other) },
      algorithms: ['ES256'],
      audience: 'api-b',
    }
  })
  const counted = (fn: IssuerResolver) => {
    const calls: string[] = []
    const resolver: IssuerResolver = (iss) => {
      calls.push(iss)
      return fn(iss)
    }
    return { calls, options: { issuers: resolver, audience: 'api' } as AuthenticatorOptions }
  }

  it('the iss picks the tenant, its keys verify the token, and the answer is cached', async () => {
    const { calls, options } = counted((iss) => tenants[iss])
    const authenticator = createAuthenticator({ ...options, cache: false })
    for (let i = 0; i < 3; i++) {
      const ctx = await authenticator.authenticate(await bearer(token(A, es, { aud: 'api' })))
      expect(ctx?.payload.iss).toBe(A)
    }
    const b = await authenticator.authenticate(await bearer(token(B, other, { aud: 'api-b' })))
    expect(b?.payload.iss).toBe(B)
    expect(calls).toEqual([A, B])
  })

  it('concurrent requests for one new iss share one lookup', async () => {
    const { calls, options } = counted(async (iss) => tenants[iss])
    const authenticator = createAuthenticator({ ...options, cache: false })
    const t = await bearer(token(A, es, { aud: 'api' }))
    await Promise.all([1, 2, 3, 4].map(() => authenticator.authenticate(t)))
    expect(calls).toEqual([A])
  })

  it.each<[string, () => Promise<RequestLike>, string]>([
    [
      "A's iss, signed with B's key: verified with A's keys only",
      () => bearer(token(A, other, { aud: 'api' })),
      'signature_invalid 401',
    ],
    [
      'an unknown tenant (undefined): the code of an unlisted issuer',
      () => bearer(token('https://nobody.example', es, { aud: 'api' })),
      'issuer_unknown 401',
    ],
    [
      'no iss: the function is not asked',
      () => bearer(signToken({ sub: 'alice', aud: 'api' }, { alg: 'ES256', key: es })),
      'issuer_unknown 401',
    ],
    ['a non-string iss', () => bearer(token(42, es, { aud: 'api' })), 'issuer_unknown 401'],
    ['an empty iss', () => bearer(token('', es, { aud: 'api' })), 'issuer_unknown 401'],
    [
      "the tenant's own audience applies",
      () => bearer(token(B, other, { aud: 'api' })),
      'claim_invalid 401',
    ],
  ])('%s', async (_name, r, expected) => {
    const { calls, options } = counted((iss) => tenants[iss])
    expect(await outcome(options, r())).toBe(expected)
    expect(calls.every((iss) => typeof iss === 'string' && iss !== '')).toBe(true)
  })

  it('an unknown iss is asked once, then remembered for a while (a flood costs one lookup each)', async () => {
    const { calls, options } = counted(() => undefined)
    const authenticator = createAuthenticator(options)
    const r = await bearer(token('https://nobody.example', es, { aud: 'api' }))
    for (let i = 0; i < 3; i++)
      await expect(authenticator.authenticate(r)).rejects.toMatchObject({ code: 'issuer_unknown' })
    expect(calls).toHaveLength(1)
  })

  it.each<[string, IssuerResolver]>([
    [
      'throws',
      () => {
        throw new Error('tenant db down')
      },
    ],
    ['rejects', () => Promise.reject(new Error('tenant db down'))],
    ['answers an entry for another issuer', () => tenants[B]],
    ['answers an invalid entry (no algorithms)', () => ({ issuer: A, key: es.publicJwk }) as never],
    [
      'answers an unsafe entry (alg none)',
      () => ({ issuer: A, key: es.publicJwk, algorithms: ['none'] }) as never,
    ],
    ['answers something that is not an entry', () => 'yes' as never],
  ])(
    'a function that %s is 503 keys_unavailable (never 500, never a pass), and is asked again',
    async (_name, fn) => {
      const { calls, options } = counted(fn)
      const authenticator = createAuthenticator(options)
      const r = await bearer(token(A, es, { aud: 'api' }))
      for (let i = 0; i < 2; i++) {
        const err = await authenticator.authenticate(r).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(AuthError)
        expect((err as AuthError).code).toBe('keys_unavailable')
        expect((err as AuthError).status).toBe(503)
        expect((err as AuthError).retryAfter).toBeGreaterThan(0)
      }
      expect(calls).toHaveLength(2)
    },
  )

  it(`a function that never answers is 503 keys_unavailable after ${ISSUER_LOOKUP.timeoutMs} ms`, async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const { options } = counted(() => new Promise<never>(() => undefined))
    const pending = createAuthenticator(options)
      .authenticate(await bearer(token(A, es, { aud: 'api' })))
      .catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(ISSUER_LOOKUP.timeoutMs)
    expect(await pending).toMatchObject({ code: 'keys_unavailable', status: 503 })
  })

  it('with a function, top-level key, algorithms and issuer are still refused', () => {
    expect(() =>
      createAuthenticator({ issuers: () => undefined, algorithms: ['ES256'] } as never),
    ).toThrow(/options\.algorithms and options\.issuers are mutually exclusive/)
  })

  it('HMAC tenants work too (the entry is checked like a listed one)', async () => {
    const o = {
      issuers: () => ({ issuer: A, key: hs.secret as Uint8Array, algorithms: ['HS256'] }),
    } as AuthenticatorOptions
    const t = await signToken({ sub: 'alice', iss: A }, { alg: 'HS256', key: hs })
    expect(await outcome(o, bearer(t))).toBe('ok alice')
  })
})
