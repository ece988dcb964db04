// Adapters under hostile conditions, on every driver: a response something else already sent
// (issue 21 item 1), an absolute-form request target (issue 12), a polluted Object.prototype (issue 12).
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AuthenticatorOptions } from '@tokengate/core'
import { makeKeys, signJws, type TestKeys } from '@tokengate/testkit'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { drivers, type DriverResponse, type RunningApp } from '../support/drivers.js'
import { closeServer, DEFAULT_HOST, listen } from '../support/http.js'
import { allDrivers } from '../support/workers.js'

const ISSUER = 'https://issuer.example.test'
const AUDIENCE = 'api://adapters'
const COOKIE = 'tg'
const OWN_ORIGIN = `http://${DEFAULT_HOST}`
const EVIL_ORIGIN = 'http://evil.example.test'

let keys: TestKeys
let otherKeys: TestKeys

beforeAll(async () => {
  ;[keys, otherKeys] = await Promise.all([
    makeKeys('ES256', { kid: 'adp-1' }),
    makeKeys('ES256', { kid: 'adp-other' }),
  ])
})

const now = () => Math.floor(Date.now() / 1000)
const token = (claims: Record<string, unknown> = {}) =>
  signJws(
    'ES256',
    keys.privateKey,
    { alg: 'ES256', kid: keys.kid },
    { iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: now() + 3600, ...claims },
  )

const localOptions = (): AuthenticatorOptions => ({
  algorithms: ['ES256'],
  key: keys.publicJwk,
  issuer: ISSUER,
  audience: AUDIENCE,
  from: { header: true, cookie: COOKIE },
})

const code = (res: DriverResponse) => (res.body as { code?: string } | undefined)?.code

/**
 * A JWKS server on 127.0.0.1 that holds every request until `release()`: the key server that is slower
 * than the app's request timeout. After release it answers at once with `jwks`.
 */
async function gatedJwksServer(jwks: { keys: object[] }) {
  return gatedServer('application/jwk-set+json', JSON.stringify(jwks))
}

/** The same for any answer: a JWKS, or an introspection endpoint's JSON (RFC 7662 §2.2). */
async function gatedServer(contentType: string, body: string) {
  const held: ServerResponse[] = []
  let released = false
  let answered = 0
  let onAnswered: (() => void) | undefined
  const answer = (res: ServerResponse) => {
    // 'close', not 'finish': workerd cancels a request's subrequests once it has answered (the 503),
    // so there the held key request's client may be gone already, and its answer never finishes.
    const done = () => {
      answered += 1
      onAnswered?.()
    }
    if (res.destroyed || res.socket === null || res.socket.destroyed) return done()
    res.on('close', done)
    res.writeHead(200, { 'content-type': contentType }).end(body)
  }
  let onAsked: () => void = () => {}
  const asked = new Promise<void>((resolve) => {
    onAsked = resolve
  })
  const server: Server = createServer((_req, res) => {
    onAsked()
    if (released) answer(res)
    else held.push(res)
  })
  const port = await listen(server)
  return {
    jwksUri: `http://127.0.0.1:${port}/jwks.json`,
    endpoint: `http://127.0.0.1:${port}/introspect`,
    /** Resolves once the first key request arrived (and is held until release). */
    asked,
    /** Answers every held request; resolves once all of them were sent. */
    async release(): Promise<void> {
      released = true
      const waiting = held.splice(0)
      const target = answered + waiting.length
      const done = new Promise<void>((resolve) => {
        onAnswered = () => answered >= target && resolve()
        if (answered >= target) resolve()
      })
      for (const res of waiting) answer(res)
      await done
    },
    close: () => closeServer(server),
  }
}

/** Records what would end a Node process: an unhandled rejection or an uncaught exception. */
function watchProcess() {
  const fatal: unknown[] = []
  const onRejection = (reason: unknown) => fatal.push(reason)
  const onException = (err: unknown) => fatal.push(err)
  process.on('unhandledRejection', onRejection)
  process.on('uncaughtException', onException)
  return {
    fatal,
    stop() {
      process.off('unhandledRejection', onRejection)
      process.off('uncaughtException', onException)
    },
  }
}

// Node emits unhandledRejection once the microtasks of a turn have run: two macrotask turns later,
// a rejection left unhandled by the request that just settled has been reported.
const nextTurns = async () => {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve))
}

// Item 1 on every driver, workerd included (Hono's own hono/timeout answers there): the adapter
// checks that the response is still open, whatever runtime settles the authentication late.
describe.each(allDrivers)('$name', (driver) => {
  describe('authentication that ends after a timeout middleware answered (issue 21 item 1)', () => {
    // The failure case is the one that killed Express 4 and 5: headers set on a sent response inside
    // a promise handler, ERR_HTTP_HEADERS_SENT unhandled. The success case must not run the route.
    it.each([
      ['fails (the key server has no key for the token)', () => otherKeys, 401],
      ['succeeds (the key arrives late)', () => keys, 200],
    ])(
      'the process survives when authentication %s after a 503 was sent',
      async (_what, served, nextStatus) => {
        const keyServer = await gatedJwksServer({ keys: [served().publicJwk] })
        const app = await driver.start({
          options: { ...localOptions(), key: { jwksUri: keyServer.jwksUri, timeout: '3s' } },
          timeoutMs: 50,
        })
        const watch = watchProcess()
        try {
          const first = await app.request({
            path: '/timed',
            headers: { authorization: `Bearer ${await token()}` },
          })
          expect(first.status).toBe(503)
          expect(first.body).toEqual({ timeout: true })
          // The key server was asked and holds its answer: authentication is still under way.
          await keyServer.asked
          await keyServer.release()

          // The app still answers, with the keys it now has: the process is alive and well.
          const again = async () =>
            app.request({
              path: '/protected',
              headers: { authorization: `Bearer ${await token()}` },
            })
          let next = await again()
          if (driver.name === 'hono-workers' && next.status === 503) {
            // workerd cancelled the key fetch with the request that started it (already answered):
            // the request that joined it gives up after the key timeout, the next one fetches anew.
            expect(code(next)).toBe('keys_unavailable')
            next = await again()
          }
          expect(next.status).toBe(nextStatus)
          await nextTurns()
          expect(watch.fatal).toEqual([])
        } finally {
          watch.stop()
          await app.close()
          await keyServer.close()
        }
      },
    )
  })
})

// The introspection endpoint is a slow dependency too (issue 21 item 1, RFC 7662): concurrent
// requests for one opaque token share one call, and on workerd a call started by a request that was
// already answered is cancelled with it, so a request joining it must give up after the timeout
// (introspection/index.ts #join) instead of hanging, and the next one asks anew.
describe.each(allDrivers)('$name', (driver) => {
  it('introspection that ends after a timeout middleware answered: no hang, no crash', async () => {
    const opaque = 'opaque-token-0123456789abcdef'
    const endpoint = await gatedServer(
      'application/json',
      JSON.stringify({
        active: true,
        sub: 'alice',
        iss: ISSUER,
        aud: AUDIENCE,
        exp: now() + 3600,
        client_id: 'caller',
      }),
    )
    const app = await driver.start({
      options: {
        ...localOptions(),
        introspection: {
          endpoint: endpoint.endpoint,
          client: { id: 'rs-adapters', secret: 'rs-adapters-secret-0123456789abcdef0123' },
          timeout: '2s',
        },
      },
      timeoutMs: 50,
    })
    const watch = watchProcess()
    try {
      const bearer = { authorization: `Bearer ${opaque}` }
      const first = await app.request({ path: '/timed', headers: bearer })
      expect(first.status).toBe(503)
      expect(first.body).toEqual({ timeout: true })
      await endpoint.asked
      await endpoint.release()

      let next = await app.request({ path: '/protected', headers: bearer })
      if (driver.name === 'hono-workers' && next.status === 503) {
        // workerd cancelled the call with the request that started it: the request that joined
        // it gave up after the timeout (never a hang), and the next one asks the endpoint anew.
        expect(code(next)).toBe('introspection_unavailable')
        next = await app.request({ path: '/protected', headers: bearer })
      }
      expect(next.status).toBe(200)
      expect((next.body as { payload?: { sub?: string } }).payload?.sub).toBe('alice')
      await nextTurns()
      expect(watch.fatal).toEqual([])
    } finally {
      watch.stop()
      await app.close()
      await endpoint.close()
    }
  })
})

// The revocation store is the other slow dependency of issue 21 item 1: its answer (revoked, not
// revoked, or a failure) arrives after the timeout middleware's 503. A hook is a function, so the
// Node drivers only; the workerd run above covers the runtime.
describe.each(drivers)('$name: a slow revocation store (issue 21 item 1)', (driver) => {
  it.each([
    ['revoked', () => Promise.resolve(true), 401, 'token_revoked'],
    ['not revoked', () => Promise.resolve(false), 200, undefined],
    ['failing', () => Promise.reject(new Error('store down')), 503, 'revocation_unavailable'],
  ])(
    'the process survives when the store answers %s after a 503 was sent',
    async (_what, answer, nextStatus, nextCode) => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      let onAsked: () => void = () => {}
      const asked = new Promise<void>((resolve) => {
        onAsked = resolve
      })
      const app = await driver.start({
        options: {
          ...localOptions(),
          isRevoked: async () => {
            onAsked()
            await gate
            return answer()
          },
        },
        timeoutMs: 50,
      })
      const watch = watchProcess()
      try {
        const bearer = { authorization: `Bearer ${await token({ jti: 'slow-1' })}` }
        const first = await app.request({ path: '/timed', headers: bearer })
        expect(first.status).toBe(503)
        expect(first.body).toEqual({ timeout: true })
        await asked
        release()
        // The same answer, now at once: the app is alive and answers as it should.
        const next = await app.request({ path: '/protected', headers: bearer })
        expect(next.status).toBe(nextStatus)
        expect(code(next)).toBe(nextCode)
        await nextTurns()
        expect(watch.fatal).toEqual([])
      } finally {
        watch.stop()
        await app.close()
      }
    },
  )
})

describe.each(drivers)('$name', (driver) => {
  describe('an absolute-form request target (RFC 9112 §3.2.2): our origin is still Host', () => {
    let app: RunningApp
    beforeAll(async () => {
      app = await driver.start({ options: localOptions() })
    })
    afterAll(() => app.close())

    // node:http sends `path` as it is: `POST http://evil.example.test/protected HTTP/1.1`.
    const post = async (origin: string) =>
      app.request({
        method: 'POST',
        path: `${EVIL_ORIGIN}/protected`,
        headers: { host: DEFAULT_HOST, origin, cookie: `${COOKIE}=${await token()}` },
      })

    it('a cookie POST from the origin the target names (not ours) is 403 csrf_rejected', async () => {
      const res = await post(EVIL_ORIGIN)
      expect(res.status).toBe(403)
      expect(code(res)).toBe('csrf_rejected')
    })

    it('a cookie POST from our own origin (Host) is accepted', async () => {
      const res = await post(OWN_ORIGIN)
      expect(res.status).toBe(200)
      expect((res.body as { source: string }).source).toBe('cookie')
    })
  })

  describe('a polluted Object.prototype is not a request header (own properties only)', () => {
    let app: RunningApp
    beforeAll(async () => {
      app = await driver.start({ options: localOptions() })
    })
    afterAll(() => app.close())
    afterEach(() => {
      // Restored even when a case failed half-way (each case also restores in its own finally).
      for (const name of POLLUTED) delete (Object.prototype as Record<string, unknown>)[name]
    })

    const POLLUTED = ['authorization', 'cookie', 'origin', 'sec-fetch-site'] as const

    async function withPollution<T>(values: Record<string, string>, run: () => Promise<T>) {
      const proto = Object.prototype as Record<string, unknown>
      try {
        for (const [name, value] of Object.entries(values)) proto[name] = value
        return await run()
      } finally {
        for (const name of Object.keys(values)) delete proto[name]
      }
    }

    it('Object.prototype.authorization = "Bearer <valid>": a request with none is 401 token_missing', async () => {
      const valid = await token()
      const res = await withPollution({ authorization: `Bearer ${valid}` }, () =>
        app.request({ path: '/protected' }),
      )
      expect(res.status).toBe(401)
      expect(code(res)).toBe('token_missing')
    })

    it('Object.prototype.cookie = "tg=<valid>": a request with none is 401 token_missing', async () => {
      const valid = await token()
      const res = await withPollution({ cookie: `${COOKIE}=${valid}` }, () =>
        app.request({ path: '/protected' }),
      )
      expect(res.status).toBe(401)
      expect(code(res)).toBe('token_missing')
    })

    it('a polluted origin / sec-fetch-site does not vouch for a cookie POST that sent neither (CSRF)', async () => {
      const valid = await token()
      const res = await withPollution({ origin: OWN_ORIGIN, 'sec-fetch-site': 'same-origin' }, () =>
        app.request({
          method: 'POST',
          path: '/protected',
          headers: { cookie: `${COOKIE}=${valid}` },
        }),
      )
      expect(res.status).toBe(403)
      expect(code(res)).toBe('csrf_rejected')
    })
  })
})
