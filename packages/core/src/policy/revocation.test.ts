// Revocation: the memory store (bounded, pruned at expiry) and the jti check's policies and failures.
import { keysFor, signToken } from '@tokengate/testkit'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createAuthenticator } from '../authenticate.js'
import { AuthError } from '../errors.js'
import { createMemoryRevocationStore, resolveRevocation } from './revocation.js'
import type { AuthContext, Authenticator, RevocationStore } from '../types.js'

const NOW = 1_700_000_000 // frozen clock, epoch seconds

function context(payload: Record<string, unknown>): AuthContext<Record<string, unknown>> {
  return {
    token: 'x.y.z',
    source: 'header',
    payload,
    protectedHeader: { alg: 'ES256' },
    scopes: [],
    roles: [],
  }
}

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AuthError)
  return error as AuthError
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW * 1000, toFake: ['Date'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('createMemoryRevocationStore', () => {
  it('refuses a revoked jti and nothing else', () => {
    const store = createMemoryRevocationStore()
    store.revoke('a', NOW + 600)
    expect(store.isRevoked('a')).toBe(true)
    expect(store.isRevoked('b')).toBe(false)
    expect(store.isRevoked('A')).toBe(false) // RFC 7519 §4.1.7: jti is case-sensitive
  })

  it('keeps an entry past expiresAt for grace (clockTolerance), then drops it', () => {
    const store = createMemoryRevocationStore({ grace: '30s' })
    store.revoke('a', NOW + 10)
    vi.setSystemTime((NOW + 10 + 29) * 1000)
    expect(store.isRevoked('a')).toBe(true) // token still accepted within tolerance: must stay refused
    vi.setSystemTime((NOW + 10 + 30) * 1000)
    expect(store.isRevoked('a')).toBe(false)
    expect(store.size).toBe(0) // dropped on read
  })

  it('keeps the later expiry when the same jti is revoked twice', () => {
    const store = createMemoryRevocationStore({ grace: 0 })
    store.revoke('a', NOW + 100)
    store.revoke('a', NOW + 10)
    vi.setSystemTime((NOW + 50) * 1000)
    expect(store.isRevoked('a')).toBe(true)
  })

  it('does not store a revocation that has already run out', () => {
    const store = createMemoryRevocationStore({ grace: 0 })
    store.revoke('old', NOW - 1)
    expect(store.size).toBe(0)
    expect(store.isRevoked('old')).toBe(false)
  })

  it('is bounded: when full it prunes expired entries to make room', () => {
    const store = createMemoryRevocationStore({ max: 3, grace: 0 })
    store.revoke('a', NOW + 10)
    store.revoke('b', NOW + 10)
    store.revoke('c', NOW + 1000)
    vi.setSystemTime((NOW + 11) * 1000)
    store.revoke('d', NOW + 1000)
    expect(store.size).toBe(2)
    expect(store.isRevoked('c')).toBe(true)
    expect(store.isRevoked('d')).toBe(true)
  })

  it('never evicts a live revocation: full of distinct subjects, it rejects revoke instead', () => {
    const store = createMemoryRevocationStore({ max: 2 })
    store.revoke('a', NOW + 600, { sub: 'alice' })
    store.revoke('b', NOW + 600, { sub: 'bob' })
    expect(() => store.revoke('c', NOW + 600, { sub: 'carol' })).toThrow(/full \(2 live records/)
    expect(store.isRevoked('a')).toBe(true)
    expect(store.isRevoked('b')).toBe(true)
    store.revoke('a', NOW + 900) // re-revoking a held jti needs no room
    expect(store.size).toBe(2)
  })

  it.each([
    ['max 0', { max: 0 }, /max must be a positive integer/],
    ['max 1.5', { max: 1.5 }, /max must be a positive integer/],
    ['grace -1', { grace: -1 }, /grace must be a non-negative/],
    ['grace "soon"', { grace: 'soon' }, /grace must be a non-negative/],
  ])('refuses bad configuration at construction: %s', (_name, options, message) => {
    expect(() => createMemoryRevocationStore(options)).toThrow(message)
  })

  it.each([
    ['empty jti', '', NOW + 10, /jti must be a non-empty string/],
    ['non-string jti', 42 as unknown as string, NOW + 10, /jti must be a non-empty string/],
    ['NaN expiresAt', 'a', Number.NaN, /expiresAt must be a finite number/],
    [
      'Infinity expiresAt (would never be dropped)',
      'a',
      Number.POSITIVE_INFINITY,
      /expiresAt must be a finite/,
    ],
  ])('refuses bad revoke arguments: %s', (_name, jti, expiresAt, message) => {
    expect(() => createMemoryRevocationStore().revoke(jti, expiresAt)).toThrow(message)
  })
})

describe('resolveRevocation: the check', () => {
  const claims = (extra: Record<string, unknown>) => ({ sub: 'alice', exp: NOW + 600, ...extra })

  it('returns undefined when no revocation is configured', () => {
    expect(resolveRevocation(undefined)).toBeUndefined()
  })

  it.each([
    ['a revoked jti is refused (token_revoked)', 'reject', { jti: 'gone' }, 'token_revoked', 401],
    ['RFC 9068 §2.2: no jti under the default reject policy', 'reject', {}, 'claim_invalid', 401],
    ['RFC 7519 §4.1.7: a numeric jti is malformed', 'allow', { jti: 7 }, 'claim_invalid', 401],
    ['an empty jti identifies nothing', 'allow', { jti: '' }, 'claim_invalid', 401],
  ] as const)('%s', async (_name, withoutJti, extra, code, status) => {
    const store = createMemoryRevocationStore()
    store.revoke('gone', NOW + 600)
    const revocation = resolveRevocation({ store, withoutJti })!
    const c = claims(extra)
    const error = await failure(revocation.check(context(c), c))
    expect(error.code).toBe(code)
    expect(error.status).toBe(status)
  })

  it.each([
    ['a live jti passes', 'reject', { jti: 'fine' }],
    ['no jti passes under the allow policy', 'allow', {}],
  ] as const)('%s', async (_name, withoutJti, extra) => {
    const revocation = resolveRevocation({ store: createMemoryRevocationStore(), withoutJti })!
    const c = claims(extra)
    await expect(revocation.check(context(c), c)).resolves.toBeUndefined()
  })

  it('defaults to the reject policy when given a bare store', async () => {
    const revocation = resolveRevocation(createMemoryRevocationStore())!
    const c = claims({})
    expect((await failure(revocation.check(context(c), c))).code).toBe('claim_invalid')
  })

  it('reads jti from the claims as signed, not from a reshaped payload', async () => {
    const store = createMemoryRevocationStore()
    store.revoke('gone', NOW + 600)
    const revocation = resolveRevocation(store)!
    const error = await failure(
      revocation.check(context({ user: 'alice' }), claims({ jti: 'gone' })),
    )
    expect(error.code).toBe('token_revoked')
  })

  it('passes the jti and the context to the store', async () => {
    const isRevoked = vi.fn(() => false)
    const revocation = resolveRevocation({ isRevoked, revoke: () => undefined })!
    const c = claims({ jti: 'j1' })
    const ctx = context(c)
    await revocation.check(ctx, c)
    expect(isRevoked).toHaveBeenCalledWith('j1', ctx, { sub: 'alice' })
  })

  it.each([
    [
      'throws',
      () => {
        throw new Error('connection refused')
      },
    ],
    ['rejects', () => Promise.reject(new Error('timeout'))],
    ['answers neither true nor false', () => undefined as unknown as boolean],
  ])(
    'a store that %s fails closed: 503 revocation_unavailable with Retry-After',
    async (_name, isRevoked) => {
      const store: RevocationStore = { isRevoked, revoke: () => undefined }
      const revocation = resolveRevocation(store)!
      const c = claims({ jti: 'j1' })
      const error = await failure(revocation.check(context(c), c))
      expect(error.code).toBe('revocation_unavailable')
      expect(error.status).toBe(503)
      const response = error.toResponse()
      expect(response.headers['retry-after']).toBe('5')
      expect(response.body).toMatchObject({
        error: 'temporarily_unavailable',
        code: 'revocation_unavailable',
      })
      expect(response.headers['www-authenticate']).toBeUndefined()
    },
  )

  it("passes a store's own AuthError through unchanged", async () => {
    const own = new AuthError('revocation_unavailable', 'Redis is down', { retryAfter: 2 })
    const revocation = resolveRevocation({
      isRevoked: () => Promise.reject(own),
      revoke: () => undefined,
    })!
    const c = claims({ jti: 'j1' })
    expect(await failure(revocation.check(context(c), c))).toBe(own)
  })

  it.each([
    ['a string', 'redis://x', /must be a store/],
    ['a store without revoke', { isRevoked: () => false }, /must be a store/],
    [
      'an unknown policy',
      { store: createMemoryRevocationStore(), withoutJti: 'ignore' },
      /withoutJti must be 'allow' or 'reject'/,
    ],
    [
      'a misspelt key',
      { store: createMemoryRevocationStore(), withoutJTI: 'allow' },
      /unknown option options\.revocation\.withoutJTI: options\.revocation takes \{ store, withoutJti \}/,
    ],
    ['store not a store', { store: {} }, /revocation\.store must have isRevoked/],
  ])('refuses bad configuration at start-up: %s', (_name, option, message) => {
    expect(() => resolveRevocation(option)).toThrow(message)
  })
})

describe('resolveRevocation: revoke(ctx)', () => {
  it('revokes until exp plus the clock tolerance, using the claims the check saw', async () => {
    const revoke = vi.fn()
    const revocation = resolveRevocation({ isRevoked: () => false, revoke })!
    const ctx = context({ user: 'alice' }) // a zod schema dropped jti and exp from the payload
    await revocation.check(ctx, { jti: 'j1', exp: NOW + 600 })
    await revocation.revoke(ctx, 5)
    expect(revoke).toHaveBeenCalledWith('j1', NOW + 605, {})
  })

  it('falls back to the payload for a context it has not seen', async () => {
    const revoke = vi.fn()
    const revocation = resolveRevocation({ isRevoked: () => false, revoke })!
    await revocation.revoke(context({ jti: 'j2', exp: NOW + 60 }), 0)
    expect(revoke).toHaveBeenCalledWith('j2', NOW + 60, {})
  })

  it.each([
    ['no jti', { exp: NOW + 60 }, /no "jti" claim/],
    ['no exp (the entry would never end)', { jti: 'j3' }, /no "exp" claim/],
  ])('rejects a token it cannot revoke: %s', async (_name, payload, message) => {
    const revocation = resolveRevocation(createMemoryRevocationStore())!
    await expect(revocation.revoke(context(payload), 5)).rejects.toThrow(message)
  })

  it('lets a store failure through, so logout knows the revocation did not stick', async () => {
    const revocation = resolveRevocation({
      isRevoked: () => false,
      revoke: () => Promise.reject(new Error('redis down')),
    })!
    await expect(revocation.revoke(context({ jti: 'j', exp: NOW + 60 }), 5)).rejects.toThrow(
      'redis down',
    )
  })
})

describe('createAuthenticator with revocation', () => {
  const request = (token: string) => ({
    method: 'GET',
    url: '/me',
    headers: { authorization: `Bearer ${token}` },
  })

  async function setup(revocation: unknown, extra: Record<string, unknown> = {}) {
    const keys = await keysFor('ES256')
    const authenticator = createAuthenticator({
      algorithms: ['ES256'],
      key: keys.publicJwk,
      revocation: revocation as RevocationStore,
      ...extra,
    })
    const sign = (claims: Record<string, unknown>) =>
      signToken(claims, { alg: 'ES256', key: keys, now: NOW })
    return { authenticator, sign }
  }

  async function refused(authenticator: Authenticator, token: string): Promise<AuthError> {
    return failure(authenticator.authenticate(request(token)))
  }

  it('logout: revoke(ctx) then the same token is refused (token_revoked, 401), others still pass', async () => {
    const store = createMemoryRevocationStore()
    const { authenticator, sign } = await setup(store)
    const token = await sign({ sub: 'alice', jti: 'j-1' })
    const other = await sign({ sub: 'alice', jti: 'j-2' })
    const ctx = (await authenticator.authenticate(request(token)))!
    await authenticator.revoke(ctx)
    const error = await refused(authenticator, token)
    expect([error.code, error.status, error.error]).toEqual(['token_revoked', 401, 'invalid_token'])
    expect((await authenticator.authenticate(request(other)))?.payload.jti).toBe('j-2')
  })

  it('DESIGN "Cache": a cache hit still asks the store', async () => {
    const isRevoked = vi.fn((jti: string) => jti === 'late')
    const { authenticator, sign } = await setup({
      isRevoked: (jti: string) => isRevoked(jti),
      revoke: () => undefined,
    })
    const token = await sign({ jti: 'ok' })
    await authenticator.authenticate(request(token))
    await authenticator.authenticate(request(token)) // served from the verified-token cache
    expect(isRevoked).toHaveBeenCalledTimes(2)
  })

  it('a token revoked after it was cached is refused on the next request', async () => {
    const store = createMemoryRevocationStore()
    const { authenticator, sign } = await setup(store)
    const token = await sign({ jti: 'cached' })
    await authenticator.authenticate(request(token))
    store.revoke('cached', NOW + 3600)
    expect((await refused(authenticator, token)).code).toBe('token_revoked')
  })

  it('revoke(ctx) keeps the entry until exp + clockTolerance', async () => {
    const revoke = vi.fn()
    const { authenticator, sign } = await setup(
      { isRevoked: () => false, revoke },
      { clockTolerance: '30s' },
    )
    const ctx = (await authenticator.authenticate(
      request(await sign({ jti: 'j', exp: NOW + 60 })),
    ))!
    await authenticator.revoke(ctx)
    expect(revoke).toHaveBeenCalledWith('j', NOW + 90, expect.objectContaining({}))
  })

  it('the isRevoked hook and the store both apply', async () => {
    const store = createMemoryRevocationStore()
    store.revoke('by-store', NOW + 3600)
    const { authenticator, sign } = await setup(store, {
      isRevoked: (ctx: AuthContext) => ctx.payload.sub === 'banned',
    })
    expect((await refused(authenticator, await sign({ jti: 'by-store' }))).code).toBe(
      'token_revoked',
    )
    expect((await refused(authenticator, await sign({ jti: 'fresh', sub: 'banned' }))).code).toBe(
      'token_revoked',
    )
    expect(
      await authenticator.authenticate(request(await sign({ jti: 'fresh', sub: 'ok' }))),
    ).not.toBeNull()
  })

  it.each([
    [
      'RFC 9068 §2.2: no jti, default policy reject',
      createMemoryRevocationStore(),
      {},
      'claim_invalid',
      401,
    ],
    [
      'a store that rejects: fail closed',
      { isRevoked: () => Promise.reject(new Error('down')), revoke: () => undefined },
      { jti: 'j' },
      'revocation_unavailable',
      503,
    ],
  ])('%s', async (_name, revocation, claims, code, status) => {
    const { authenticator, sign } = await setup(revocation)
    const error = await refused(authenticator, await sign({ sub: 'alice', ...claims }))
    expect([error.code, error.status]).toEqual([code, status])
  })

  it("withoutJti: 'allow' accepts a jti-less token, whose revoke(ctx) then rejects", async () => {
    const { authenticator, sign } = await setup({
      store: createMemoryRevocationStore(),
      withoutJti: 'allow',
    })
    const ctx = (await authenticator.authenticate(request(await sign({ sub: 'alice' }))))!
    expect(ctx.payload.sub).toBe('alice')
    await expect(authenticator.revoke(ctx)).rejects.toThrow(/no "jti" claim/)
  })

  it('revoke(ctx) works when a zod schema dropped jti and exp from the payload', async () => {
    const store = createMemoryRevocationStore()
    const { authenticator, sign } = await setup(store, { claims: z.object({ sub: z.string() }) })
    const token = await sign({ sub: 'alice', jti: 'zod' })
    const ctx = (await authenticator.authenticate(request(token)))!
    expect(ctx.payload).toEqual({ sub: 'alice' })
    await authenticator.revoke(ctx)
    expect(store.isRevoked('zod')).toBe(true)
  })

  it('revoke(ctx) without a configured store is a TypeError', async () => {
    const { authenticator, sign } = await setup(undefined)
    const ctx = (await authenticator.authenticate(request(await sign({ jti: 'j' }))))!
    await expect(authenticator.revoke(ctx)).rejects.toThrow(TypeError)
  })

  it('a bad revocation option fails at start-up', async () => {
    await expect(
      setup({ store: createMemoryRevocationStore(), withoutJti: 'maybe' }),
    ).rejects.toThrow(/options\.revocation\.withoutJti/)
  })
})
