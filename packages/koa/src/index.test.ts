// Koa-specific behaviour the conformance suite cannot see: start-up errors, Koa's own error handling.
import { keysFor, signToken } from '@tokengate/testkit'
import type { TestKeys } from '@tokengate/testkit'
import Koa from 'koa'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { isAuthError, requireScopes, tokengate } from './index.js'
import type { AdapterOptions } from './index.js'

let keys: TestKeys
beforeAll(async () => {
  keys = await keysFor('ES256')
})
const options = () => ({ algorithms: ['ES256'] as const, key: keys.publicJwk, realm: 'api' })
const token = (claims = {}) => signToken({ sub: 'alice', ...claims }, { alg: 'ES256', key: keys })

function quiet(app: Koa): Koa {
  app.silent = true
  return app
}

describe('@tokengate/koa', () => {
  it('refuses a bad adapter option at start-up, naming it', () => {
    expect(() => tokengate(options(), { onError: 'throw' } as unknown as AdapterOptions)).toThrow(
      /adapterOptions\.onError/,
    )
  })

  // Issue 17: a cache hit calls next() synchronously (attemptNow), a miss after a promise. Requests
  // 1 and 2 verify (the doorkeeper admits on the second sighting), 3 and 4 are hits: the same
  // ctx.state.auth downstream, the same next() promise (what runs after it upstream), and a later
  // throw or rejection reaches the app's try/catch middleware alike.
  it('a cache hit and a miss reach downstream and upstream error handling alike', async () => {
    const seen: unknown[] = []
    const bug = new Error('route bug')
    const app = quiet(new Koa())
      .use(async (ctx, next) => {
        try {
          await next()
          ctx.set('x-after', 'ran')
        } catch (err) {
          seen.push(err)
          ctx.status = 500
          ctx.body = { handled: true }
        }
      })
      .use(tokengate(options()))
      .use(async (ctx) => {
        if (ctx.path === '/throws') throw bug
        if (ctx.path === '/rejects') {
          await null
          throw bug
        }
        await null
        ctx.body = ctx.state.auth
      })
    const bearer = `Bearer ${await token()}`
    const bodies: unknown[] = []
    for (let i = 0; i < 4; i++) {
      const me = await request(app.callback()).get('/me').set('authorization', bearer)
      expect([me.status, me.headers['x-after']]).toEqual([200, 'ran'])
      bodies.push(me.body)
      for (const path of ['/throws', '/rejects']) {
        const res = await request(app.callback()).get(path).set('authorization', bearer)
        expect([res.status, res.body]).toEqual([500, { handled: true }])
      }
    }
    expect(bodies[0]).toMatchObject({ source: 'header', payload: { sub: 'alice' } })
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1)
    expect(seen).toEqual(Array.from({ length: 8 }, () => bug))
  })

  it("delegate with Koa's default handler: status, challenge and the description as text", async () => {
    const app = quiet(new Koa()).use(tokengate(options(), { onError: 'delegate' }))
    const res = await request(app.callback()).get('/').set('authorization', 'Bearer a.b')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
    expect(res.headers['cache-control']).toBe('no-store')
    expect(res.headers['content-type']).toMatch(/^text\/plain/)
    expect(res.text).not.toContain('a.b')
  })

  it("delegate: the thrown error is the AuthError, with Koa's status, expose and headers", async () => {
    let seen: unknown
    const app = new Koa()
    app.use(async (ctx, next) => {
      try {
        await next()
      } catch (err) {
        seen = err
        ctx.status = 418
      }
    })
    app.use(tokengate(options(), { onError: 'delegate' })).use(requireScopes('reports:read'))
    await request(app.callback())
      .get('/')
      .set('authorization', `Bearer ${await token()}`)
    expect(isAuthError(seen)).toBe(true)
    expect(seen).toMatchObject({
      code: 'insufficient_scope',
      status: 403,
      expose: true,
      headers: { 'www-authenticate': expect.stringContaining('scope="reports:read"') },
    })
  })

  it('an error that is not an AuthError is rethrown untouched: Koa answers 500', async () => {
    const bug = new Error('extractor bug')
    const app = quiet(new Koa())
    let seen: unknown
    app.on('error', (err) => {
      seen = err
    })
    const custom = () => {
      throw bug
    }
    app.use(tokengate({ ...options(), from: { custom } }))
    const res = await request(app.callback()).get('/')
    expect(res.status).toBe(500)
    expect(res.text).not.toContain('extractor bug')
    expect(seen).toBe(bug)
  })

  it('optional mode without a token leaves ctx.state.auth unset', async () => {
    const app = new Koa().use(tokengate({ ...options(), optional: true })).use((ctx) => {
      ctx.body = { has: 'auth' in ctx.state, sub: ctx.state.auth?.payload.sub ?? null }
    })
    expect((await request(app.callback()).get('/')).body).toEqual({ has: false, sub: null })
    const res = await request(app.callback())
      .get('/')
      .set('authorization', `Bearer ${await token()}`)
    expect(res.body).toEqual({ has: true, sub: 'alice' })
  })
})
