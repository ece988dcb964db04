// The gateway's configuration from plain string settings: process.env on Node, bindings on Workers.
import { generateKeys, type AuthenticatorOptions, type DecisionEvent } from '@tokengate/core'
import type { GatewayConfig, Route, SubjectLimiter, Upstream } from './gateway.js'

/** The settings, all strings (JSON for keys), the same on both runtimes. */
export interface GatewaySettings {
  /** The authorization server callers get tokens from (their `iss`). */
  CALLER_ISSUER: string
  /** Its public keys: a JWK Set as JSON, or CALLER_JWKS_URI. */
  CALLER_JWKS?: string
  CALLER_JWKS_URI?: string
  /** The JWS algorithms of callers' tokens, comma-separated. Default ES256. */
  CALLER_ALGORITHMS?: string
  /** The `aud` callers' tokens must carry: the gateway as a resource server. */
  GATEWAY_AUDIENCE: string
  /** The gateway's own issuer identifier (its URL): internal tokens' `iss`. */
  GATEWAY_ISSUER: string
  /** Private JWK (JSON, with its `alg`: ECDH-ES+A256KW, RSA-OAEP-256...) that nested JWEs are encrypted to. */
  GATEWAY_DECRYPT_JWK?: string
  /** Private JWK (JSON, ES256) that signs internal tokens; without it, one is generated per process. */
  GATEWAY_SIGNING_JWK?: string
  /** RFC 7662 introspection of opaque tokens: the endpoint and the gateway's client at the server. */
  INTROSPECTION_ENDPOINT?: string
  INTROSPECTION_CLIENT_ID?: string
  INTROSPECTION_CLIENT_SECRET?: string
  ORDERS_AUDIENCE?: string
  BILLING_AUDIENCE?: string
  /** Requests per subject per RATE_LIMIT_WINDOW seconds. Default 60 per 60 s. */
  RATE_LIMIT_POINTS?: string
  RATE_LIMIT_WINDOW?: string
}

/** The two upstreams and the scope each route needs. */
export const ROUTES: Route[] = [
  { prefix: '/orders', upstream: 'orders', scopes: ['orders:read'] },
  { prefix: '/billing', upstream: 'billing', scopes: ['billing:read'] },
]

export const DEFAULT_AUDIENCES = {
  orders: 'https://orders.internal.example',
  billing: 'https://billing.internal.example',
}

export function rateLimitOf(s: GatewaySettings): { points: number; duration: number } {
  const points = Number(s.RATE_LIMIT_POINTS ?? 60)
  const duration = Number(s.RATE_LIMIT_WINDOW ?? 60)
  if (!(Number.isInteger(points) && points > 0 && Number.isInteger(duration) && duration > 0))
    throw new TypeError(
      'gateway: RATE_LIMIT_POINTS and RATE_LIMIT_WINDOW must be positive integers',
    )
  return { points, duration }
}

function json(name: string, value: string): Record<string, unknown> {
  try {
    return JSON.parse(value) as Record<string, unknown>
  } catch {
    throw new TypeError(`gateway: ${name} must be JSON (a JWK or a JWK Set)`)
  }
}

/** The inbound (caller) rules: JWTs, nested JWEs, and opaque tokens by introspection. */
export function inboundOptions(s: GatewaySettings): AuthenticatorOptions {
  if (!s.CALLER_ISSUER || !s.GATEWAY_AUDIENCE || !s.GATEWAY_ISSUER)
    throw new TypeError('gateway: set CALLER_ISSUER, GATEWAY_AUDIENCE and GATEWAY_ISSUER')
  const key = s.CALLER_JWKS
    ? { jwks: json('CALLER_JWKS', s.CALLER_JWKS) as { keys: [] } }
    : s.CALLER_JWKS_URI
      ? { jwksUri: s.CALLER_JWKS_URI }
      : undefined
  if (!key) throw new TypeError('gateway: set CALLER_JWKS (JSON) or CALLER_JWKS_URI')
  const decrypt = s.GATEWAY_DECRYPT_JWK
    ? json('GATEWAY_DECRYPT_JWK', s.GATEWAY_DECRYPT_JWK)
    : undefined
  const introspect =
    s.INTROSPECTION_ENDPOINT && s.INTROSPECTION_CLIENT_ID && s.INTROSPECTION_CLIENT_SECRET
  return {
    algorithms: (s.CALLER_ALGORITHMS ?? 'ES256').split(',').map((a) => a.trim()),
    key,
    issuer: s.CALLER_ISSUER,
    audience: s.GATEWAY_AUDIENCE,
    ...(decrypt && {
      // The JWK's own alg is the one algorithm a JWE may name (RFC 8725 §3.1: one key, one alg).
      decrypt: {
        keys: decrypt,
        keyManagementAlgorithms: [String(decrypt.alg ?? 'ECDH-ES+A256KW')],
      },
    }),
    ...(introspect && {
      introspection: {
        endpoint: s.INTROSPECTION_ENDPOINT as string,
        client: {
          id: s.INTROSPECTION_CLIENT_ID as string,
          secret: s.INTROSPECTION_CLIENT_SECRET as string,
        },
        // A token revoked at the server stops passing the gateway within this time.
        cache: { maxAge: '10s' },
      },
    }),
  } as AuthenticatorOptions
}

/** The whole gateway configuration, with the runtime's upstream transport and limiter. */
export async function gatewayConfig(
  s: GatewaySettings,
  transport: { orders: Upstream['fetch']; billing: Upstream['fetch'] },
  limiter: SubjectLimiter,
  onDecision?: (hop: string, event: DecisionEvent) => void,
): Promise<GatewayConfig> {
  const signingKey = s.GATEWAY_SIGNING_JWK
    ? json('GATEWAY_SIGNING_JWK', s.GATEWAY_SIGNING_JWK)
    : (await generateKeys('ES256')).privateJwk
  return {
    inbound: inboundOptions(s),
    internal: { alg: 'ES256', signingKey: signingKey as never },
    issuer: s.GATEWAY_ISSUER,
    upstreams: {
      orders: { audience: s.ORDERS_AUDIENCE ?? DEFAULT_AUDIENCES.orders, fetch: transport.orders },
      billing: {
        audience: s.BILLING_AUDIENCE ?? DEFAULT_AUDIENCES.billing,
        fetch: transport.billing,
      },
    },
    routes: ROUTES,
    limiter,
    ...(onDecision && { onDecision }),
  }
}

/** Decision events as one JSON line each (hop, outcome, step, code, subject): what a log pipeline reads. */
export function logDecision(hop: string, e: DecisionEvent): void {
  console.log(
    JSON.stringify({
      event: 'decision',
      hop,
      outcome: e.outcome,
      step: e.step,
      ...(e.code && { code: e.code, status: e.status }),
      ...(e.subject && { subject: e.subject }),
      ...(e.audience && { audience: e.audience }),
    }),
  )
}
