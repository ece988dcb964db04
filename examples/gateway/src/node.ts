// Node: the gateway and an upstream as HTTP servers (one process each), the limit in Redis.
import type { AddressInfo } from 'node:net'
import { serve, type ServerType } from '@hono/node-server'
import { createClient, type RedisClientType } from 'redis'
import { gatewayConfig, logDecision, rateLimitOf, type GatewaySettings } from './config.js'
import { createGateway } from './gateway.js'
import { redisLimiter } from './limiter-redis.js'
import { createUpstream } from './upstream.js'

export interface Running {
  url: string
  close(): Promise<void>
}

function listen(
  fetch: (r: Request) => Response | Promise<Response>,
  port: number,
): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ server, url: `http://127.0.0.1:${info.port}` }),
    )
  })
}

const closing = (server: ServerType) => () =>
  new Promise<void>((resolve) => {
    server.close(() => resolve())
    ;(server as { closeAllConnections?: () => void }).closeAllConnections?.()
  })

/** The gateway: upstreams reached over HTTP at `ORDERS_URL` / `BILLING_URL`, the limit in `REDIS_URL`. */
export async function startGateway(
  settings: GatewaySettings & { ORDERS_URL: string; BILLING_URL: string; REDIS_URL: string },
  port = 0,
): Promise<Running> {
  // Without the offline queue a command fails at once while Redis is down, instead of waiting
  // for a reconnection with the caller's request held open.
  const redis = createClient({
    url: settings.REDIS_URL,
    disableOfflineQueue: true,
  }) as RedisClientType
  redis.on('error', () => undefined) // a Redis outage answers 503 per request (limiter-redis.ts)
  await redis.connect()
  const to = (base: string) => (request: Request) => {
    const url = new URL(request.url)
    return fetch(`${base}${url.pathname}${url.search}`, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      // A streamed body needs half duplex in Node's fetch.
      ...(request.body && { duplex: 'half' }),
    } as RequestInit)
  }
  const config = await gatewayConfig(
    settings,
    { orders: to(settings.ORDERS_URL), billing: to(settings.BILLING_URL) },
    redisLimiter(redis, rateLimitOf(settings)),
    logDecision,
  )
  const { app } = createGateway(config)
  const { server, url } = await listen(app.fetch, port)
  return {
    url,
    close: async () => {
      await closing(server)()
      await redis.quit().catch(() => undefined)
    },
  }
}

/** One upstream, verifying internal tokens with the gateway's JWKS at `GATEWAY_JWKS_URI`. */
export async function startUpstream(
  settings: {
    UPSTREAM_NAME: string
    UPSTREAM_AUDIENCE: string
    GATEWAY_ISSUER: string
    GATEWAY_JWKS_URI: string
  },
  port = 0,
): Promise<Running> {
  const app = createUpstream({
    name: settings.UPSTREAM_NAME,
    audience: settings.UPSTREAM_AUDIENCE,
    gatewayIssuer: settings.GATEWAY_ISSUER,
    gatewayKeys: { jwksUri: settings.GATEWAY_JWKS_URI },
    onDecision: logDecision,
  })
  const { server, url } = await listen(app.fetch, port)
  return { url, close: closing(server) }
}
