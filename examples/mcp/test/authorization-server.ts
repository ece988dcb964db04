// A real authorization server for the MCP flow: oidc-provider on 127.0.0.1 with dynamic client
// registration (RFC 7591), resource indicators (RFC 8707) issuing JWT access tokens (RFC 9068)
// for the MCP server's resource, PKCE, and its development login and consent pages.
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateKeyPairSync } from 'node:crypto'
import Provider from 'oidc-provider'

export interface AuthorizationServer {
  issuer: string
  /** Drives the development login and consent pages as a user would: returns the redirect with the code. */
  authorize(url: URL, user?: string): Promise<URL>
  close(): Promise<void>
}

export async function startAuthorizationServer(scopes: string[]): Promise<AuthorizationServer> {
  const server: Server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const keys = [
    {
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' }),
      alg: 'ES256',
    },
    {
      ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
      alg: 'RS256',
    },
  ].map((jwk) => ({ ...jwk, use: 'sig', kid: `as-${jwk.alg}` }))
  const provider = new Provider(issuer, {
    jwks: { keys },
    scopes: ['openid', 'offline_access', ...scopes],
    clientDefaults: {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
    },
    features: {
      devInteractions: { enabled: true },
      registration: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // RFC 8707: the token is for the resource the client asked for, as a JWT (RFC 9068).
        getResourceServerInfo: (_ctx, resourceIndicator) => ({
          scope: scopes.join(' '),
          audience: resourceIndicator,
          accessTokenTTL: 600,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
        useGrantedResource: () => true,
      },
    },
    pkce: { required: () => true },
  })
  provider.on('server_error', (_ctx, err) => console.error('oidc-provider:', err))
  const handle = provider.callback()
  server.on('request', (req, res) => {
    if (req.method !== 'POST' || req.url !== '/reg') return void handle(req, res)
    // This authorization server does not limit a registration to the scope asked for first: an
    // MCP client registers with the scope of its first request and steps up later (the MCP
    // authorization spec's scope challenges). oidc-provider reads an already parsed req.body.
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const { scope: _scope, ...metadata } = JSON.parse(Buffer.concat(chunks).toString() || '{}')
      Object.assign(req, { body: metadata })
      void handle(req, res)
    })
  })

  return {
    issuer,
    async authorize(url, user = 'alice') {
      const jar = new Map<string, string>()
      const send = async (target: string, init: RequestInit = {}) => {
        const res = await fetch(new URL(target, issuer), {
          ...init,
          redirect: 'manual',
          headers: {
            ...(init.headers as Record<string, string>),
            cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '),
          },
        })
        for (const line of res.headers.getSetCookie()) {
          const [pair] = line.split(';')
          const at = pair!.indexOf('=')
          jar.set(pair!.slice(0, at), pair!.slice(at + 1))
        }
        return res
      }
      let res = await send(url.href)
      for (let step = 0; step < 10; step++) {
        const location = res.headers.get('location')
        if (res.status >= 300 && res.status < 400 && location) {
          const next = new URL(location, issuer)
          if (next.origin !== issuer) return next // the client's redirect_uri, with the code
          res = await send(next.href)
          continue
        }
        // An interaction page: log in, then consent (the development pages' forms).
        const html = await res.text()
        const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1]
        const action = /action="([^"]+)"/.exec(html)?.[1]
        if (!prompt || !action)
          throw new Error(`unexpected page from the authorization server: ${res.status}`)
        const form = new URLSearchParams({
          prompt,
          ...(prompt === 'login' && { login: user, password: 'pw' }),
        })
        res = await send(action, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        })
      }
      throw new Error('the authorization did not end in a redirect to the client')
    },
    async close() {
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
