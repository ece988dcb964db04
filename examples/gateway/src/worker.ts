// Cloudflare Workers entries: the gateway (service bindings to both upstreams, a Durable Object per
// subject for the rate limit) and an upstream worker (the same code, named by its UPSTREAM_NAME).
import { gatewayConfig, logDecision, rateLimitOf, type GatewaySettings } from './config.js'
import { createGateway } from './gateway.js'
import { durableLimiter, SubjectRateLimiter, type LimiterNamespace } from './limiter-durable.js'

export { SubjectRateLimiter }

/** A service binding (wrangler.toml `[[services]]`). */
interface Service {
  fetch(request: Request): Promise<Response>
}

export interface GatewayEnv extends GatewaySettings {
  ORDERS: Service
  BILLING: Service
  LIMITER: LimiterNamespace
}

// One gateway per isolate; a failed start (bad settings) is not cached, so a fixed secret takes
// effect without a redeploy. Without GATEWAY_SIGNING_JWK each isolate would sign with its own key
// while publishing only it: set the secret in production (wrangler secret put GATEWAY_SIGNING_JWK).
let gateway: Promise<{ fetch(request: Request): Response | Promise<Response> }> | undefined

export default {
  fetch(request: Request, env: GatewayEnv): Promise<Response> {
    gateway ??= gatewayConfig(
      env,
      { orders: (r) => env.ORDERS.fetch(r), billing: (r) => env.BILLING.fetch(r) },
      durableLimiter(env.LIMITER, rateLimitOf(env)),
      logDecision,
    ).then((config) => createGateway(config).app)
    gateway.catch(() => (gateway = undefined))
    return gateway.then((app) => app.fetch(request))
  },
}
