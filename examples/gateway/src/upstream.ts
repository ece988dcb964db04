// An upstream service behind the gateway: it trusts only internal tokens the gateway signed for it.
import type { DecisionEvent, KeyOption } from '@tokengate/core'
import { tokengate, type AuthVariables } from '@tokengate/hono'
import { Hono } from 'hono'

export interface UpstreamConfig {
  /** The service's name, echoed in its answers. */
  name: string
  /** Its own audience: internal tokens for another upstream are refused (RFC 7519 §4.1.3). */
  audience: string
  /** The gateway's issuer identifier (the internal tokens' `iss`). */
  gatewayIssuer: string
  /** Where the gateway publishes its keys: `{ jwksUri }` over HTTP, or `{ jwks }` given directly. */
  gatewayKeys: KeyOption
  onDecision?: (hop: string, event: DecisionEvent) => void
}

/** The Hono app of one upstream: `GET /whoami` says what the service was given; any other path echoes it. */
export function createUpstream(config: UpstreamConfig) {
  const onDecision = config.onDecision
  const app = new Hono<{ Variables: AuthVariables }>()
  app.use(
    '*',
    tokengate({
      // The gateway signs internal tokens with ES256 (config.ts).
      algorithms: ['ES256'],
      key: config.gatewayKeys,
      issuer: config.gatewayIssuer,
      audience: config.audience,
      // Internal tokens are minted per request for one hop (gateway.ts): anything older is a replay.
      maxTokenAge: '2m',
      ...(onDecision && { onDecision: (event: DecisionEvent) => onDecision(config.name, event) }),
    }),
  )
  app.all('*', (c) => {
    const ctx = c.get('auth')
    return c.json({
      service: config.name,
      path: new URL(c.req.url).pathname,
      method: c.req.method,
      sub: ctx.payload.sub ?? null,
      scope: ctx.payload.scope ?? null,
      client_id: ctx.payload.client_id ?? null,
      iss: ctx.payload.iss,
      aud: ctx.payload.aud,
      // What reached the service: the internal token only, never the caller's credentials.
      token: ctx.token,
      cookie: c.req.header('cookie') ?? null,
      dpop: c.req.header('dpop') ?? null,
    })
  })
  return app
}
