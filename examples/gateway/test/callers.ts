// The callers' side for the gateway tests: a real authorization server (oidc-provider) issuing
// opaque tokens it introspects (RFC 7662), and JWT / nested-JWE access tokens under the same issuer.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { once } from 'node:events'
import { createTokenIssuer, generateKeys, type TokenIssuer } from '@tokengate/core'
import type { JWK } from 'jose'
import Provider from 'oidc-provider'

export const GATEWAY_AUDIENCE = 'https://gateway.example.test'
export const SCOPES = 'orders:read billing:read'
export const APP = { id: 'app', secret: 'app-secret-0123456789abcdef0123456789abcd' }
export const GATEWAY_CLIENT = { id: 'gateway', secret: 'gateway-secret-0123456789abcdef012345678' }

export interface Callers {
  issuer: string
  introspectionEndpoint: string
  /** The public keys of JWT access tokens, as the gateway is configured with them. */
  jwks: { keys: JWK[] }
  /** The gateway's private decryption JWK (nested JWEs are encrypted to its public half). */
  gatewayDecryptJwk: JWK
  jwt: TokenIssuer
  /** A JWT signed by a key the gateway does not trust. */
  forger: TokenIssuer
  jwe: TokenIssuer
  /** An opaque token from the authorization server (client_credentials, client_id `app`). */
  opaque(scope?: string): Promise<string>
  close(): Promise<void>
}

/** `n` distinct free ports on 127.0.0.1 (all held open together, so none is handed out twice). */
export async function freePorts(n: number): Promise<number[]> {
  const probes = Array.from({ length: n }, () => createServer().listen(0, '127.0.0.1'))
  await Promise.all(probes.map((p) => once(p, 'listening')))
  const ports = probes.map((p) => (p.address() as AddressInfo).port)
  await Promise.all(probes.map((p) => new Promise((r) => p.close(r))))
  return ports
}

export async function startCallers(): Promise<Callers> {
  const route: { handler?: Parameters<typeof createServer>[1] } = {}
  const server = createServer((req, res) => route.handler!(req, res))
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const asKey = await generateKeys('RS256')
  const provider = new Provider(issuer, {
    jwks: { keys: [asKey.privateJwk!] },
    clients: [
      {
        client_id: APP.id,
        client_secret: APP.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: SCOPES,
      },
      {
        client_id: GATEWAY_CLIENT.id,
        client_secret: GATEWAY_CLIENT.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: SCOPES.split(' '),
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => GATEWAY_AUDIENCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: SCOPES,
          audience: GATEWAY_AUDIENCE,
          accessTokenFormat: 'opaque',
          accessTokenTTL: 600,
        }),
      },
    },
  })
  route.handler = provider.callback()

  const signing = await generateKeys('ES256')
  const decrypt = await generateKeys('ECDH-ES+A256KW')
  const forgery = await generateKeys('ES256', { kid: signing.kid })
  const base = { alg: 'ES256', issuer, audience: GATEWAY_AUDIENCE, expiresIn: '5m' } as const
  const basic = `Basic ${Buffer.from(`${APP.id}:${APP.secret}`).toString('base64')}`
  return {
    issuer,
    introspectionEndpoint: `${issuer}/token/introspection`,
    jwks: { keys: [signing.publicJwk] },
    gatewayDecryptJwk: decrypt.privateJwk!,
    jwt: createTokenIssuer({ ...base, signingKey: signing.privateJwk! }),
    forger: createTokenIssuer({ ...base, signingKey: forgery.privateJwk! }),
    jwe: createTokenIssuer({
      ...base,
      signingKey: signing.privateJwk!,
      encryptTo: { key: decrypt.publicJwk, alg: 'ECDH-ES+A256KW' },
    }),
    async opaque(scope = SCOPES) {
      const res = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          scope,
          resource: GATEWAY_AUDIENCE,
        }),
      })
      const json = (await res.json()) as { access_token?: string }
      if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`)
      return json.access_token
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** The gateway's settings for these callers (config.ts), as strings. */
export function gatewaySettings(callers: Callers, gatewayIssuer: string, rateLimit: number) {
  return {
    CALLER_ISSUER: callers.issuer,
    CALLER_JWKS: JSON.stringify(callers.jwks),
    GATEWAY_AUDIENCE,
    GATEWAY_ISSUER: gatewayIssuer,
    GATEWAY_DECRYPT_JWK: JSON.stringify(callers.gatewayDecryptJwk),
    INTROSPECTION_ENDPOINT: callers.introspectionEndpoint,
    INTROSPECTION_CLIENT_ID: GATEWAY_CLIENT.id,
    INTROSPECTION_CLIENT_SECRET: GATEWAY_CLIENT.secret,
    RATE_LIMIT_POINTS: String(rateLimit),
    RATE_LIMIT_WINDOW: '60',
  }
}
