// In-memory token buckets for sign-in and token minting: per client address, per username, per user.
//
// Why not a library: the limits key on the username and the verified user, which only the shared
// sign-in code knows (after the body is parsed), not a framework middleware in front of it; the
// framework limiters (express-rate-limit, koa-ratelimit, hono-rate-limiter) are three libraries
// keyed on the request alone, and rate-limiter-flexible's entry module pulls in its limiter built on
// Node's `cluster`, which workerd does not have. One small bucket map here serves all three apps on Node and on Workers alike.

/** One limit: `burst` attempts at once, then one more every `60 / perMinute` seconds. */
export interface RateLimit {
  burst: number
  perMinute: number
}

export type RateLimitResult = { ok: true } | { ok: false; retryAfter: number }

export interface RateLimiter {
  /** Takes one unit for `key`; when none is left, says how many whole seconds until one is. */
  take(key: string, now?: number): RateLimitResult
  /** Gives one unit back (a sign-in that succeeded does not count as a failed attempt). */
  refund(key: string, now?: number): void
}

/**
 * A token bucket per key, at most `maxKeys` of them: a full map first drops the buckets that have
 * refilled (they hold no state), then the least recently used one, so memory stays bounded under a
 * flood of distinct keys.
 *
 * @example
 * const perClient = createRateLimiter({ burst: 30, perMinute: 30 })
 * const result = perClient.take(clientAddress)
 * if (!result.ok) return tooMany(result.retryAfter)
 */
export function createRateLimiter(limit: RateLimit, maxKeys = 10_000): RateLimiter {
  if (!(Number.isInteger(limit.burst) && limit.burst > 0 && limit.perMinute > 0))
    throw new TypeError('rate limit: burst must be a positive integer and perMinute positive')
  const perMs = limit.perMinute / 60_000
  // Map order is the use order: a key is re-inserted each time it is touched.
  const buckets = new Map<string, { tokens: number; at: number }>()

  const current = (key: string, now: number) => {
    const bucket = buckets.get(key)
    if (!bucket) return limit.burst
    return Math.min(limit.burst, bucket.tokens + (now - bucket.at) * perMs)
  }
  const store = (key: string, tokens: number, now: number) => {
    buckets.delete(key)
    if (tokens >= limit.burst) return // a full bucket is the same as none
    if (buckets.size >= maxKeys) {
      for (const [k, b] of buckets)
        if (b.tokens + (now - b.at) * perMs >= limit.burst) buckets.delete(k)
      if (buckets.size >= maxKeys) buckets.delete(buckets.keys().next().value as string)
    }
    buckets.set(key, { tokens, at: now })
  }

  return {
    take(key, now = Date.now()) {
      const tokens = current(key, now)
      if (tokens < 1) {
        store(key, tokens, now) // a refused key is in use too: the last one to be evicted
        return { ok: false, retryAfter: Math.max(1, Math.ceil((1 - tokens) / perMs / 1000)) }
      }
      store(key, tokens - 1, now)
      return { ok: true }
    },
    refund(key, now = Date.now()) {
      store(key, current(key, now) + 1, now)
    },
  }
}

/**
 * The key a client address is limited under: IPv4 as is (IPv4-mapped IPv6 unwrapped), IPv6 by
 * its /64, since one host usually holds a whole /64 and could otherwise rotate through it.
 */
export function clientKey(address: string | undefined): string {
  if (!address) return 'unknown'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return mapped[1]!
  if (!address.includes(':')) return address
  const [head = '', tail = ''] = address.toLowerCase().split('::')
  const left = head === '' ? [] : head.split(':')
  const right = tail === '' ? [] : tail.split(':')
  const groups = address.includes('::')
    ? [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right]
    : left
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`
}
