// The Redis store against a real redis-server: keys and TTLs, sharing, caching, failure policy, recovery.
import { AuthError } from '@tokengate/core'
import { createClient } from 'redis'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  createRedisRevocationStore,
  type RedisRevocationStore,
  type RedisRevocationStoreOptions,
} from './index.js'
import { startRedisServer, type RedisServer } from './testing/redis-server.js'

let server: RedisServer
let raw: ReturnType<typeof createClient>
const stores: RedisRevocationStore[] = []
let counter = 0

/** A fresh jti per test, so tests sharing the server never see each other's keys. */
const jti = () => `jti-${process.pid}-${++counter}`
const now = () => Date.now() / 1000

function store(options: Partial<RedisRevocationStoreOptions> = {}): RedisRevocationStore {
  // A generous timeout: a loaded CI machine must not turn a healthy Redis into a failure.
  const created = createRedisRevocationStore({
    url: server.url,
    timeout: '2s',
    onUnavailable: () => undefined,
    ...options,
  })
  stores.push(created)
  return created
}

async function failure(promise: Promise<unknown>): Promise<AuthError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(AuthError)
  return error as AuthError
}

/** Polls (bounded) until the store answers again after an outage. */
async function untilAnswering(target: RedisRevocationStore): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if (
      await target.isRevoked('probe').then(
        () => true,
        () => false,
      )
    )
      return
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('the store did not recover within 10 s')
}

beforeAll(async () => {
  server = await startRedisServer()
  raw = createClient({ url: server.url })
  raw.on('error', () => undefined)
  await raw.connect()
})

afterEach(() => {
  vi.useRealTimers()
})

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()))
  raw.destroy()
  await server?.dispose()
})

describe('keys and TTLs', () => {
  it('revoke then isRevoked: the key is prefix + jti, other ids are untouched', async () => {
    const s = store()
    const id = jti()
    await s.revoke(id, now() + 600)
    expect(await s.isRevoked(id)).toBe(true)
    expect(await s.isRevoked(`${id}-other`)).toBe(false)
    expect(await raw.exists(`tokengate:revoked:${id}`)).toBe(1)
  })

  it("the key's TTL ends at the token's exp (grace 0)", async () => {
    const s = store({ grace: 0 })
    const id = jti()
    const exp = Math.floor(now()) + 600
    await s.revoke(id, exp)
    const ttl = await raw.pTTL(`tokengate:revoked:${id}`)
    const expected = exp * 1000 - Date.now()
    expect(ttl).toBeGreaterThan(expected - 2000)
    expect(ttl).toBeLessThanOrEqual(expected + 1000)
    expect(await raw.get(`tokengate:revoked:${id}`)).toBe(String(exp))
  })

  it('grace extends the TTL past exp (clockTolerance and clock drift between instances)', async () => {
    const s = store({ grace: '2m' })
    const id = jti()
    const exp = Math.floor(now()) + 600
    await s.revoke(id, exp)
    const ttl = await raw.pTTL(`tokengate:revoked:${id}`)
    expect(ttl).toBeGreaterThan((exp + 120) * 1000 - Date.now() - 2000)
  })

  it('the key expires by itself: after exp the jti is no longer denied', async () => {
    const s = store({ grace: 0 })
    const other = store({ grace: 0 })
    const id = jti()
    const exp = now() + 1.5 // expiresAt may be fractional
    await s.revoke(id, exp)
    expect(await other.isRevoked(id)).toBe(true)
    // Redis drops the key by itself once exp has passed (polled, bounded).
    for (let i = 0; i < 60 && (await raw.exists(`tokengate:revoked:${id}`)) === 1; i++) {
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(await raw.exists(`tokengate:revoked:${id}`)).toBe(0)
    expect(now()).toBeGreaterThanOrEqual(exp - 0.01) // and not before exp
    expect(await other.isRevoked(id)).toBe(false)
    expect(await s.isRevoked(id)).toBe(false) // its local cache ends at the same time
  })

  it('a second revoke of the same jti never shortens its TTL (issue 21 item 8)', async () => {
    const s = store({ grace: 60 })
    const other = store({ grace: 60 }) // another instance: its local cache knows nothing
    const id = jti()
    const key = `tokengate:revoked:${id}`
    const exp = Math.floor(now()) + 3600
    await s.revoke(id, exp) // TTL about 3,660 s
    await other.revoke(id, Math.floor(now()) + 10) // a shorter bound: about 70 s
    expect(await raw.pTTL(key)).toBeGreaterThan((exp + 60) * 1000 - Date.now() - 2000)
    expect(await raw.get(key)).toBe(String(exp + 60))
    // A later bound still extends it.
    await other.revoke(id, exp + 600)
    expect(await raw.pTTL(key)).toBeGreaterThan((exp + 660) * 1000 - Date.now() - 2000)
    expect(await raw.get(key)).toBe(String(exp + 660))
  })

  it('a key without a TTL (written by something else) keeps none', async () => {
    const s = store({ grace: 0 })
    const id = jti()
    await raw.set(`tokengate:revoked:${id}`, 'manual')
    await s.revoke(id, now() + 60)
    expect(await raw.pTTL(`tokengate:revoked:${id}`)).toBe(-1)
    expect(await s.isRevoked(id)).toBe(true)
  })

  it('writes nothing for a token that has already expired', async () => {
    const s = store({ grace: 0 })
    const id = jti()
    await s.revoke(id, now() - 10)
    expect(await raw.exists(`tokengate:revoked:${id}`)).toBe(0)
  })

  it('uses the configured prefix', async () => {
    const s = store({ prefix: 'app1:deny:' })
    const id = jti()
    await s.revoke(id, now() + 60)
    expect(await raw.exists(`app1:deny:${id}`)).toBe(1)
    expect(await store({ prefix: 'app2:deny:' }).isRevoked(id)).toBe(false)
  })

  it('two stores (two instances) on one Redis share the denylist', async () => {
    const a = store()
    const b = store()
    const id = jti()
    expect(await b.isRevoked(id)).toBe(false)
    await a.revoke(id, now() + 600)
    expect(await b.isRevoked(id)).toBe(true)
  })

  it('works with a node-redis client it does not own, and leaves it open on close()', async () => {
    const client = createClient({ url: server.url, disableOfflineQueue: true })
    client.on('error', () => undefined)
    await client.connect()
    const s = createRedisRevocationStore({ client })
    const id = jti()
    await s.revoke(id, now() + 60)
    expect(await s.isRevoked(id)).toBe(true)
    await s.close()
    expect(client.isReady).toBe(true)
    client.destroy()
  })
})

describe('local cache', () => {
  it('reuses "not revoked" only for notRevokedTtl, then sees a revocation made elsewhere', async () => {
    vi.useFakeTimers({ toFake: ['Date'] }) // only Date: the client's own timers stay real
    const a = store()
    const b = store({ cache: { notRevokedTtl: '10s' } })
    const id = jti()
    expect(await b.isRevoked(id)).toBe(false)
    await a.revoke(id, now() + 600)
    expect(await b.isRevoked(id)).toBe(false) // the documented window: cached for up to 10 s
    vi.setSystemTime(Date.now() + 10_001)
    expect(await b.isRevoked(id)).toBe(true)
  })

  it('never caches "not revoked" by default', async () => {
    const a = store()
    const b = store()
    const id = jti()
    expect(await b.isRevoked(id)).toBe(false)
    await a.revoke(id, now() + 600)
    expect(await b.isRevoked(id)).toBe(true)
  })

  it('a revocation made on this instance overrides its cached "not revoked"', async () => {
    const s = store({ cache: { notRevokedTtl: '30s' } })
    const id = jti()
    expect(await s.isRevoked(id)).toBe(false)
    await s.revoke(id, now() + 600)
    expect(await s.isRevoked(id)).toBe(true)
  })

  it('is bounded by max', async () => {
    const s = store({ cache: { max: 2 } })
    const ids = [jti(), jti(), jti()]
    for (const id of ids) await s.revoke(id, now() + 600)
    await raw.del(ids.map((id) => `tokengate:revoked:${id}`)) // only the cache remembers them now
    expect(await Promise.all(ids.map((id) => s.isRevoked(id)))).toEqual([false, true, true])
  })

  it.each([
    ['notRevokedTtl over 60 s', { cache: { notRevokedTtl: '5m' } }, /at most 60s/],
    ['negative cache.max', { cache: { max: -1 } }, /cache\.max must be a non-negative integer/],
    ['no url and no client', { url: undefined }, /exactly one of url or client/],
    [
      'both url and client',
      { client: { sendCommand: async () => null } },
      /exactly one of url or client/,
    ],
    ['an http url', { url: 'http://127.0.0.1:6379' }, /must start with 'redis:\/\/'/],
    ['an unknown policy', { onError: 'ignore' as 'fail-open' }, /onError must be 'fail-closed'/],
    ['a zero timeout', { timeout: 0 }, /timeout must be more than 0/],
    [
      'a bad duration',
      { grace: 'a while' },
      /redis store grace must be a non-negative number of seconds/,
    ],
  ])('refuses bad configuration at construction: %s', (_name, options, message) => {
    expect(() => createRedisRevocationStore({ url: server.url, ...options })).toThrow(message)
  })
})

// These run last: they stop, pause and restart the server.
describe('failure policy', () => {
  it('a client that fails makes isRevoked fail closed (503) and revoke fail loudly', async () => {
    const seen: unknown[] = []
    const s = createRedisRevocationStore({
      client: { sendCommand: () => Promise.reject(new Error('READONLY replica')) },
      onUnavailable: (e) => seen.push(e),
    })
    const error = await failure(s.isRevoked(jti()))
    expect([error.code, error.status, error.toResponse().headers['retry-after']]).toEqual([
      'revocation_unavailable',
      503,
      '5',
    ])
    await expect(s.revoke(jti(), now() + 60)).rejects.toThrow(/could not be stored in Redis/)
    expect(seen).toHaveLength(2)
  })

  it('a client that never answers is cut off by the timeout: no hang', async () => {
    let aborted = false
    const s = createRedisRevocationStore({
      client: {
        sendCommand: (_args, options) => {
          options?.abortSignal?.addEventListener('abort', () => (aborted = true))
          return new Promise(() => undefined)
        },
      },
      timeout: '50ms',
    })
    const error = await failure(s.isRevoked(jti()))
    expect(error.code).toBe('revocation_unavailable')
    expect(String((error.cause as Error).message)).toMatch(/did not answer within 50 ms/)
    expect(aborted).toBe(true) // the queued command is dropped, not left to pile up
  })

  it('Redis stopped, then back: fail-closed refuses, fail-open accepts, both recover', async () => {
    const closed = store()
    const open = store({ onError: 'fail-open' })
    const cold = store() // has never seen the revoked id
    const revokedId = jti()
    await closed.revoke(revokedId, now() + 600)

    await server.stop()
    const error = await failure(closed.isRevoked(jti()))
    expect([error.code, error.status]).toEqual(['revocation_unavailable', 503])
    expect(await open.isRevoked(jti())).toBe(false) // the documented danger of fail-open
    expect(await closed.isRevoked(revokedId)).toBe(true) // revoked answers are cached: still refused
    expect((await failure(cold.isRevoked(revokedId))).code).toBe('revocation_unavailable')
    await expect(open.revoke(jti(), now() + 60)).rejects.toThrow(/could not be stored/)

    await server.start()
    await untilAnswering(closed)
    await untilAnswering(cold)
    expect(await cold.isRevoked(revokedId)).toBe(true) // appendonly Redis kept the revocation
    const later = jti()
    await cold.revoke(later, now() + 600)
    expect(await closed.isRevoked(later)).toBe(true)
  })

  it('Redis hung (SIGSTOP): every call ends within the timeout, then recovers on SIGCONT', async () => {
    const closed = store({ timeout: '500ms' })
    const open = store({ timeout: '500ms', onError: 'fail-open' })
    await untilAnswering(closed)
    await untilAnswering(open)
    server.pause()
    try {
      const errors = await Promise.all([1, 2, 3].map(() => failure(closed.isRevoked(jti()))))
      expect(errors.map((e) => e.code)).toEqual(Array(3).fill('revocation_unavailable'))
      expect(String((errors[0]?.cause as Error).message)).toMatch(/did not answer within 500 ms/)
      expect(await open.isRevoked(jti())).toBe(false)
    } finally {
      server.resume()
    }
    await untilAnswering(closed)
    const id = jti()
    await store().revoke(id, now() + 60)
    // fail-open answers false on any failure, so poll (bounded) for the true answer.
    let answer = false
    for (let i = 0; i < 50 && !answer; i++) answer = await open.isRevoked(id)
    expect(answer).toBe(true)
  })

  it('a store created while Redis is down answers 503 (not a crash) until Redis starts', async () => {
    await server.stop()
    const s = store()
    expect((await failure(s.isRevoked(jti()))).code).toBe('revocation_unavailable')
    await server.start()
    await untilAnswering(s)
    expect(await s.isRevoked(jti())).toBe(false)
  })
})
