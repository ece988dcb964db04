// Cache of verified tokens: keyed by the whole token, bounded, entries never outlive the token.
import { LRUCache } from 'lru-cache'
import type { AuthContext } from './types.js'

export interface CacheConfig {
  max: number
  /** Milliseconds; an optional cap below the token's own lifetime. */
  ttlMs: number | undefined
}

export interface CacheEntry {
  ctx: AuthContext<unknown>
  /** The verified claims as signed (before any zod transform), for the revocation check on a hit. */
  claims: Readonly<Record<string, unknown>>
  /** Epoch milliseconds after which the entry must not be used (exp, maxTokenAge, ttl). */
  notAfter: number
}

/**
 * Successful results only (failures are never cached). The key is the full compact token, so one
 * token can never receive another token's context; a hit is checked against the clock again.
 *
 * @example
 * const cache = new TokenCache({ max: 10000, ttlMs: undefined })
 */
export class TokenCache {
  readonly #lru: LRUCache<string, CacheEntry>
  readonly #ttlMs: number | undefined

  constructor(config: CacheConfig) {
    this.#ttlMs = config.ttlMs
    // Date.now rather than performance.now: entry bounds come from token timestamps (and tests freeze Date).
    this.#lru = new LRUCache<string, CacheEntry>({
      max: config.max,
      perf: { now: () => Date.now() },
    })
  }

  get(token: string): CacheEntry | undefined {
    const key = lookupKey(token)
    const entry = this.#lru.get(key)
    // The whole token must be identical: a crafted token sharing the last segment finds nothing.
    if (entry === undefined || entry.ctx.token !== token) return undefined
    if (Date.now() >= entry.notAfter) {
      this.#lru.delete(key)
      return undefined
    }
    return entry
  }

  /** `notAfterSec` is the claims bound in seconds (Infinity without exp: cached only with a ttl). */
  set(token: string, entry: Omit<CacheEntry, 'notAfter'>, notAfterSec: number): void {
    const now = Date.now()
    let notAfter = notAfterSec * 1000
    if (this.#ttlMs !== undefined) notAfter = Math.min(notAfter, now + this.#ttlMs)
    if (!Number.isFinite(notAfter) || notAfter <= now) return
    this.#lru.set(lookupKey(token), { ...entry, notAfter }, { ttl: Math.ceil(notAfter - now) })
  }
}

/**
 * The LRU is keyed by the token's last segment (the JWS signature, the JWE authentication tag), not
 * the whole token: hashing a fresh 300 to 1000 character string on every request was a third of a
 * cache hit (half for a nested JWE; see bench/). `get` then requires the whole token to be `===`, so
 * the key only finds the candidate. A token crafted to share another's last segment finds an entry
 * that is not its own (a miss, then full verification); only a token that verifies can replace it.
 */
function lookupKey(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1)
}
