// The DPoP replay store against a real redis-server: one proof, two instances, and Redis failing.
import { AuthError, createAuthenticator, type Authenticator } from '@tokengate/core'
import { tokengate as expressTokengate } from '@tokengate/express'
import { tokengate as honoTokengate, type OptionalAuthVariables } from '@tokengate/hono'
import { dpopProof, jktOf, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import express from 'express'
import { Hono } from 'hono'
import { createClient } from 'redis'
import request from 'supertest'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createRedisReplayStore,
  type RedisReplayStore,
  type RedisReplayStoreOptions,
} from './index.js'
import { startRedisServer, type RedisServer } from './testing/redis-server.js'

const ORIGIN = 'https://api.test'
let server: RedisServer
let raw: ReturnType<typeof createClient>
let issuerKeys: TestKeys
let clientKeys: TestKeys
let token: string
const stores: RedisReplayStore[] = []

function store(options: Partial<RedisReplayStoreOptions> = {}): RedisReplayStore {
  const created = createRedisReplayStore({
    url: server.url,
    timeout: '2s', // generous: a loaded CI machine must not fail a healthy Redis
    onUnavailable: () => undefined,
    ...options,
  })
  stores.push(created)
  return created
}

function authenticatorWith(replayStore: RedisReplayStore): Authenticator {
  return createAuthenticator({
    algorithms: ['ES256'],
    key: issuerKeys.publicJwk,
    dpop: { mode: 'required', origins: [ORIGIN], replayStore },
  })
}

const proofFor = (path: string, jti?: string) =>
  dpopProof({ key: clientKeys, htm: 'GET', htu: ORIGIN + path, accessToken: token, jti })

beforeAll(async () => {
  server = await startRedisServer()
  raw = createClient({ url: server.url })
  raw.on('error', () => undefined)
  await raw.connect()
  issuerKeys = await keysFor('ES256')
  clientKeys = await keysFor('ES256', { label: 'dpop-client' })
  token = await signToken(
    { sub: 'alice', jti: 'token-1', cnf: { jkt: await jktOf(clientKeys) } },
    { alg: 'ES256', key: issuerKeys },
  )
}, 30_000)

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  await raw?.close().catch(() => undefined)
  await server?.dispose()
})

describe('createRedisReplayStore', () => {
  it('records a key once (SET NX): true, then false on this and on another store', async () => {
    const a = store()
    const b = store()
    const expiresAt = Date.now() / 1000 + 60
    expect(await a.add('k-once', expiresAt)).toBe(true)
    expect(await a.add('k-once', expiresAt)).toBe(false)
    expect(await b.add('k-once', expiresAt)).toBe(false)
    expect(await raw.get('tokengate:dpop:k-once')).toBe('1')
  })

  it("the key's TTL ends at expiresAt, so Redis forgets it by itself", async () => {
    const expiresAt = Date.now() / 1000 + 30
    expect(await store().add('k-ttl', expiresAt)).toBe(true)
    const ttl = await raw.pTTL('tokengate:dpop:k-ttl')
    expect(ttl).toBeGreaterThan(25_000)
    expect(ttl).toBeLessThanOrEqual(30_000)
  })

  it('uses the configured prefix', async () => {
    expect(await store({ prefix: 'app1:' }).add('k-prefix', Date.now() / 1000 + 60)).toBe(true)
    expect(await raw.exists('app1:k-prefix')).toBe(1)
    // Another prefix is another namespace (two apps on one Redis).
    expect(await store({ prefix: 'app2:' }).add('k-prefix', Date.now() / 1000 + 60)).toBe(true)
  })

  it('refuses bad options at start-up with a message that says what it takes', () => {
    expect(() => createRedisReplayStore({} as RedisReplayStoreOptions)).toThrow(
      /exactly one of url or client/,
    )
    expect(() => createRedisReplayStore({ url: 'http://x' })).toThrow(/redis:\/\//)
    expect(() =>
      createRedisReplayStore({ url: server.url, onError: 'fail-open' } as RedisReplayStoreOptions),
    ).toThrow(/unknown option onError/)
    expect(() => createRedisReplayStore({ url: server.url, timeout: 0 })).toThrow(/timeout/)
  })

  it('rejects (never answers true) when the client fails, or answers something else', async () => {
    const failing = createRedisReplayStore({
      client: { sendCommand: () => Promise.reject(new Error('boom')) },
    })
    await expect(failing.add('k', Date.now() / 1000 + 60)).rejects.toThrow(/unavailable/)
    const odd = createRedisReplayStore({ client: { sendCommand: async () => 'QUEUED' } })
    await expect(odd.add('k', Date.now() / 1000 + 60)).rejects.toThrow(/unexpected Redis reply/)
    const silent = createRedisReplayStore({
      client: { sendCommand: () => new Promise(() => undefined) },
      timeout: '50ms',
    })
    await expect(silent.add('k', Date.now() / 1000 + 60)).rejects.toThrow(/unavailable/)
  })
})

describe('two instances, one Redis (RFC 9449 §11.1)', () => {
  it('a proof accepted by one authenticator is refused by another', async () => {
    const one = authenticatorWith(store())
    const two = authenticatorWith(store())
    const proof = proofFor('/me')
    const req = {
      method: 'GET',
      url: `${ORIGIN}/me`,
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    }
    const ctx = await one.authenticate(req)
    expect(ctx?.dpop?.jkt).toBe(await jktOf(clientKeys))
    const err = await two.authenticate(req).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthError)
    expect((err as AuthError).code).toBe('invalid_dpop_proof')
    expect((err as AuthError).status).toBe(401)
    expect((err as AuthError).message).toMatch(/already used/)
    // A fresh proof is accepted by the second instance.
    expect(
      await two.authenticate({ ...req, headers: { ...req.headers, dpop: proofFor('/me') } }),
    ).not.toBeNull()
  })

  it('over HTTP: Express then Hono, the replayed proof gets 401 invalid_dpop_proof', async () => {
    const expressApp = express()
    expressApp.set('trust proxy', false)
    expressApp.use(
      expressTokengate({
        algorithms: ['ES256'],
        key: issuerKeys.publicJwk,
        dpop: { mode: 'required', origins: [ORIGIN], replayStore: store() },
      }),
    )
    expressApp.get('/me', (req, res) => void res.json({ sub: req.auth?.payload.sub }))
    const hono = new Hono<{ Variables: OptionalAuthVariables }>()
    hono.use(
      honoTokengate({
        algorithms: ['ES256'],
        key: issuerKeys.publicJwk,
        dpop: { mode: 'required', origins: [ORIGIN], replayStore: store() },
      }),
    )
    hono.get('/me', (c) => c.json({ sub: c.get('auth')?.payload.sub }))

    const proof = proofFor('/me')
    const first = await request(expressApp)
      .get('/me')
      .set('host', 'api.test')
      .set('authorization', `DPoP ${token}`)
      .set('dpop', proof)
    // supertest speaks http to 127.0.0.1: the htu names the configured public origin.
    expect(first.status, JSON.stringify(first.body)).toBe(200)
    const replayed = await hono.request(`${ORIGIN}/me`, {
      headers: { authorization: `DPoP ${token}`, dpop: proof },
    })
    expect(replayed.status).toBe(401)
    expect(replayed.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/)
  })

  it('Redis down: 503 replay_check_unavailable with Retry-After, never an accept; then recovers', async () => {
    const instance = authenticatorWith(store({ timeout: '300ms' }))
    const req = () => ({
      method: 'GET',
      url: `${ORIGIN}/me`,
      headers: { authorization: `DPoP ${token}`, dpop: proofFor('/me') },
    })
    await server.stop()
    try {
      const err = await instance.authenticate(req()).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(AuthError)
      expect((err as AuthError).code).toBe('replay_check_unavailable')
      expect((err as AuthError).status).toBe(503)
      expect((err as AuthError).toResponse().headers['retry-after']).toBe('5')
    } finally {
      await server.start()
    }
    let recovered = false
    for (let attempt = 0; attempt < 100 && !recovered; attempt++) {
      recovered = await instance.authenticate(req()).then(
        () => true,
        () => false,
      )
      if (!recovered) await new Promise((r) => setTimeout(r, 100))
    }
    expect(recovered).toBe(true)
  })
})
