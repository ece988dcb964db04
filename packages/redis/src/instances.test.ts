// Two app instances (Express and Hono) sharing one real Redis: logout on one is honoured by the other.
import { createAuthenticator, type Authenticator } from '@tokengate/core'
import { tokengate as expressTokengate } from '@tokengate/express'
import { tokengate as honoTokengate, type OptionalAuthVariables } from '@tokengate/hono'
import { keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import express from 'express'
import { Hono } from 'hono'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createRedisRevocationStore,
  type RedisRevocationStore,
  type RedisRevocationStoreOptions,
} from './index.js'
import { startRedisServer, type RedisServer } from './testing/redis-server.js'

let server: RedisServer
let keys: TestKeys
const stores: RedisRevocationStore[] = []
let counter = 0

interface Instance {
  name: string
  /** How many times this instance's store found Redis unavailable so far (its onUnavailable calls). */
  unavailable(): number
  /** GET /me with the token: status, body, headers. */
  me(
    token: string,
  ): Promise<{ status: number; body: Record<string, unknown>; headers: Record<string, string> }>
  /** POST /logout with the token: revokes it through this instance's store. */
  logout(token: string): Promise<number>
}

function authenticatorFor(options: Partial<RedisRevocationStoreOptions>): {
  authenticator: Authenticator
  unavailable(): number
} {
  let unavailable = 0
  const store = createRedisRevocationStore({
    url: server.url,
    timeout: '5s', // generous: a loaded CI machine must not fail a healthy Redis
    onUnavailable: () => void unavailable++,
    ...options,
  })
  stores.push(store)
  return {
    authenticator: createAuthenticator({
      algorithms: ['ES256'],
      key: keys.publicJwk,
      revocation: store,
    }),
    unavailable: () => unavailable,
  }
}

function expressInstance(options: Partial<RedisRevocationStoreOptions> = {}): Instance {
  const { authenticator, unavailable } = authenticatorFor(options)
  const app = express()
  app.use(expressTokengate(authenticator))
  app.get('/me', (req, res) => void res.json({ sub: req.auth?.payload.sub }))
  app.post('/logout', async (req, res) => {
    await authenticator.revoke(req.auth!)
    res.sendStatus(204)
  })
  return {
    name: 'express',
    unavailable,
    async me(token) {
      const res = await request(app).get('/me').set('authorization', `Bearer ${token}`)
      return {
        status: res.status,
        body: res.body as Record<string, unknown>,
        headers: res.headers as Record<string, string>,
      }
    },
    async logout(token) {
      return (await request(app).post('/logout').set('authorization', `Bearer ${token}`)).status
    },
  }
}

function honoInstance(options: Partial<RedisRevocationStoreOptions> = {}): Instance {
  const { authenticator, unavailable } = authenticatorFor(options)
  const app = new Hono<{ Variables: OptionalAuthVariables }>()
  app.use(honoTokengate(authenticator))
  app.get('/me', (c) => c.json({ sub: c.get('auth')?.payload.sub }))
  app.post('/logout', async (c) => {
    await authenticator.revoke(c.get('auth')!)
    return c.body(null, 204)
  })
  // A logout whose revocation could not be stored must not look like a success.
  app.onError((_err, c) => c.json({ error: 'logout_failed' }, 500))
  const call = (method: string, path: string, token: string) =>
    app.request(`http://api.test${path}`, { method, headers: { authorization: `Bearer ${token}` } })
  return {
    name: 'hono',
    unavailable,
    async me(token) {
      const res = await call('GET', '/me', token)
      return {
        status: res.status,
        body: (await res.json()) as Record<string, unknown>,
        headers: Object.fromEntries(res.headers),
      }
    },
    async logout(token) {
      return (await call('POST', '/logout', token)).status
    },
  }
}

const token = () =>
  signToken(
    { sub: 'alice', jti: `session-${process.pid}-${++counter}` },
    { alg: 'ES256', key: keys },
  )

/**
 * Polls (bounded) until an instance's store reaches Redis again: an answer other than 503 with no
 * unavailability reported meanwhile. A fail-open instance never answers 503 (it lets the token in
 * while Redis is down), so the status alone would end the wait before its client had reconnected.
 */
async function untilRecovered(instance: Instance): Promise<void> {
  const probe = await token()
  for (let attempt = 0; attempt < 100; attempt++) {
    const before = instance.unavailable()
    if ((await instance.me(probe)).status !== 503 && instance.unavailable() === before) return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${instance.name} did not recover within 10 s`)
}

beforeAll(async () => {
  server = await startRedisServer()
  keys = await keysFor('ES256')
})

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  await server?.dispose()
})

describe('two instances, one Redis', () => {
  it.each([
    ['revoked through Express, refused by Hono', 0, 1],
    ['revoked through Hono, refused by Express', 1, 0],
  ])('%s (401 token_revoked on both)', async (_name, from, to) => {
    const instances = [expressInstance(), honoInstance()]
    await Promise.all(instances.map(untilRecovered))
    const session = await token()
    for (const instance of instances) expect((await instance.me(session)).status).toBe(200)
    expect(await instances[from]!.logout(session)).toBe(204)
    for (const instance of [instances[to]!, instances[from]!]) {
      const res = await instance.me(session)
      expect([instance.name, res.status, res.body.code]).toEqual([
        instance.name,
        401,
        'token_revoked',
      ])
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/)
    }
    expect((await instances[to]!.me(await token())).status).toBe(200) // other sessions unaffected
  })
})

// Runs last: stops, pauses and restarts the server.
describe('Redis down, hung, and back', () => {
  it('stopped: fail-closed answers 503 with Retry-After, fail-open lets the token in; both recover', async () => {
    const closed = expressInstance()
    const open = honoInstance({ onError: 'fail-open' })
    await Promise.all([closed, open].map(untilRecovered))
    const revoked = await token()
    expect(await closed.logout(revoked)).toBe(204) // stored before Redis goes down

    await server.stop()
    const session = await token()
    const res = await closed.me(session)
    expect([res.status, res.body.code, res.headers['retry-after']]).toEqual([
      503,
      'revocation_unavailable',
      '5',
    ])
    expect(res.headers['www-authenticate']).toBeUndefined()
    expect((await open.me(session)).status).toBe(200) // fail-open: the documented danger
    expect((await open.me(revoked)).status).toBe(200) // ... even for a revoked token
    expect((await closed.me(revoked)).body.code).toBe('token_revoked') // cached "revoked" answer
    const logoutWhileDown = await open.logout(await token())
    expect(logoutWhileDown).toBe(500) // revoke fails loudly; the app decides how to report it

    await server.start()
    await Promise.all([closed, open].map(untilRecovered))
    expect((await closed.me(session)).status).toBe(200)
    expect((await open.me(revoked)).body.code).toBe('token_revoked') // the revocation survived
  })

  it('hung (SIGSTOP): 503 within the timeout instead of a hanging request, then recovery', async () => {
    const closed = honoInstance({ timeout: '1s' })
    await untilRecovered(closed)
    server.pause()
    try {
      const res = await closed.me(await token())
      expect([res.status, res.body.code]).toEqual([503, 'revocation_unavailable'])
    } finally {
      server.resume()
    }
    await untilRecovered(closed)
    expect((await closed.me(await token())).status).toBe(200)
  })
})
