// Cloudflare Workers entry of an upstream: verifies the gateway's internal tokens with the
// gateway's published JWKS (GATEWAY_JWKS_URI) and answers for UPSTREAM_NAME.
import { logDecision } from './config.js'
import { createUpstream } from './upstream.js'

export interface UpstreamEnv {
  UPSTREAM_NAME: string
  UPSTREAM_AUDIENCE: string
  GATEWAY_ISSUER: string
  GATEWAY_JWKS_URI: string
}

let app: ReturnType<typeof createUpstream> | undefined

export default {
  fetch(request: Request, env: UpstreamEnv): Response | Promise<Response> {
    app ??= createUpstream({
      name: env.UPSTREAM_NAME,
      audience: env.UPSTREAM_AUDIENCE,
      gatewayIssuer: env.GATEWAY_ISSUER,
      gatewayKeys: { jwksUri: env.GATEWAY_JWKS_URI },
      onDecision: logDecision,
    })
    return app.fetch(request)
  },
}
