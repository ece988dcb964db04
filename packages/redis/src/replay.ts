// A DPoP replay store in Redis (RFC 9449 §11.1): a proof used on one instance is refused on every other.
import type { Duration, DpopReplayStore } from '@tokengate/core'
import { openConnection, type RedisCommandClient } from './connection.js'

/**
 * Options of {@link createRedisReplayStore}: `url` or `client` (one of them), the key prefix and
 * the longest wait.
 *
 * @example
 * createRedisReplayStore({ url: 'redis://localhost:6379', timeout: '250ms' })
 */
export interface RedisReplayStoreOptions {
  /** Redis URL (`redis://…`, `rediss://…`): the store creates, connects and, on `close()`, closes its client. */
  url?: string
  /** Or a client you connect and close yourself. Prefer node-redis with `disableOfflineQueue: true`. */
  client?: RedisCommandClient
  /** Key prefix; each proof is the key `prefix + key` (a SHA-256 of the proof key, URI and jti). Default `'tokengate:dpop:'`. */
  prefix?: string
  /** Longest wait for one Redis command; no request waits longer. Default `'500ms'`. */
  timeout?: Duration
  /** Told about every Redis failure (for logs and metrics). */
  onUnavailable?: (error: unknown) => void
}

/** A {@link DpopReplayStore} in Redis. `close()` closes a client the store created from a URL. */
export interface RedisReplayStore extends DpopReplayStore {
  add(key: string, expiresAt: number): Promise<boolean>
  /** Closes the client the store created from `url`; a `client` you passed is left to you. */
  close(): Promise<void>
}

/**
 * A DPoP replay store shared by every instance that points at the same Redis: each proof is one
 * `SET key 1 NX PX ttl`, so the first instance to record it wins and every other answers "seen"
 * (RFC 9449 §11.1). Keys expire by themselves at the end of the proof's window.
 *
 * Always fail-closed: when Redis fails or is slow, `add` rejects and the request gets 503
 * `replay_check_unavailable` with `Retry-After`. There is no fail-open mode, because a replay check
 * that lets a proof through unrecorded is no replay check.
 *
 * @example
 * const replayStore = createRedisReplayStore({ url: process.env.REDIS_URL! })
 * createAuthenticator({ ...options, dpop: { mode: 'required', origins, replayStore } })
 */
export function createRedisReplayStore(options: RedisReplayStoreOptions): RedisReplayStore {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('tokengate: createRedisReplayStore takes { url } or { client }')
  }
  const known = ['url', 'client', 'prefix', 'timeout', 'onUnavailable']
  for (const key of Object.keys(options)) {
    if (!known.includes(key))
      throw new TypeError(
        `tokengate: createRedisReplayStore: unknown option ${key}: it takes { ${known.join(', ')} }`,
      )
  }
  const prefix = options.prefix ?? 'tokengate:dpop:'
  if (typeof prefix !== 'string')
    throw new TypeError('tokengate: redis replay store prefix must be a string')
  const connection = openConnection(options, 'createRedisReplayStore')

  return {
    async add(key, expiresAt) {
      if (typeof key !== 'string' || key === '' || !Number.isFinite(expiresAt))
        throw new TypeError(
          'tokengate: replay store add(key, expiresAt) takes a key and epoch seconds',
        )
      // A TTL relative to this instance's clock (Redis's own clock does not matter); at least 1 ms,
      // since PX 0 is an error and the core records a proof only while its window is open.
      const ttlMs = Math.max(1, Math.ceil(expiresAt * 1000 - Date.now()))
      let reply: unknown
      try {
        reply = await connection.command(['SET', prefix + key, '1', 'NX', 'PX', String(ttlMs)])
      } catch (cause) {
        connection.onUnavailable?.(cause)
        throw new Error('tokengate: the DPoP replay store (Redis) is unavailable', { cause })
      }
      if (reply === 'OK') return true
      if (reply === null) return false
      // Anything else is not an answer: the core turns the throw into 503, never an accept.
      throw new Error(`tokengate: unexpected Redis reply to SET NX: ${typeof reply}`)
    },
    close: () => connection.close(),
  }
}
