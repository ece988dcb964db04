// Express-specific behaviour the conformance suite cannot see: start-up errors, Express's own handlers.
import { keysFor, signToken } from '@tokengate/testkit'
import type { TestKeys } from '@tokengate/testkit'
import express5 from 'express'
import type { ErrorRequestHandler, Express } from 'express'
import express4 from 'express4'
import request from 'supertest'
import { beforeAll, describe, expect, it } from 'vitest'
import { authErrorHandler, isAuthError, requireRoles, tokengate } from './index.js'
import type { AdapterOptions } from './index.js'

let keys: TestKeys
beforeAll(async () => {
  keys = await keysFor('ES256')
})
const options = () => ({ algorithms: ['ES256'] as const, key: keys.publicJwk, realm: 'api' })
const token = (claims = {}) => signToken({ sub: 'alice', ...claims }, { alg: 'ES256', key: keys })

const versions = [
  ['express 5', express5],
  ['express 4', express4 as unknown as typeof express5],
] as const

describe.each(versions)('%s', (name, express) => {
  function app(build: (app: Express) => void): Express {
    const a = express()
    // 'test' keeps Express's default handler from logging the errors provoked here.
    a.set('env', 'test')
    build(a)
    return a
  }

  it('refuses a bad adapter option at start-up, naming it', () => {
    expect(() => tokengate(options(), { onError: 'throw' } as unknown as AdapterOptions)).toThrow(
      /adapterOptions\.onError/,
    )
  })

  it("refuses bad core options at start-up, not as a 500 at request time (alg 'none')", () => {
    expect(() => tokengate({ ...options(), algorithms: ['none'] as never })).toThrow(TypeError)
  })

  it('delegate with no error handler of its own: Express still sends status and challenge', async () => {
    const a = app((a) =>
      a.get('/', tokengate(options(), { onError: 'delegate' }), (_q, r) => r.end()),
    )
    const res = await request(a).get('/')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer realm="api"')
    expect(res.headers['cache-control']).toBe('no-store')
  })

  it('delegate hands the AuthError itself to the next error handler', async () => {
    let seen: unknown
    const onError: ErrorRequestHandler = (err, _req, res, _next) => {
      seen = err
      res.status(418).end()
    }
    const a = app((a) => {
      a.get('/', tokengate(options(), { onError: 'delegate' }), (_q, r) => r.end())
      a.use(onError)
    })
    expect((await request(a).get('/').set('authorization', 'Bearer a.b')).status).toBe(418)
    expect(isAuthError(seen) && seen.code).toBe('token_malformed')
  })

  it('an error that is not an AuthError reaches the app untouched, in both modes', async () => {
    const bug = new Error('extractor bug')
    for (const onError of ['respond', 'delegate'] as const) {
      let seen: unknown
      const handler: ErrorRequestHandler = (err, _req, res, _next) => {
        seen = err
        res.status(500).end()
      }
      const a = app((a) => {
        const custom = () => {
          throw bug
        }
        a.get('/', tokengate({ ...options(), from: { custom } }, { onError }), (_q, r) => r.end())
        a.use(handler)
      })
      expect((await request(a).get('/')).status).toBe(500)
      expect(seen).toBe(bug)
    }
  })

  it('authErrorHandler passes other errors on; a guard with no tokengate before it answers 401', async () => {
    const a = app((a) => {
      a.get('/other', () => {
        throw new Error('not ours')
      })
      a.get('/sent', requireRoles('admin'))
      a.use(authErrorHandler)
    })
    expect((await request(a).get('/other')).status).toBe(500)
    // A guard with no tokengate before it: 401, bare challenge (no realm known).
    const res = await request(a).get('/sent')
    expect(res.status).toBe(401)
    expect(res.headers['www-authenticate']).toBe('Bearer')
  })

  // Issue 21 item 1, for the RFC 9728 metadata answer too: something before us answered and went
  // on (a timeout that fired, a logger that ended the response); setting headers now throws
  // ERR_HTTP_HEADERS_SENT, which must not become an unhandled rejection (the end of the process).
  it.each([
    ['the metadata document (RFC 9728 §3)', '/.well-known/oauth-protected-resource'],
    ['an authentication that fails', '/api'],
  ])('%s after something else answered: no unhandled rejection', async (_what, path) => {
    const fatal: unknown[] = []
    const onRejection = (reason: unknown) => void fatal.push(reason)
    process.on('unhandledRejection', onRejection)
    try {
      const a = app((a) => {
        a.use((_req, res, next) => {
          res.status(503).end('early')
          next()
        })
        a.use(
          tokengate({ ...options(), protectedResource: { resource: 'https://api.example.test' } }),
        )
      })
      const res = await request(a).get(path)
      expect(res.status).toBe(503)
      expect(res.text).toBe('early')
      // Node reports an unhandled rejection once the microtasks of a turn have run.
      for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
      expect(fatal).toEqual([])
    } finally {
      process.off('unhandledRejection', onRejection)
    }
  })

  // Issue 17: a cache hit calls next() synchronously (attemptNow), a miss from a promise reaction.
  // Requests 1 and 2 verify (the doorkeeper admits on the second sighting), 3 and 4 are hits: each
  // must reach the route with the same req.auth, and a later throw or rejection the error handler.
  it('a cache hit and a miss reach the route and the error handler alike', async () => {
    const seen: unknown[] = []
    const bug = new Error('route bug')
    const a = app((a) => {
      a.use(tokengate(options()))
      a.get('/me', (req, res) => void res.json(req.auth))
      a.get('/throws', () => {
        throw bug
      })
      a.get('/rejects', async () => {
        await null
        throw bug
      })
      a.use(((err, _req, res, _next) => {
        seen.push(err)
        res.status(500).json({ handled: true })
      }) as ErrorRequestHandler)
    })
    const bearer = `Bearer ${await token()}`
    const bodies: unknown[] = []
    for (let i = 0; i < 4; i++) {
      const me = await request(a).get('/me').set('authorization', bearer)
      expect(me.status).toBe(200)
      bodies.push(me.body)
      // Express 4 does not catch a route's rejected promise (Express 5 does): only its throw.
      for (const path of name === 'express 5' ? ['/throws', '/rejects'] : ['/throws']) {
        const res = await request(a).get(path).set('authorization', bearer)
        expect([res.status, res.body]).toEqual([500, { handled: true }])
      }
    }
    expect(bodies[0]).toMatchObject({ source: 'header', payload: { sub: 'alice' } })
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1)
    expect(seen).toEqual(Array.from({ length: name === 'express 5' ? 8 : 4 }, () => bug))
  })

  it('req.auth is the context; optional mode without a token leaves it undefined', async () => {
    const a = app((a) => {
      a.get('/', tokengate({ ...options(), optional: true }), (req, res) => {
        res.json({
          has: 'auth' in req && req.auth !== undefined,
          sub: req.auth?.payload.sub ?? null,
        })
      })
    })
    expect((await request(a).get('/')).body).toEqual({ has: false, sub: null })
    const res = await request(a)
      .get('/')
      .set('authorization', `Bearer ${await token()}`)
    expect(res.body).toEqual({ has: true, sub: 'alice' })
  })
})
