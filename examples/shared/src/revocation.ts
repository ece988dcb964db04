// Where the examples keep revoked token ids: the one place to swap for a shared store.
import { createMemoryRevocationStore, type RevocationStore } from '@tokengate/core'

/**
 * The examples' revocation store: in memory, so one process only, emptied on restart (together
 * with generated keys, which makes every old token useless anyway). With several instances, pass
 * a shared store instead (`createApp({ revocation })`), e.g. one from `@tokengate/redis`.
 *
 * @example
 * const revocation = createRevocationStore()
 */
export function createRevocationStore(): RevocationStore {
  return createMemoryRevocationStore()
}
