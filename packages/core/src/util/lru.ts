// A least-recently-used map bounded by entry count and by summed entry weight.
//
// Written here rather than taken from lru-cache: the verified-token cache needs only get, set,
// delete and two bounds (expiry is checked by its caller on every hit, token/cache.ts), which a
// Map gives in insertion order; lru-cache's TTL, fetch and dispose machinery was 18 KiB of the
// 120 KiB edge-bundle budget (issue 14 item 4, scripts/size.mjs).

/**
 * `max` entries and `maxWeight` summed weight at most; the least recently read or written entry
 * goes first. An entry heavier than `maxWeight` is not stored.
 *
 * @example
 * const lru = new Lru<string, string>(1000, 1 << 20, (value) => value.length)
 */
export class Lru<K, V> {
  // A Map iterates in insertion order: re-inserting on use keeps the least recent first.
  readonly #map = new Map<K, { value: V; weight: number }>()
  readonly #max: number
  readonly #maxWeight: number
  readonly #weigh: (value: V) => number
  #weight = 0
  /** The key last read or written (the Map's last entry), undefined when unknown. */
  #newest: K | undefined

  constructor(max: number, maxWeight: number, weigh: (value: V) => number) {
    this.#max = max
    this.#maxWeight = maxWeight
    this.#weigh = weigh
  }

  /** Entries held. */
  get size(): number {
    return this.#map.size
  }

  /** Summed weight of the entries held. */
  get weight(): number {
    return this.#weight
  }

  /** The value, now the most recently used; undefined when absent. */
  get(key: K): V | undefined {
    const slot = this.#map.get(key)
    if (slot === undefined) return undefined
    // Already the most recent (a client sending its token again): moving it would change nothing,
    // and a delete and a set per cache hit leave the Map tombstones to rehash.
    if (key === this.#newest) return slot.value
    this.#map.delete(key)
    this.#map.set(key, slot)
    this.#newest = key
    return slot.value
  }

  /** Stores (or replaces) the value as the most recently used, then evicts down to the bounds. */
  set(key: K, value: V): void {
    const weight = this.#weigh(value)
    this.delete(key)
    if (weight > this.#maxWeight) return
    this.#map.set(key, { value, weight })
    this.#newest = key
    this.#weight += weight
    for (const [oldest, slot] of this.#map) {
      if (this.#map.size <= this.#max && this.#weight <= this.#maxWeight) break
      this.#map.delete(oldest)
      this.#weight -= slot.weight
    }
  }

  /** Removes the entry, if any. */
  delete(key: K): void {
    const slot = this.#map.get(key)
    if (slot === undefined) return
    this.#map.delete(key)
    if (key === this.#newest) this.#newest = undefined
    this.#weight -= slot.weight
  }
}
