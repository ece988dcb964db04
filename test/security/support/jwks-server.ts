// A JWKS (and discovery) server on 127.0.0.1 that a test controls: keys, failure modes, hit counts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/**
 * How the server answers:
 * - `ok`: the current JWKS as JSON
 * - `error`: HTTP 500
 * - `slow`: holds the request open until `release()` or the server closes (longer than any client timeout)
 * - `garbage`: 200 with a body that is not JSON
 * - `not-jwks`: 200 with JSON that is not a JWK Set
 * - `huge`: 200 with a 16 MiB body that never becomes valid JSON
 */
export type JwksMode = 'ok' | 'error' | 'slow' | 'garbage' | 'not-jwks' | 'huge'

export interface JwksServer {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  /** `${origin}/jwks.json` */
  readonly jwksUri: string
  /** Requests for the JWKS path since start (or the last `resetHits`). */
  readonly hits: number
  /** Requests for either discovery path. */
  readonly discoveryHits: number
  /** Requests for any other path (e.g. a smuggled `jku`/`x5u` URL): must stay 0. */
  readonly strayHits: number
  mode: JwksMode
  /** JWKS requests held open by `slow` mode right now. */
  readonly held: number
  /** Answers every held request with the current JWKS (a slow server that finally responds). */
  release(): void
  setKeys(jwks: { keys: object[] }): void
  /** The document served at `/.well-known/openid-configuration` (404 when unset). */
  setDiscovery(doc: Record<string, unknown> | undefined): void
  resetHits(): void
  /** Stops listening and drops open connections (connection refused from now on). */
  down(): Promise<void>
  /** Listens again on the same port. */
  up(): Promise<void>
  close(): Promise<void>
}

const HUGE_CHUNK = Buffer.alloc(64 * 1024, 0x20)
const HUGE_CHUNKS = 256

/** Starts a server on a random port of 127.0.0.1. */
export async function startJwksServer(
  initial: { keys: object[] } = { keys: [] },
): Promise<JwksServer> {
  let jwks = initial
  let discovery: Record<string, unknown> | undefined
  let hits = 0
  let discoveryHits = 0
  let strayHits = 0
  let mode: JwksMode = 'ok'
  const sockets = new Set<Socket>()
  const held = new Set<ServerResponse>()

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]
    if (
      path === '/.well-known/openid-configuration' ||
      path === '/.well-known/oauth-authorization-server'
    ) {
      discoveryHits += 1
      if (!discovery || path !== '/.well-known/openid-configuration') {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(discovery))
      return
    }
    if (path !== '/jwks.json') {
      strayHits += 1
      res.writeHead(404).end()
      return
    }
    hits += 1
    switch (mode) {
      case 'ok':
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(jwks))
        return
      case 'error':
        res.writeHead(500, { 'content-type': 'text/plain' }).end('internal error')
        return
      case 'slow':
        held.add(res)
        res.on('close', () => held.delete(res))
        return
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('<html>{"keys": [nope')
        return
      case 'not-jwks':
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end('{"keys":"none","hello":[1,2]}')
        return
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.write('{"keys":[')
        let sent = 0
        const pump = () => {
          while (sent < HUGE_CHUNKS) {
            sent += 1
            if (!res.write(HUGE_CHUNK)) {
              res.once('drain', pump)
              return
            }
          }
          res.end('"unterminated')
        }
        res.on('error', () => undefined)
        pump()
        return
      }
    }
  }

  const server: Server = createServer(handler)
  server.keepAliveTimeout = 1000
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const origin = `http://127.0.0.1:${port}`
  let listening = true

  const down = async () => {
    if (!listening) return
    listening = false
    for (const res of held) res.destroy()
    for (const socket of sockets) socket.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  return {
    origin,
    jwksUri: `${origin}/jwks.json`,
    get hits() {
      return hits
    },
    get discoveryHits() {
      return discoveryHits
    },
    get strayHits() {
      return strayHits
    },
    get mode() {
      return mode
    },
    set mode(value: JwksMode) {
      mode = value
    },
    get held() {
      return held.size
    },
    release() {
      for (const res of held) {
        held.delete(res)
        res.writeHead(200, { 'content-type': 'application/jwk-set+json' }).end(JSON.stringify(jwks))
      }
    },
    setKeys(next) {
      jwks = next
    },
    setDiscovery(doc) {
      discovery = doc
    },
    resetHits() {
      hits = 0
      discoveryHits = 0
      strayHits = 0
    },
    down,
    async up() {
      if (listening) return
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject)
        server.listen(port, '127.0.0.1', () => {
          server.off('error', reject)
          resolve()
        })
      })
      listening = true
    },
    close: down,
  }
}
