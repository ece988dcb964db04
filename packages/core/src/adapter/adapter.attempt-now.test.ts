// attemptNow (issue 17): the adapters' attempt, answering a plain cache hit without a promise so the
// framework's next() runs in the same turn. It must give exactly attempt()'s result, and a promise
// whenever anything asynchronous is configured or the request is refused.
import { keysFor, signToken } from '@tokengate/testkit'
import { describe, expect, it } from 'vitest'
import { attemptNowOf, createAuthenticator } from '../authenticate.js'
import type { AuthenticatorOptions, RequestLike } from '../types.js'
import { setupAdapter } from './setup.js'

const hs = await keysFor('HS256')
const token = await signToken({ sub: 'a', scope: 'read' }, { alg: 'HS256', key: hs })
const options: AuthenticatorOptions = { algorithms: ['HS256'], key: hs.secret as Uint8Array }
const request = (authorization?: string): RequestLike => ({
  method: 'GET',
  url: 'https://api.example/me',
  headers: authorization === undefined ? {} : { authorization },
})
const bearer = request(`Bearer ${token}`)

describe('attemptNow', () => {
  it('a cache hit is answered synchronously, with the very context attempt() gives', async () => {
    const { attemptNow, attempt } = setupAdapter(createAuthenticator, options)
    // Verified twice (the doorkeeper admits on the second sighting), then a hit.
    const first = attemptNow(bearer)
    expect(first).toBeInstanceOf(Promise)
    const verified = await first
    await attemptNow(bearer)
    const hit = attemptNow(bearer)
    expect(hit).not.toBeInstanceOf(Promise)
    expect(hit).toEqual({ context: verified.context, refusal: undefined })
    expect((hit as Awaited<typeof hit>).context).toBe((await attempt(bearer)).context)
  })

  it('refusals are rejected promises, the same AuthError as attempt()', async () => {
    const { attemptNow, attempt } = setupAdapter(createAuthenticator, { ...options, realm: 'api' })
    for (const req of [request(), request('Bearer a.b'), request('Basic x')]) {
      const now = attemptNow(req)
      expect(now).toBeInstanceOf(Promise)
      const error = await (now as Promise<unknown>).catch((err: unknown) => err)
      const expected = await attempt(req).catch((err: unknown) => err)
      expect(error).toEqual(expected)
      expect(error).toMatchObject({ code: (expected as { code: string }).code, realm: 'api' })
    }
  })

  it('passthrough and optional answer as attempt() does', async () => {
    const passthrough = setupAdapter(createAuthenticator, { ...options, passthrough: true })
    const refused = await passthrough.attemptNow(request('Bearer a.b.c'))
    expect(refused.context).toBeNull()
    expect(refused.refusal).toMatchObject({ code: 'token_malformed' })
    const optional = setupAdapter(createAuthenticator, { ...options, optional: true })
    expect(await optional.attemptNow(request())).toEqual({ context: null, refusal: undefined })
  })

  it.each<[string, Partial<AuthenticatorOptions>]>([
    ['a revocation hook', { isRevoked: () => false }],
    ['an observer', { onDecision: () => {} }],
  ])('with %s, even a cache hit goes through a promise', async (_what, extra) => {
    const { attemptNow } = setupAdapter(createAuthenticator, { ...options, ...extra })
    for (let i = 0; i < 2; i++) await attemptNow(bearer)
    const hit = attemptNow(bearer)
    expect(hit).toBeInstanceOf(Promise)
    expect((await hit).context?.payload.sub).toBe('a')
  })

  it('a revoked token is refused on a cache hit as on a fresh one', async () => {
    let revoked = false
    const { attemptNow } = setupAdapter(createAuthenticator, {
      ...options,
      isRevoked: () => revoked,
    })
    for (let i = 0; i < 3; i++) expect((await attemptNow(bearer)).context).not.toBeNull()
    revoked = true
    await expect(attemptNow(bearer)).rejects.toMatchObject({ code: 'token_revoked' })
  })

  it('an authenticator whose attempt was replaced (a spy, a wrapper) is called through it', async () => {
    const authenticator = createAuthenticator(options)
    expect(attemptNowOf(authenticator)).toBeTypeOf('function')
    const original = authenticator.attempt
    let calls = 0
    authenticator.attempt = (req) => {
      calls++
      return original(req)
    }
    expect(attemptNowOf(authenticator)).toBeUndefined()
    const { attemptNow } = setupAdapter(createAuthenticator, authenticator)
    for (let i = 0; i < 3; i++) expect((await attemptNow(bearer)).context?.payload.sub).toBe('a')
    expect(calls).toBe(3)
    expect(attemptNowOf({ ...authenticator })).toBeUndefined()
  })
})
