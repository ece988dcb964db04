// Cache of verified tokens: found by a hash of the token's tail, checked against the whole token,
// bounded by count and by memory; entries never outlive the token or the freshness of its keys.
import type { RemoteKeySource } from '../keys/remote-jwks.js'
import type { AuthContext } from '../types.js'
import { Lru } from '../util/lru.js'

export interface CacheConfig {
  max: number
  /** Milliseconds; an optional cap below the token's own lifetime. */
  ttlMs: number | undefined
  /** Bound on the summed {@link entryWeight} of all entries. Default {@link DEFAULT_MAX_BYTES}. */
  maxBytes?: number
  /**
   * How many recent verifications a token needs before it is cached: 2 (the default) keeps one-use
   * tokens out of the LRU ({@link Doorkeeper}); 1 caches every verified token at once.
   */
  admitAfter?: 1 | 2
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
  readonly #lru: Lru<number, CacheEntry>
  readonly #ttlMs: number | undefined
  readonly #maxEntryBytes: number
  readonly #doorkeeper: Doorkeeper | undefined
  /** The last token get() missed and its tail hash: set() after its verification hashes it no more. */
  #missed: string | undefined
  #missedHash = 0
  /** Counters for the bench and tests: lookups that hit, that missed, and verified tokens kept out. */
  readonly stats = { hits: 0, misses: 0, deferred: 0 }

  constructor(config: CacheConfig) {
    this.#ttlMs = config.ttlMs
    this.#doorkeeper = config.admitAfter === 1 ? undefined : new Doorkeeper(config.max)
    const maxSize = config.maxBytes ?? DEFAULT_MAX_BYTES
    this.#maxEntryBytes = Math.min(MAX_ENTRY_BYTES, maxSize)
    // Expiry is not the LRU's: get() compares notAfter with Date.now (entry bounds come from
    // token timestamps, and tests freeze Date), and an expired entry is evicted like a cold one.
    this.#lru = new Lru<number, CacheEntry>(config.max, maxSize, (entry) =>
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
    const hash = tailHash(token)
    const key = lookupKey(hash)
    const entry = this.#lru.get(key)
    // The whole token must be identical: a token sharing the key (its tail hash) finds nothing.
    if (entry === undefined || entry.ctx.token !== token) {
      this.stats.misses++
      this.#missed = token
      this.#missedHash = hash
      return undefined
    }
    if (Date.now() >= entry.notAfter) {
      this.#lru.delete(key)
      this.stats.misses++
      return undefined
    }
    // A key of the set that verified it was removed or replaced since: verify again.
    if (entry.keys && !entry.keys.source.stillValid(entry.keys.generation)) {
      this.#lru.delete(key)
      this.stats.misses++
      return undefined
    }
    this.stats.hits++
    return entry
  }

  /** `notAfterSec` is the claims bound in seconds (Infinity without exp: cached only with a ttl). */
  set(token: string, entry: Omit<CacheEntry, 'notAfter'>, notAfterSec: number): void {
    // Cheapest refusals first, the clock last: most verified tokens at a busy API that sees each
    // token once stop at the doorkeeper, which needs neither the clock nor an entry (perf, issue 17).
    if (entryWeight(token) > this.#maxEntryBytes) return
    if (this.#ttlMs === undefined && !Number.isFinite(notAfterSec)) return
    // get() missed this token just before its verification (the usual case): its hash is known.
    const hash = token === this.#missed ? this.#missedHash : tailHash(token)
    // First sighting of a token: remembered (a 32-bit hash), not cached (see Doorkeeper).
    if (this.#doorkeeper !== undefined && !this.#doorkeeper.admit(hash)) {
      this.stats.deferred++
      return
    }
    const now = Date.now()
    let notAfter = notAfterSec * 1000
    if (this.#ttlMs !== undefined) notAfter = Math.min(notAfter, now + this.#ttlMs)
    if (!Number.isFinite(notAfter) || notAfter <= now) return
    this.#lru.set(lookupKey(hash), { ...entry, notAfter })
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
 * The LRU is keyed by a 30-bit hash of the token's last 16 characters (inside its last segment for
 * every algorithm: a JWS signature is 43 characters or more, a JWE authentication tag 22 or more),
 * not the whole token: hashing a fresh 300 to 1000 character string on every request was a third of
 * a cache hit (half for a nested JWE; see bench/), finding the last segment first scanned a
 * 342-character RS256 signature back to its dot, and hashing 32 characters instead of 16 cost 20 to
 * 35 ns more per lookup (perf, issue 17). 16 characters of a signature or tag are 96 bits that no one
 * without the key can choose, far more than the 30 bits of the key. A number, not the characters themselves: no
 * string sliced per lookup, and the same hash serves the doorkeeper, computed once per miss. `get`
 * then requires the whole token to be `===`, so the key only finds the candidate. A token whose
 * tail hashes alike finds an entry that is not its own (a miss, then full verification); only a
 * token that verifies can replace it, so a collision (about one in 100,000 entries per insertion at
 * the default bound) costs one verification, never an answer.
 */
function lookupKey(hash: number): number {
  // 30 bits: a small integer on every V8 build (no heap number per key).
  return hash >>> 2
}

/**
 * Admission on second sighting (the "doorkeeper" of TinyLFU, Einziger et al. 2017): a verified token
 * enters the LRU only if it was verified once before, recently. Most tokens at a busy API are sent
 * many times, but a token used once would cost an insertion, an eviction and old-generation garbage
 * (10,000 retained contexts) for nothing: up to 10 µs per request (bench/README.md). A repeated
 * token pays one extra verification, then hits as before.
 *
 * Two generations of a direct-mapped table of 32-bit hashes of the token's tail: a token is "seen"
 * when its slot in either holds its hash. After `max / 2` recordings the older generation is
 * dropped, so the memory reaches back between `max / 2` and `max` verified misses: a token whose
 * reuse distance is longer would be evicted from an LRU of `max` entries before its next use anyway.
 * Fixed memory (8 bytes a slot, 128 KiB for the default `max`), allocated once. Only performance
 * depends on it: a hash collision admits a token early or forgets one, and the LRU entry is still
 * keyed and checked on the whole token (`TokenCache.get`).
 */
export class Doorkeeper {
  #current: Int32Array
  #previous: Int32Array
  readonly #mask: number
  readonly #generation: number
  #recorded = 0

  constructor(max: number) {
    this.#generation = Math.max(1, Math.ceil(max / 2))
    // Twice the slots of the entries a generation records: few collisions, a power of two to mask.
    let slots = 1024
    while (slots < 2 * this.#generation && slots < 1 << 20) slots *= 2
    this.#mask = slots - 1
    this.#current = new Int32Array(slots)
    this.#previous = new Int32Array(slots)
  }

  /**
   * True when the token (a string, or its {@link tailHash}) was recorded recently (admit it now);
   * otherwise records it.
   */
  admit(token: string | number): boolean {
    const hash = typeof token === 'number' ? token : tailHash(token)
    // The low bit is always set (tailHash): the slot comes from higher bits mixed in.
    const slot = (hash ^ (hash >>> 15)) & this.#mask
    if (this.#current[slot] === hash || this.#previous[slot] === hash) return true
    this.#current[slot] = hash
    if (++this.#recorded >= this.#generation) {
      const dropped = this.#previous
      dropped.fill(0)
      this.#previous = this.#current
      this.#current = dropped
      this.#recorded = 0
    }
    return false
  }
}

/** How many of a token's last characters {@link tailHash} reads (see {@link lookupKey}). */
export const TAIL_CHARS = 16

/**
 * FNV-1a over the last {@link TAIL_CHARS} characters and the length: the tail of a token is its
 * signature or JWE tag, unpredictable for a token the issuer made. Never 0 (the empty slot). The
 * LRU's key too ({@link lookupKey}).
 */
function tailHash(token: string): number {
  let h = 0x811c9dc5 ^ token.length
  for (let i = Math.max(0, token.length - TAIL_CHARS); i < token.length; i++) {
    h = Math.imul(h ^ token.charCodeAt(i), 0x01000193)
  }
  return h | 1
}
