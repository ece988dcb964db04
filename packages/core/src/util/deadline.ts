// One shared promise joined by many requests, each on a deadline of its own.

/**
 * Waits for `shared` at most `ms` on a timer of this caller's own. On Workers I/O belongs to the
 * request that started it: when that request ends first (a timeout middleware answered), the runtime
 * cancels its fetch and `shared` never settles, so a request joining it must give up by itself
 * (issue 21 item 1). Past the deadline `expire()` runs (drop the stuck promise so the next request
 * starts anew) and its error rejects this wait.
 *
 * @example
 * return joinWithin(this.#inflight, timeoutMs, () => { this.#inflight = undefined; return new Error('timeout') })
 */
export function joinWithin<T>(shared: Promise<T>, ms: number, expire: () => unknown): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(expire()), ms)
  })
  return Promise.race([shared, deadline]).finally(() => clearTimeout(timer))
}
