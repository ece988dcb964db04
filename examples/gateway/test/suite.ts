// The gateway's behaviour, the same on both deployments: workerd with service bindings
// (worker.test.ts) and three Node processes (node.test.ts).
import { decodeJwt } from 'jose'
import { describe, expect, it } from 'vitest'
import { DEFAULT_AUDIENCES } from '../src/config.js'
import type { Callers } from './callers.js'

export const RATE_LIMIT = 5

export interface Deployment {
  callers: Callers
  gatewayIssuer: string
  /** A request to the gateway. */
  gateway(path: string, init?: RequestInit): Promise<Response>
  /** A request straight to an upstream, bypassing the gateway (an attacker inside the network). */
  upstream(name: 'orders' | 'billing', path: string, init?: RequestInit): Promise<Response>
}

interface Seen {
  service: string
  path: string
  sub: string | null
  scope: string | null
  client_id: string | null
  iss: string
  aud: string
  token: string
  cookie: string | null
  dpop: string | null
}

const bearer = (token: string, extra: Record<string, string> = {}) => ({
  headers: { authorization: `Bearer ${token}`, ...extra },
})

export function gatewaySuite(deployment: () => Deployment): void {
  describe('a valid caller reaches the upstream, which sees only the internal token', () => {
    it.each([
      ['a JWT', 'jwt'],
      ['a nested JWE (RFC 7519 §5.2)', 'jwe'],
    ] as const)('%s', async (_name, kind) => {
      const d = deployment()
      const token = await d.callers[kind].issue({
        sub: `user-${kind}`,
        scope: 'orders:read',
        client_id: 'web-app',
      })
      const res = await d.gateway(
        '/orders/items?page=2',
        bearer(token, { cookie: 'session=caller-secret', dpop: 'caller-proof' }),
      )
      expect(res.status).toBe(200)
      const seen = (await res.json()) as Seen
      expect(seen).toMatchObject({
        service: 'orders',
        path: '/items',
        sub: `user-${kind}`,
        scope: 'orders:read',
        client_id: 'web-app',
        iss: d.gatewayIssuer,
        aud: DEFAULT_AUDIENCES.orders,
        cookie: null,
        dpop: null,
      })
      expect(seen.token).not.toBe(token)
      const internal = decodeJwt(seen.token)
      // Short-lived (gateway.ts INTERNAL_TOKEN_LIFETIME), one audience.
      expect((internal.exp as number) - (internal.iat as number)).toBe(60)
    })

    it('an opaque token, introspected at the authorization server (RFC 7662)', async () => {
      const d = deployment()
      const token = await d.callers.opaque('billing:read')
      const res = await d.gateway('/billing/invoices', bearer(token))
      expect(res.status).toBe(200)
      const seen = (await res.json()) as Seen
      expect(seen).toMatchObject({
        service: 'billing',
        path: '/invoices',
        scope: 'billing:read',
        client_id: 'app',
        iss: d.gatewayIssuer,
        aud: DEFAULT_AUDIENCES.billing,
      })
      expect(seen.token).not.toBe(token)
    })

    it('the gateway publishes its JWKS: public members only', async () => {
      const res = await deployment().gateway('/.well-known/jwks.json')
      const { keys } = (await res.json()) as { keys: Array<Record<string, unknown>> }
      expect(keys).toHaveLength(1)
      expect(keys[0]).toMatchObject({ kty: 'EC', alg: 'ES256', use: 'sig' })
      expect(keys[0]).not.toHaveProperty('d')
    })
  })

  describe('every failure stops at the gateway', () => {
    it.each<[string, (d: Deployment) => Promise<RequestInit>, string, number, string]>([
      ['no token', async () => ({}), '/orders/x', 401, 'token_missing'],
      [
        'a token signed by an unknown key',
        async (d) => bearer(await d.callers.forger.issue({ sub: 'mallory', scope: 'orders:read' })),
        '/orders/x',
        401,
        'signature_invalid',
      ],
      [
        'a token for another audience',
        async (d) =>
          bearer(
            await d.callers.jwt.issue(
              { sub: 'u', scope: 'orders:read' },
              { audience: 'https://elsewhere.example' },
            ),
          ),
        '/orders/x',
        401,
        'claim_invalid',
      ],
      [
        'a valid token without the route scope',
        async (d) => bearer(await d.callers.jwt.issue({ sub: 'u', scope: 'orders:read' })),
        '/billing/x',
        403,
        'insufficient_scope',
      ],
      [
        'an opaque token the server does not know',
        async () => bearer('not-a-token-the-server-issued-0123456789'),
        '/orders/x',
        401,
        'token_inactive',
      ],
      [
        "an internal token replayed at the gateway (another issuer's)",
        async (d) => bearer(await internalToken(d)),
        '/orders/x',
        401,
        'key_not_found',
      ],
    ])('%s', async (_name, init, path, status, code) => {
      const d = deployment()
      const res = await d.gateway(path, await init(d))
      expect(res.status).toBe(status)
      const body = (await res.json()) as Record<string, unknown>
      expect(body).toMatchObject({ code })
      // A refusal of tokengate's, not an answer of the upstream's.
      expect(body).not.toHaveProperty('service')
    })
  })

  describe('each upstream trusts only internal tokens for itself', () => {
    it('an internal token for orders, replayed at billing: 401 claim_invalid (aud, RFC 7519 §4.1.3)', async () => {
      const d = deployment()
      const token = await internalToken(d)
      const res = await d.upstream('billing', '/invoices', bearer(token))
      expect(res.status).toBe(401)
      expect(await res.json()).toMatchObject({ code: 'claim_invalid' })
      // The same token is good where it was meant to go.
      expect((await d.upstream('orders', '/items', bearer(token))).status).toBe(200)
    })

    it("a caller's own token sent straight to an upstream: refused", async () => {
      const d = deployment()
      const token = await d.callers.jwt.issue({ sub: 'u', scope: 'orders:read' })
      const res = await d.upstream('orders', '/items', bearer(token))
      expect(res.status).toBe(401)
    })
  })

  it(`limits each subject to ${RATE_LIMIT} requests per window: 429 with Retry-After`, async () => {
    const d = deployment()
    const token = await d.callers.jwt.issue({ sub: 'busy-user', scope: 'orders:read' })
    const other = await d.callers.jwt.issue({ sub: 'calm-user', scope: 'orders:read' })
    for (let i = 0; i < RATE_LIMIT; i++)
      expect((await d.gateway('/orders/x', bearer(token))).status).toBe(200)
    const limited = await d.gateway('/orders/x', bearer(token))
    expect(limited.status).toBe(429)
    const retryAfter = Number(limited.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(await limited.json()).toMatchObject({ error: 'rate_limited' })
    // Per subject: another caller is not affected.
    expect((await d.gateway('/orders/x', bearer(other))).status).toBe(200)
  })
}

/** An internal token for orders, as the orders upstream received it through the gateway. */
async function internalToken(d: Deployment): Promise<string> {
  const token = await d.callers.jwt.issue({ sub: 'replayer', scope: 'orders:read billing:read' })
  const res = await d.gateway('/orders/items', bearer(token))
  return ((await res.json()) as Seen).token
}
