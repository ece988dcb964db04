// Cache of verified tokens: keyed by the whole token, bounded by count and by memory, entries never
// outlive the token or the freshness of the remote keys that verified it.
import type { RemoteKeySource } from '../keys/remote-jwks.js'
import type { AuthContext } from '../types.js'
import { Lru } from '../util/lru.js'

export interface CacheConfig {
  max: number
  /** Milliseconds; an optional cap below the token's own lifetime. */
  ttlMs: number | undefined
  /** Bound on the summed {@link entryWeight} of all entries. Default {@link DEFAULT_MAX_BYTES}. */
  maxBytes?: number
}

/** The remote key set a result was verified with, and its generation then (keys/remote-jwks.ts). */
export interface KeyBinding {
  source: RemoteKeySource
  generation: number
}

export interface CacheEntry {
  ctx: AuthContext<unknown>
  /** The verified claims as signed (before any zod transform), for the revocation check on a hit. */
  claims: Readonly<Record<string, unknown>>
  /** Set when remote keys verified the token: the hit is refused once a refresh removed a key. */
  keys?: KeyBinding | undefined
  /** Epoch milliseconds after which the entry must not be used (exp, maxTokenAge, ttl). */
  notAfter: number
}

/** 64 MiB of estimated heap: about 7,000 entries of a 1 KB token, 1,300 of the heaviest cached. */
export const DEFAULT_MAX_BYTES = 64 * 1024 * 1024

/** An entry heavier than this (a token over about 6,000 characters) is not cached: it is verified on every request. */
export const MAX_ENTRY_BYTES = 48 * 1024

/**
 * Estimated heap of an entry. Everything in it is derived from the token: the token string, and
 * the JSON decoded from it (JWS and JWE headers, payload, the claims and a transformed payload).
 * Decoded JSON takes several bytes of heap per byte of text (an object per `{}`, a property per
 * member), so the token's length counts eight times, plus a fixed overhead for the context
 * objects. An estimate that needs no serialisation on the hot path and no heap measurement.
 */
export function entryWeight(token: string): number {
  return 512 + 8 * token.length
}

/**
 * Successful results only (failures are never cached). The key is the full compact token, so one
 * token can never receive another token's context; a hit is checked against the clock again.
 *
 * Memory (issue 21): anyone may re-encrypt a valid token under a junk JWE protected header when
 * public-key decryption is on, giving any number of distinct, valid, heavy tokens. The LRU is
 * therefore bounded by summed weight as well as by count, and too heavy an entry is not cached.
 *
 * @example
 * const cache = new TokenCache({ max: 10000, ttlMs: undefined })
 */
export class TokenCache {
  readonly #lru: Lru<string, CacheEntry>
  readonly #ttlMs: number | undefined
  readonly #maxEntryBytes: number

  constructor(config: CacheConfig) {
    this.#ttlMs = config.ttlMs
    const maxSize = config.maxBytes ?? DEFAULT_MAX_BYTES
    this.#maxEntryBytes = Math.min(MAX_ENTRY_BYTES, maxSize)
    // Expiry is not the LRU's: get() compares notAfter with Date.now (entry bounds come from
    // token timestamps, and tests freeze Date), and an expired entry is evicted like a cold one.
    this.#lru = new Lru<string, CacheEntry>(config.max, maxSize, (entry) =>
      entryWeight(entry.ctx.token),
    )
  }

  /** The summed weight of the entries held (for tests and metrics). */
  get weight(): number {
    return this.#lru.weight
  }

  get size(): number {
    return this.#lru.size
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
    // A key of the set that verified it was removed or replaced since: verify again.
    if (entry.keys && !entry.keys.source.stillValid(entry.keys.generation)) {
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
    if (entryWeight(token) > this.#maxEntryBytes) return
    this.#lru.set(lookupKey(token), { ...entry, notAfter })
  }
}

const caches = new WeakMap<object, TokenCache>()

/** Internal (not exported by index.ts): lets tests read an authenticator's cache accounting. */
export function registerCache(authenticator: object, cache: TokenCache): void {
  caches.set(authenticator, cache)
}

/** The cache of an authenticator made by createAuthenticator, for tests; undefined when off. */
export function cacheOf(authenticator: object): TokenCache | undefined {
  return caches.get(authenticator)
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
