// Fastify-specific behaviour the conformance table cannot see: plugin start-up errors, encapsulation,
// per-route hooks, Fastify's own error handlers.
import { keysFor, signToken } from '@tokengate/testkit'
import type { TestKeys } from '@tokengate/testkit'
import Fastify, { type FastifyInstance } from 'fastify'
import { beforeAll, describe, expect, it } from 'vitest'
import { authErrorHandler, authHook, isAuthError, requireRoles, tokengate } from './index.js'
import type { TokengateOptions } from './index.js'

let keys: TestKeys
beforeAll(async () => {
  keys = await keysFor('ES256')
})
const options = () => ({ algorithms: ['ES256'] as const, key: keys.publicJwk, realm: 'api' })
const token = (claims = {}) => signToken({ sub: 'alice', ...claims }, { alg: 'ES256', key: keys })
const bearer = async (claims = {}) => ({ authorization: `Bearer ${await token(claims)}` })

async function app(
  build: (app: FastifyInstance) => void | Promise<void>,
): Promise<FastifyInstance> {
  const a = Fastify()
  await build(a)
  await a.ready()
  return a
}

describe('start-up', () => {
  it.each([
    ['a bad adapter option, named', { onError: 'throw' }, /adapterOptions\.onError/],
    ['an unknown option, named', { secret: 'x' }, /unknown option adapterOptions\.secret/],
    [
      "a property Fastify's request already has",
      { property: 'headers' },
      /property 'headers' is taken/,
    ],
    [
      'a hook that is not onRequest',
      { hook: 'preHandler' },
      /options\.hook must be 'onRequest' or false/,
    ],
  ])('refuses %s when the plugin loads', async (_what, extra, message) => {
    const a = Fastify()
    void a.register(tokengate, { authenticator: options(), ...extra } as TokengateOptions)
    await expect(a.ready()).rejects.toThrow(message)
  })

  it("refuses bad core options when the plugin loads, not as a 500 later (alg 'none')", async () => {
    const a = Fastify()
    void a.register(tokengate, { authenticator: { ...options(), algorithms: ['none'] as never } })
    await expect(a.ready()).rejects.toThrow(/options\.algorithms/)
  })

  it('refuses a second registration under the same decorator, saying how to name it', async () => {
    const a = Fastify()
    void a.register(tokengate, { authenticator: options() })
    void a.register(tokengate, { authenticator: options() })
    await expect(a.ready()).rejects.toThrow(
      /decorator "authenticate" is taken.*decorator: 'authenticateAdmin'/,
    )
  })
})

describe('where it authenticates', () => {
  it('the onRequest hook covers the encapsulated context it is registered in, not its siblings', async () => {
    const a = await app(async (a) => {
      await a.register(async (api) => {
        await api.register(tokengate, { authenticator: options() })
        api.get('/private', async (request) => ({ sub: request.auth?.payload.sub }))
      })
      a.get('/open', async (request) => ({ auth: request.auth ?? null }))
    })
    expect((await a.inject('/open')).json()).toEqual({ auth: null })
    const refused = await a.inject('/private')
    expect(refused.statusCode).toBe(401)
    expect(refused.headers['www-authenticate']).toBe('Bearer realm="api"')
    expect(refused.headers['content-type']).toBe('application/json')
    expect(Object.keys(refused.json())).toEqual(['error_description', 'code'])
    expect(refused.json()).toMatchObject({ code: 'token_missing' })
    const ok = await a.inject({ url: '/private', headers: await bearer() })
    expect(ok.json()).toEqual({ sub: 'alice' })
  })

  it("hook: false authenticates only routes that list fastify.authenticate (@fastify/jwt's idiom)", async () => {
    const a = await app(async (a) => {
      await a.register(tokengate, { authenticator: options(), hook: false })
      a.get('/open', async () => ({ open: true }))
      a.get('/me', { onRequest: [a.authenticate] }, async (request) => request.auth?.payload)
      a.get(
        '/admin',
        { onRequest: [a.authenticate], preHandler: requireRoles('admin') },
        async () => 'x',
      )
    })
    expect((await a.inject('/open')).statusCode).toBe(200)
    expect((await a.inject('/me')).statusCode).toBe(401)
    expect((await a.inject({ url: '/me', headers: await bearer() })).json()).toMatchObject({
      sub: 'alice',
    })
    const short = await a.inject({ url: '/admin', headers: await bearer() })
    expect(short.statusCode).toBe(403)
    expect(short.json()).toMatchObject({ code: 'insufficient_role' })
  })

  it('property puts the context where asked (request.user, as @fastify/jwt users read it)', async () => {
    const a = await app(async (a) => {
      await a.register(tokengate, { authenticator: options(), property: 'user' })
      a.get('/', async (request) => ({
        user: (request as unknown as { user?: { payload: { sub: string } } }).user?.payload.sub,
        auth: request.auth ?? null,
      }))
    })
    expect((await a.inject({ url: '/', headers: await bearer() })).json()).toEqual({
      user: 'alice',
      auth: null,
    })
  })

  it('authHook() is a hook of its own, for routes with another authenticator', async () => {
    const other = authHook({ ...options(), audience: 'api://other' })
    const a = await app((a) => {
      a.get('/other', { onRequest: [other] }, async () => 'ok')
    })
    const res = await a.inject({ url: '/other', headers: await bearer({ aud: 'api://mine' }) })
    expect(res.statusCode).toBe(401)
    expect(res.json()).toMatchObject({ code: 'claim_invalid' })
  })
})

describe('errors', () => {
  it("delegate with no error handler of the app's: Fastify's default one still sends status and challenge", async () => {
    const a = await app(async (a) => {
      await a.register(tokengate, { authenticator: options(), onError: 'delegate' })
      a.get('/', async () => 'ok')
    })
    const res = await a.inject('/')
    expect(res.statusCode).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('delegate hands the AuthError itself to setErrorHandler; authErrorHandler renders it', async () => {
    let seen: unknown
    const a = await app(async (a) => {
      a.setErrorHandler((error, request, reply) => {
        seen = error
        return authErrorHandler(error, request, reply)
      })
      await a.register(tokengate, { authenticator: options(), onError: 'delegate' })
      a.get('/', async () => 'ok')
    })
    const res = await a.inject('/')
    expect(isAuthError(seen) && seen.code).toBe('token_missing')
    expect(res.statusCode).toBe(401)
    expect(res.json()).toEqual({
      error_description: (seen as Error).message,
      code: 'token_missing',
    })
  })

  it('authErrorHandler rethrows anything else to the parent handler', async () => {
    const a = await app((a) => {
      a.setErrorHandler(authErrorHandler)
      a.get('/', async () => {
        throw Object.assign(new Error('teapot'), { statusCode: 418 })
      })
    })
    expect((await a.inject('/')).statusCode).toBe(418)
  })

  it('a throwing isRevoked hook is a 503 revocation_unavailable, never a 500', async () => {
    const a = await app(async (a) => {
      await a.register(tokengate, {
        authenticator: {
          ...options(),
          isRevoked: () => {
            throw new Error('db down')
          },
        },
      })
      a.get('/', async () => 'ok')
    })
    const res = await a.inject({ url: '/', headers: await bearer() })
    expect(res.statusCode).toBe(503)
    expect(res.json()).toMatchObject({ code: 'revocation_unavailable' })
  })

  it('a bug in a custom extractor reaches Fastify as a 500, not rendered as an AuthError', async () => {
    const a = await app(async (a) => {
      await a.register(tokengate, {
        authenticator: {
          ...options(),
          from: {
            custom: () => {
              throw new Error('extractor bug')
            },
          },
        },
      })
      a.get('/', async () => 'ok')
    })
    const res = await a.inject('/')
    expect(res.statusCode).toBe(500)
    expect(res.headers['www-authenticate']).toBeUndefined()
  })
})
