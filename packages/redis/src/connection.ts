// The Redis connection shared by both stores: exactly one of url or client, a bounded wait per command.
import { parseDuration, type Duration } from '@tokengate/core'
import { createClient } from 'redis'

/**
 * What the stores need from a client: node-redis v4/v5 (`createClient()` from `redis`) fits as is.
 * Any other client can be wrapped, e.g. ioredis: `{ sendCommand: ([c, ...a]) => redis.call(c, ...a) }`.
 */
export interface RedisCommandClient {
  /** Sends one command (`['SET', key, '1', ...]`) and resolves to its reply; aborted past `timeout`. */
  sendCommand(args: string[], options?: { abortSignal?: AbortSignal }): Promise<unknown>
}

/** The connection options both stores take. */
export interface ConnectionOptions {
  url?: string
  client?: RedisCommandClient
  timeout?: Duration
  onUnavailable?: (error: unknown) => void
}

/** A connection: one bounded command at a time, and `close()` for a client created from `url`. */
export interface Connection {
  command(args: string[]): Promise<unknown>
  close(): Promise<void>
  readonly onUnavailable: ((error: unknown) => void) | undefined
}

/** Validates the connection options (`name` is the factory, for messages) and connects. */
export function openConnection(options: ConnectionOptions, name: string): Connection {
  const { url, client, onUnavailable } = options
  if ((url === undefined) === (client === undefined)) {
    throw new TypeError(`tokengate: ${name} needs exactly one of url or client`)
  }
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw new TypeError("tokengate: redis store url must start with 'redis://' or 'rediss://'")
  }
  if (client !== undefined && typeof client?.sendCommand !== 'function') {
    throw new TypeError(
      'tokengate: redis store client must have sendCommand(args), as node-redis clients do',
    )
  }
  if (onUnavailable !== undefined && typeof onUnavailable !== 'function') {
    throw new TypeError('tokengate: redis store onUnavailable must be a function')
  }
  const timeout = parseDuration(options.timeout ?? 0.5, 'redis store timeout')
  if (timeout <= 0) throw new TypeError('tokengate: redis store timeout must be more than 0')
  const timeoutMs = Math.ceil(timeout * 1000)
  const owned = client === undefined ? connect(url as string, timeoutMs, onUnavailable) : undefined
  const sender: RedisCommandClient = client ?? (owned?.client as RedisCommandClient)

  return {
    onUnavailable,
    async command(args) {
      const abort = new AbortController()
      let timer: ReturnType<typeof setTimeout> | undefined
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          const error = new Error(`Redis did not answer within ${timeoutMs} ms`)
          abort.abort(error)
          reject(error)
        }, timeoutMs)
      })
      try {
        // Right after start-up the store's own client may still be connecting: wait for that too,
        // within the same timeout, rather than refuse the first requests.
        if (owned?.connecting) await Promise.race([owned.connecting, timedOut])
        // Promise.resolve().then: a client that throws synchronously still lands in the catch.
        const reply = Promise.resolve().then(() =>
          sender.sendCommand(args, { abortSignal: abort.signal }),
        )
        return await Promise.race([reply, timedOut])
      } finally {
        clearTimeout(timer)
      }
    },
    async close() {
      if (owned === undefined) return
      const own = owned.client
      if (own.isReady) {
        await own.close().catch(() => own.destroy())
      } else if (own.isOpen) {
        own.destroy() // (re)connecting: nothing to wait for
      }
    },
  }
}

// The store's own client: fails fast while disconnected (no offline queue), reconnects with a
// capped backoff, bounds its queue, and reports errors instead of crashing the process.
function connect(
  url: string,
  timeoutMs: number,
  onUnavailable: ((error: unknown) => void) | undefined,
) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    commandsQueueMaxLength: 10_000,
    socket: {
      connectTimeout: Math.max(timeoutMs, 1000),
      reconnectStrategy: (retries) => Math.min(50 * 2 ** Math.min(retries, 6), 2000),
    },
  })
  client.on('error', (error: unknown) => onUnavailable?.(error))
  const state: { client: typeof client; connecting: Promise<unknown> | undefined } = {
    client,
    connecting: undefined,
  }
  // Settles on the first attempt's outcome: later attempts (Redis down) must not slow requests.
  state.connecting = new Promise<void>((settle) => {
    const done = () => {
      state.connecting = undefined
      client.off('ready', done).off('error', done)
      settle()
    }
    client.on('ready', done).on('error', done)
  })
  client.connect().catch((error: unknown) => onUnavailable?.(error))
  return state
}
