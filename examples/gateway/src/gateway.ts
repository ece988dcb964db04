// The edge gateway: authenticates each caller once with tokengate, then forwards to an upstream a
// short-lived internal token of its own (the caller's credentials never leave the gateway).
import {
  createTokenIssuer,
  type AuthContext,
  type AuthenticatorOptions,
  type DecisionEvent,
  type TokenIssuerOptions,
} from '@tokengate/core'
import { requireScopes, tokengate, type AuthVariables } from '@tokengate/hono'
import { Hono } from 'hono'

/** One upstream service behind the gateway. */
export interface Upstream {
  /** The `aud` of the internal tokens it receives: an internal token is good for this service only. */
  audience: string
  /** Sends the request to it: a service binding's fetch on Workers, an HTTP fetch on Node. */
  fetch(request: Request): Promise<Response>
}

/** A route: requests under `prefix` go to `upstream` when the caller's token has `scopes`. */
export interface Route {
  prefix: string
  upstream: string
  scopes: string[]
}

/**
 * A per-subject limit: `ok`, or how many whole seconds until the next request is allowed
 * (`unavailable` when the limiter's store failed: 503, never an unlimited pass).
 */
export interface SubjectLimiter {
  take(
    subject: string,
  ): Promise<{ ok: true } | { ok: false; retryAfter: number; unavailable?: boolean }>
}

export interface GatewayConfig {
  /** How callers' tokens are checked (JWT, nested JWE, introspected opaque token). */
  inbound: AuthenticatorOptions
  /** The gateway's own signing: `signingKey` (or an HSM/KMS `signer`) and `alg`. */
  internal: Pick<TokenIssuerOptions, 'signingKey' | 'signer' | 'alg' | 'kid'>
  /** The gateway's own issuer identifier: the `iss` of internal tokens. */
  issuer: string
  upstreams: Record<string, Upstream>
  routes: Route[]
  limiter: SubjectLimiter
  /** One event per decision of the gateway hop; upstreams report theirs (upstream.ts). */
  onDecision?: (hop: string, event: DecisionEvent) => void
}

// RFC 6750 §2 bearer credentials, RFC 9449 DPoP proofs and cookies: the caller's, never forwarded.
// Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded either.
const STRIPPED = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'dpop',
  'connection',
  'keep-alive',
  'te',
  'upgrade',
  'host',
]
/** The lifetime of an internal token: one hop, so short; each request gets a fresh one. */
export const INTERNAL_TOKEN_LIFETIME = 60

/** Builds the gateway app; throws at start-up on a bad configuration (route to an unknown upstream...). */
export function createGateway(config: GatewayConfig) {
  for (const route of config.routes) {
    if (!config.upstreams[route.upstream])
      throw new TypeError(`gateway: route ${route.prefix} names unknown upstream ${route.upstream}`)
    if (!/^\/[a-z0-9-]+$/.test(route.prefix))
      throw new TypeError(`gateway: route prefix ${route.prefix} must be /name`)
  }
  const issuer = createTokenIssuer({
    ...config.internal,
    issuer: config.issuer,
    expiresIn: INTERNAL_TOKEN_LIFETIME,
    maxLifetime: INTERNAL_TOKEN_LIFETIME,
  } as TokenIssuerOptions)
  const onDecision = config.onDecision
  const auth = tokengate({
    ...config.inbound,
    ...(onDecision && { onDecision: (event: DecisionEvent) => onDecision('gateway', event) }),
  })

  const app = new Hono<{ Variables: AuthVariables }>()
  // The gateway's own keys, which every upstream verifies internal tokens with (RFC 7517 §5).
  app.get('/.well-known/jwks.json', async (c) =>
    c.json(await issuer.publicJwks(), 200, { 'cache-control': 'public, max-age=300' }),
  )
  app.get('/health', (c) => c.json({ ok: true }))
  // An upstream that cannot be reached (or a signer that failed) is the gateway's failure to
  // report, never a 500 with a stack: 502, and the cause in the gateway's own log.
  app.onError((err, c) => {
    console.error(JSON.stringify({ event: 'gateway_error', name: err.name, message: err.message }))
    return c.json(
      { error: 'bad_gateway', error_description: 'the upstream could not be reached' },
      502,
    )
  })

  for (const route of config.routes) {
    const upstream = config.upstreams[route.upstream] as Upstream
    const forward = async (c: {
      req: { raw: Request }
      get(key: 'auth'): AuthContext
    }): Promise<Response> => {
      const ctx = c.get('auth')
      const subject = String(ctx.payload.sub ?? ctx.payload.client_id ?? '')
      const limit = await config.limiter.take(subject)
      if (!limit.ok)
        return Response.json(
          limit.unavailable
            ? { error: 'rate_limit_unavailable', error_description: 'the rate limiter is down' }
            : { error: 'rate_limited', error_description: 'too many requests for this subject' },
          {
            status: limit.unavailable ? 503 : 429,
            headers: { 'retry-after': String(limit.retryAfter) },
          },
        )
      const internal = await issuer.issue(
        {
          ...(typeof ctx.payload.sub === 'string' && { sub: ctx.payload.sub }),
          scope: ctx.scopes.join(' '),
          ...(typeof ctx.payload.client_id === 'string' && { client_id: ctx.payload.client_id }),
        },
        { audience: upstream.audience },
      )
      const incoming = c.req.raw
      const url = new URL(incoming.url)
      const headers = new Headers(incoming.headers)
      for (const name of STRIPPED) headers.delete(name)
      headers.set('authorization', `Bearer ${internal}`)
      const path = url.pathname.slice(route.prefix.length) || '/'
      const body = ['GET', 'HEAD'].includes(incoming.method)
        ? undefined
        : await incoming.arrayBuffer()
      const response = await upstream.fetch(
        new Request(`http://${route.upstream}${path}${url.search}`, {
          method: incoming.method,
          headers,
          ...(body !== undefined && { body }),
          redirect: 'manual',
        }),
      )
      // The upstream's answer, without cookies it might set for the gateway's origin.
      const answer = new Headers(response.headers)
      answer.delete('set-cookie')
      return new Response(response.body, {
        status: response.status,
        statusText: response.statusText,
        headers: answer,
      })
    }
    app.all(`${route.prefix}/*`, auth, requireScopes(route.scopes), forward)
    app.all(route.prefix, auth, requireScopes(route.scopes), forward)
  }
  return { app, issuer }
}
