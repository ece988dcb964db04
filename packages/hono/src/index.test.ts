// Hono-specific behaviour, driven by app.request() with no server: Hono's own error handling, Fetch headers.
import { keysFor, signToken } from '@tokengate/testkit'
import type { TestKeys } from '@tokengate/testkit'
import { Hono } from 'hono'
import type { Context } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { beforeAll, describe, expect, it } from 'vitest'
import { isAuthError, tokengate } from './index.js'
import type { AdapterOptions } from './index.js'

let keys: TestKeys
beforeAll(async () => {
  keys = await keysFor('ES256')
})
const options = () => ({
  algorithms: ['ES256'] as const,
  key: keys.publicJwk,
  realm: 'api',
  from: { cookie: 'tg' },
})
const token = (claims = {}) => signToken({ sub: 'alice', ...claims }, { alg: 'ES256', key: keys })

async function wire(res: Response) {
  return { status: res.status, headers: [...res.headers.entries()], body: await res.text() }
}

describe('@tokengate/hono', () => {
  it('refuses a bad adapter option at start-up, naming it', () => {
    expect(() => tokengate(options(), { onError: 'throw' } as unknown as AdapterOptions)).toThrow(
      /adapterOptions\.onError/,
    )
  })

  // Issue 17: a cache hit calls next() synchronously (attemptNow), a miss after a promise. Requests
  // 1 and 2 verify (the doorkeeper admits on the second sighting), 3 and 4 are hits: the same
  // c.get('auth') in the route, what runs after next() upstream, and a later throw or rejection
  // reaching app.onError alike.
  it('a cache hit and a miss reach the route and app.onError alike', async () => {
    const seen: unknown[] = []
    const bug = new Error('route bug')
    const app = new Hono()
      .use(async (c, next) => {
        await next()
        c.header('x-after', 'ran')
      })
      .use(tokengate({ ...options(), from: { header: true } }))
      .get('/me', (c) => c.json(c.get('auth' as never)))
      .get('/throws', () => {
        throw bug
      })
      .get('/rejects', async () => {
        await null
        throw bug
      })
      .onError((err, c) => {
        seen.push(err)
        return c.json({ handled: true }, 500)
      })
    const headers = { authorization: `Bearer ${await token()}` }
    const bodies: unknown[] = []
    for (let i = 0; i < 4; i++) {
      const me = await app.request('/me', { headers })
      expect([me.status, me.headers.get('x-after')]).toEqual([200, 'ran'])
      bodies.push(await me.json())
      for (const path of ['/throws', '/rejects']) {
        const res = await app.request(path, { headers })
        expect([res.status, await res.json()]).toEqual([500, { handled: true }])
      }
    }
    expect(bodies[0]).toMatchObject({ source: 'header', payload: { sub: 'alice' } })
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1)
    expect(seen).toEqual(Array.from({ length: 8 }, () => bug))
  })

  it("delegate with Hono's default handler answers exactly as respond mode", async () => {
    const respond = new Hono().get('/', tokengate(options()), (c) => c.text('ok'))
    const delegate = new Hono().get('/', tokengate(options(), { onError: 'delegate' }), (c) =>
      c.text('ok'),
    )
    for (const headers of [
      {},
      { authorization: 'Bearer a.b' },
      { authorization: 'Basic eDp5' },
    ] as Record<string, string>[]) {
      expect(await wire(await delegate.request('/', { headers }))).toEqual(
        await wire(await respond.request('/', { headers })),
      )
    }
  })

  it('delegate throws an HTTPException whose cause is the AuthError', async () => {
    let seen: unknown
    const app = new Hono().get('/', tokengate(options(), { onError: 'delegate' }), (c) =>
      c.text('ok'),
    )
    app.onError((err, c) => {
      seen = err
      return c.text('handled', 418)
    })
    expect((await app.request('/')).status).toBe(418)
    expect(seen).toBeInstanceOf(HTTPException)
    const cause = (seen as HTTPException).cause
    expect(isAuthError(cause) && cause.code).toBe('token_missing')
    expect((seen as HTTPException).status).toBe(401)
  })

  it('repeated Authorization lines, joined by Fetch Headers, are refused (400)', async () => {
    const app = new Hono().get('/', tokengate(options()), (c) => c.text('ok'))
    const headers = new Headers()
    headers.append('authorization', `Bearer ${await token()}`)
    headers.append('authorization', `Bearer ${await token({ sub: 'mallory' })}`)
    const res = await app.request('/', { headers })
    expect(res.status).toBe(400)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request')
  })

  it("a cookie token on POST: c.req.url's origin is the request's own origin (CSRF)", async () => {
    const app = new Hono().post('/', tokengate(options()), (c) => c.text('ok'))
    const send = async (origin: string) =>
      (
        await app.request('http://api.example.test/', {
          method: 'POST',
          headers: { cookie: `tg=${await token()}`, origin },
        })
      ).status
    expect(await send('http://api.example.test')).toBe(200)
    expect(await send('http://evil.example.test')).toBe(403)
  })

  it('an error that is not an AuthError reaches app.onError untouched', async () => {
    const bug = new Error('extractor bug')
    let seen: unknown
    const custom = () => {
      throw bug
    }
    const app = new Hono().get('/', tokengate({ ...options(), from: { custom } }), (c) =>
      c.text('ok'),
    )
    app.onError((err, c) => {
      seen = err
      return c.text('Internal Server Error', 500)
    })
    expect((await app.request('/')).status).toBe(500)
    expect(seen).toBe(bug)
  })

  it("optional mode without a token leaves c.get('auth') undefined", async () => {
    const app = new Hono().get('/', tokengate({ ...options(), optional: true }), (c) =>
      c.json({ sub: c.get('auth')?.payload.sub ?? null }),
    )
    expect(await (await app.request('/')).json()).toEqual({ sub: null })
    const res = await app.request('/', { headers: { authorization: `Bearer ${await token()}` } })
    expect(await res.json()).toEqual({ sub: 'alice' })
  })

  it('tokengate((c) => options): built once per env object, never per request (issue 15)', async () => {
    let built = 0
    const factory = (c: Context<{ Bindings: { KEY?: unknown } }>) => {
      built++
      return {
        ...options(),
        key:
          ((c.env as { KEY?: unknown } | undefined)?.KEY as typeof keys.publicJwk | undefined) ??
          keys.publicJwk,
      }
    }
    const app = new Hono<{ Bindings: { KEY?: unknown } }>().get('/', tokengate(factory), (c) =>
      c.json(c.get('auth').payload),
    )
    const headers = { authorization: `Bearer ${await token()}` }
    const env = { KEY: keys.publicJwk }
    for (let i = 0; i < 3; i++) expect((await app.request('/', { headers }, env)).status).toBe(200)
    expect(built).toBe(1)
    // Another env object (another isolate's bindings) gets its own authenticator.
    expect((await app.request('/', { headers }, { KEY: keys.publicJwk })).status).toBe(200)
    expect(built).toBe(2)
    // No env (app.request without one, @hono/node-server's per-request { incoming, outgoing }): one shared.
    for (let i = 0; i < 2; i++) expect((await app.request('/', { headers })).status).toBe(200)
    expect((await app.request('/', { headers }, { incoming: {}, outgoing: {} })).status).toBe(200)
    expect(built).toBe(3)
  })

  it('tokengate((c) => options): a factory that throws is the app error (500) and is tried again', async () => {
    let calls = 0
    const app = new Hono().get(
      '/',
      tokengate(() => {
        calls++
        throw new TypeError('tokengate: options.key is required')
      }),
      (c) => c.text('ok'),
    )
    app.onError((_err, c) => c.text('misconfigured', 500))
    expect((await app.request('/')).status).toBe(500)
    expect((await app.request('/')).status).toBe(500)
    expect(calls).toBe(2)
  })

  it('tokengate((c) => options): adapter options are checked at once, before any request', () => {
    expect(() => tokengate(() => options(), { property: 'authError' })).toThrow(
      /property 'authError' is taken/,
    )
  })
})
