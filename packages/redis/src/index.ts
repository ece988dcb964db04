// @tokengate/redis: a revocation store in Redis, so every instance of an app shares one denylist,
// and a DPoP replay store (replay.ts), so a proof is spent once across every instance.
import { AuthError, parseDuration, type Duration, type RevocationStore } from '@tokengate/core'
import { LRUCache } from 'lru-cache'
import { openConnection, type RedisCommandClient } from './connection.js'

export type { RedisCommandClient } from './connection.js'
export {
  createRedisReplayStore,
  type RedisReplayStore,
  type RedisReplayStoreOptions,
} from './replay.js'

/**
 * Options of {@link createRedisRevocationStore}: `url` or `client` (one of them), then the failure
 * policy and bounds.
 *
 * @example
 * createRedisRevocationStore({ url: 'redis://localhost:6379', timeout: '250ms', onError: 'fail-closed' })
 */
export interface RedisRevocationStoreOptions {
  /** Redis URL (`redis://…`, `rediss://…`): the store creates, connects and, on `close()`, closes its client. */
  url?: string
  /** Or a client you connect and close yourself. Prefer node-redis with `disableOfflineQueue: true`. */
  client?: RedisCommandClient
  /** Key prefix; each revoked `jti` is the key `prefix + jti`. Default `'tokengate:revoked:'`. */
  prefix?: string
  /**
   * When Redis fails or does not answer within `timeout`: `'fail-closed'` (default) refuses the
   * request with 503 `revocation_unavailable`; `'fail-open'` accepts the token unchecked, so a
   * revoked (stolen) token gets in while Redis is down. `revoke` always fails loudly.
   */
  onError?: 'fail-closed' | 'fail-open'
  /** Longest wait for one Redis command; no request waits longer. Default `'500ms'`. */
  timeout?: Duration
  /**
   * Extra lifetime of each key past `expiresAt`, so that an instance whose clock is behind, or that
   * still accepts the token within its `clockTolerance`, keeps refusing it. Default 60 s.
   */
  grace?: Duration
  /** Local cache of answers (per instance, bounded). `false` turns it off. Default `{ max: 1000 }` ("revoked" answers only). */
  cache?: false | RedisRevocationCacheOptions
  /** Told about every Redis failure (for logs and metrics), whatever `onError` says. */
  onUnavailable?: (error: unknown) => void
}

/** The per-instance cache of Redis answers, {@link RedisRevocationStoreOptions.cache}. */
export interface RedisRevocationCacheOptions {
  /** Most entries of each kind. Default 1000. */
  max?: number
  /**
   * How long a "not revoked" answer may be reused. Default 0 (never). Another instance's
   * revocation can go unseen here for up to this long, so it is capped at 60 s.
   * "Revoked" answers are always kept until the key's own expiry: they cannot become false.
   */
  notRevokedTtl?: Duration
}

/** A {@link RevocationStore} in Redis. `close()` closes a client the store created from a URL. */
export interface RedisRevocationStore extends RevocationStore<unknown> {
  isRevoked(jti: string): Promise<boolean>
  revoke(jti: string, expiresAt: number): Promise<void>
  /** Closes the client the store created from `url`; a `client` you passed is left to you. */
  close(): Promise<void>
}

const DEFAULT_PREFIX = 'tokengate:revoked:'
const MAX_NOT_REVOKED_TTL = 60
const RETRY_AFTER_SECONDS = 5
/**
 * Revoking a `jti` again never shortens its key's life (as the memory store keeps the later end):
 * the key is written only when it is missing or would expire sooner. A key without a TTL (written
 * by something else) is left alone. A script rather than `PEXPIRE … GT` (Redis 7+): one round
 * trip, atomic, and it also keeps the value (the key's end) in step with the TTL on Redis 6.
 */
const KEEP_LATER_EXPIRY = `local ttl = redis.call('PTTL', KEYS[1])
if ttl == -1 or ttl >= tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`

/**
 * A revocation store shared by every instance that points at the same Redis. Each revoked `jti` is
 * one key whose TTL ends at the token's expiry (plus `grace`), so Redis forgets it by itself.
 *
 * @example
 * const revocation = createRedisRevocationStore({ url: process.env.REDIS_URL })
 * const authenticator = createAuthenticator({ ...options, revocation })
 * app.post('/logout', async (req, res) => { await authenticator.revoke(req.auth); res.sendStatus(204) })
 */
export function createRedisRevocationStore(
  options: RedisRevocationStoreOptions,
): RedisRevocationStore {
  const config = resolve(options)
  const { prefix, failOpen, grace, notRevokedTtlMs, onUnavailable } = config
  const connection = openConnection(options, 'createRedisRevocationStore')
  const command = connection.command
  // jti -> epoch ms until which the answer holds.
  const revoked =
    config.cacheMax > 0 ? new LRUCache<string, number>({ max: config.cacheMax }) : undefined
  const notRevoked =
    config.cacheMax > 0 && notRevokedTtlMs > 0
      ? new LRUCache<string, number>({ max: config.cacheMax })
      : undefined

  return {
    async isRevoked(jti) {
      const now = Date.now()
      const revokedUntil = revoked?.get(jti)
      if (revokedUntil !== undefined) {
        if (revokedUntil > now) return true
        revoked?.delete(jti)
      }
      const notRevokedUntil = notRevoked?.get(jti)
      if (notRevokedUntil !== undefined) {
        if (notRevokedUntil > now) return false
        notRevoked?.delete(jti)
      }
      let reply: unknown
      try {
        reply = await command(['GET', prefix + jti])
      } catch (cause) {
        onUnavailable?.(cause)
        if (failOpen) return false
        throw new AuthError('revocation_unavailable', 'the revocation store is unavailable', {
          cause,
          retryAfter: RETRY_AFTER_SECONDS,
        })
      }
      if (reply === null || reply === undefined) {
        notRevoked?.set(jti, Date.now() + notRevokedTtlMs)
        return false
      }
      // The value is the key's own end (epoch seconds); a key written by something else still
      // counts as revoked and is cached briefly.
      const until = Number(String(reply)) * 1000
      revoked?.set(jti, Number.isFinite(until) ? until : Date.now() + 1000)
      return true
    },

    async revoke(jti, expiresAt) {
      if (typeof jti !== 'string' || jti.length === 0) {
        throw new TypeError('tokengate: revoke(jti, expiresAt): jti must be a non-empty string')
      }
      if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) {
        throw new TypeError(
          'tokengate: revoke(jti, expiresAt): expiresAt must be a finite number of epoch seconds',
        )
      }
      const until = expiresAt + grace
      // A relative TTL measured on this clock: Redis's own clock may differ from ours.
      const ttlMs = Math.ceil(until * 1000 - Date.now())
      if (ttlMs <= 0) return // already refused for its exp
      try {
        // One script, so two revocations racing on other instances cannot shorten it either.
        await command(['EVAL', KEEP_LATER_EXPIRY, '1', prefix + jti, String(until), String(ttlMs)])
      } catch (cause) {
        onUnavailable?.(cause)
        throw new Error('tokengate: the revocation could not be stored in Redis', { cause })
      }
      notRevoked?.delete(jti)
      const cached = revoked?.get(jti)
      revoked?.set(jti, Math.max(cached ?? 0, until * 1000))
    },

    close: () => connection.close(),
  }
}

interface ResolvedOptions {
  prefix: string
  failOpen: boolean
  grace: number
  cacheMax: number
  notRevokedTtlMs: number
  onUnavailable: ((error: unknown) => void) | undefined
}

function resolve(options: RedisRevocationStoreOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('tokengate: createRedisRevocationStore takes { url } or { client }')
  }
  const { prefix = DEFAULT_PREFIX, onError = 'fail-closed', cache = {}, onUnavailable } = options
  if (typeof prefix !== 'string')
    throw new TypeError('tokengate: redis store prefix must be a string')
  if (onError !== 'fail-closed' && onError !== 'fail-open') {
    throw new TypeError(
      "tokengate: redis store onError must be 'fail-closed' (default) or 'fail-open'",
    )
  }
  let cacheMax = 0
  let notRevokedTtl = 0
  if (cache !== false) {
    cacheMax = cache.max ?? 1000
    if (!Number.isSafeInteger(cacheMax) || cacheMax < 0) {
      throw new TypeError(
        'tokengate: redis store cache.max must be a non-negative integer (default 1000)',
      )
    }
    notRevokedTtl = seconds(cache.notRevokedTtl ?? 0, 'cache.notRevokedTtl')
    if (notRevokedTtl > MAX_NOT_REVOKED_TTL) {
      throw new TypeError(
        `tokengate: redis store cache.notRevokedTtl must be at most ${MAX_NOT_REVOKED_TTL}s: it delays revocations made on other instances`,
      )
    }
  }
  return {
    prefix,
    failOpen: onError === 'fail-open',
    grace: seconds(options.grace ?? 60, 'grace'),
    cacheMax,
    notRevokedTtlMs: Math.round(notRevokedTtl * 1000),
    onUnavailable,
  }
}

// The core's duration syntax ('500ms', '30s', '10m', '1h', '1d', or a number of seconds).
function seconds(value: Duration, name: string): number {
  return parseDuration(value, `redis store ${name}`)
}
