// The default DPoP replay cache (RFC 9449 §11.1): proofs seen within their window, in memory, bounded.
import type { DpopReplayStore } from '../types.js'

/**
 * An in-memory {@link DpopReplayStore}: each key counts as seen while `now < expiresAt`, and
 * `expiresAt` is past the end of the proof's `iat` window, so an accepted proof is always found. When `max` live entries are held, `add` throws rather
 * than evict one, since a dropped entry would let that proof be replayed; the request then fails
 * with 503 `replay_check_unavailable`. One process only: several instances need a shared store.
 *
 * @example
 * const store = createMemoryReplayStore({ max: 100_000 })
 * store.add('key', Date.now() / 1000 + 60) // true; a second time: false
 */
export function createMemoryReplayStore(options: { max?: number } = {}): DpopReplayStore {
  const max = options.max ?? 100_000
  const seen = new Map<string, number>()
  // No sweep before the earliest expiry: a cache full of live entries costs one comparison per add.
  let nextSweep = 0
  const sweep = (now: number) => {
    nextSweep = Number.POSITIVE_INFINITY
    for (const [key, expiresAt] of seen) {
      if (expiresAt <= now) seen.delete(key)
      else if (expiresAt < nextSweep) nextSweep = expiresAt
    }
  }
  return {
    add(key, expiresAt) {
      const now = Date.now() / 1000
      const previous = seen.get(key)
      if (previous !== undefined && previous > now) return false
      if (seen.size >= max && now >= nextSweep) sweep(now)
      if (seen.size >= max) throw new Error('the DPoP replay cache is full')
      seen.delete(key)
      seen.set(key, expiresAt)
      if (expiresAt < nextSweep) nextSweep = expiresAt
      return true
    },
  }
}
