// Passport-specific behaviour the conformance table cannot see: Passport's own rendering of a
// failure, failWithError, req.user, start-up errors.
import { keysFor, signToken } from '@tokengate/testkit'
import type { TestKeys } from '@tokengate/testkit'
import express, { type Express } from 'express'
import passport, { Passport } from 'passport'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { TokengateStrategy, authErrorHandler, authenticate, isAuthError } from './index.js'
import type { TokengateStrategyOptions } from './index.js'

let keys: TestKeys
beforeAll(async () => {
  keys = await keysFor('ES256')
})
const options = () => ({ algorithms: ['ES256'] as const, key: keys.publicJwk, realm: 'api' })
const token = (claims = {}) => signToken({ sub: 'alice', ...claims }, { alg: 'ES256', key: keys })

function app(build: (app: Express, p: InstanceType<typeof Passport>) => void): Express {
  const a = express()
  a.set('env', 'test')
  const p = new Passport()
  a.use(p.initialize())
  build(a, p)
  return a
}
const me: express.RequestHandler = (req, res) => {
  res.json({ user: req.user ?? null, sub: req.auth?.payload.sub ?? null })
}

describe("passport.authenticate('tokengate') (the passport-jwt line, swapped)", () => {
  const a = () =>
    app((a, p) => {
      p.use(new TokengateStrategy(options()))
      a.get('/', p.authenticate('tokengate', { session: false }), me)
    })

  it('sets req.user to the claims and req.auth to the AuthContext', async () => {
    const res = await request(a())
      .get('/')
      .set('authorization', `Bearer ${await token()}`)
    expect(res.status).toBe(200)
    expect(res.body.user).toMatchObject({ sub: 'alice' })
    expect(res.body.sub).toBe('alice')
  })

  it("keeps tokengate's status and challenge on Passport's own failure answer", async () => {
    const res = await request(a()).get('/').set('authorization', 'Bearer not.a.token')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="api", error="invalid_token"/)
  })
})

describe('the exact answer', () => {
  it('authenticate() answers a refusal as the other adapters do', async () => {
    const a = app((a, p) => {
      p.use(new TokengateStrategy(options()))
      a.get('/', authenticate('tokengate', { passport: p }), me)
    })
    const res = await request(a).get('/').set('authorization', 'Bearer not.a.token')
    expect(res.status).toBe(401)
    expect(res.headers['content-type']).toBe('application/json')
    expect(res.headers['cache-control']).toBe('no-store')
    expect(Object.keys(res.body)).toEqual(['error', 'error_description', 'code'])
    expect(res.body.code).toBe('token_malformed')
  })

  it("failWithError with authErrorHandler gives the same answer, through the app's error middleware", async () => {
    const a = app((a, p) => {
      p.use(new TokengateStrategy(options()))
      a.get('/', p.authenticate('tokengate', { session: false, failWithError: true }), me)
      a.use(authErrorHandler)
    })
    const res = await request(a).get('/')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
    expect(res.body.code).toBe('token_missing')
  })

  it('onError delegate hands the AuthError itself to the next error handler', async () => {
    let seen: unknown
    const a = app((a, p) => {
      p.use(new TokengateStrategy(options(), { onError: 'delegate' }))
      a.get('/', authenticate('tokengate', { passport: p }), me)
      a.use(((err, _req, res, _next) => {
        seen = err
        res.status(418).end()
      }) as express.ErrorRequestHandler)
    })
    expect((await request(a).get('/')).status).toBe(418)
    expect(isAuthError(seen) && seen.code).toBe('token_missing')
  })
})

describe('the strategy', () => {
  it('user maps the context to req.user (async, as a database lookup would)', async () => {
    const a = app((a, p) => {
      p.use(new TokengateStrategy(options(), { user: async (ctx) => ({ id: ctx.payload.sub }) }))
      a.get('/', authenticate('tokengate', { passport: p }), me)
    })
    const res = await request(a)
      .get('/')
      .set('authorization', `Bearer ${await token()}`)
    expect(res.body).toEqual({ user: { id: 'alice' }, sub: 'alice' })
  })

  it('optional: a request without a token passes on, anonymous', async () => {
    const a = app((a, p) => {
      p.use(new TokengateStrategy({ ...options(), optional: true }))
      a.get('/', authenticate('tokengate', { passport: p }), me)
    })
    expect((await request(a).get('/')).body).toEqual({ user: null, sub: null })
  })

  it('a throwing user mapper is Passport error (500), not an AuthError answer', async () => {
    const a = app((a, p) => {
      p.use(
        new TokengateStrategy(options(), {
          user: () => {
            throw new Error('db down')
          },
        }),
      )
      a.get('/', authenticate('tokengate', { passport: p }), me)
    })
    const res = await request(a)
      .get('/')
      .set('authorization', `Bearer ${await token()}`)
    expect(res.status).toBe(500)
    expect(res.headers['www-authenticate']).toBeUndefined()
  })

  it("name registers the strategy under another name; the default is 'tokengate'", () => {
    expect(new TokengateStrategy(options()).name).toBe('tokengate')
    expect(new TokengateStrategy(options(), { name: 'api' }).name).toBe('api')
    passport.use(new TokengateStrategy(options(), { name: 'api' }))
    passport.unuse('api')
  })

  it.each([
    ['a bad adapter option, named', { onError: 'throw' }, /adapterOptions\.onError/],
    [
      'an unknown option, named',
      { secretOrKey: 'x' },
      /unknown option adapterOptions\.secretOrKey/,
    ],
    [
      "a property Passport's request already has",
      { property: 'logIn' },
      /property 'logIn' is taken/,
    ],
    ["user beside property 'user'", { property: 'user', user: () => 1 }, /strategyOptions\.user/],
  ])('refuses %s at start-up', (_what, extra, message) => {
    expect(() => new TokengateStrategy(options(), extra as TokengateStrategyOptions)).toThrow(
      message,
    )
  })

  it("refuses bad core options at start-up (alg 'none')", () => {
    expect(() => new TokengateStrategy({ ...options(), algorithms: ['none'] as never })).toThrow(
      /options\.algorithms/,
    )
  })
})
