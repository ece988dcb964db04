// A real authorization server for introspection tests: oidc-provider (a certified OpenID Provider) on
// 127.0.0.1, issuing opaque access tokens by client_credentials, with introspection (RFC 7662),
// signed introspection answers (RFC 9701), revocation (RFC 7009) and DPoP (RFC 9449). A `fault`
// switch turns its introspection endpoint slow or into garbage; every call to it is counted.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { exportJWK, generateKeyPair, type JWK } from 'jose'
import Provider from 'oidc-provider'
import { closeServer, listen } from './http.js'

/** The API the tokens are for (RFC 8707 resource indicator), and the scopes it knows. */
export const API_RESOURCE = 'https://api.example.test'
export const API_SCOPES = 'orders:read orders:write reports:read'

/** Clients of the API (the resource server) at the authorization server, one per auth method. */
export const RS_CLIENTS = {
  basic: { id: 'rs-basic', secret: 'rs-basic-secret-0123456789abcdef0123456789' },
  post: { id: 'rs-post', secret: 'rs-post-secret-0123456789abcdef0123456789' },
  jwtResponse: { id: 'rs-jwt-response', secret: 'rs-jwt-secret-0123456789abcdef0123456789' },
  privateKeyJwt: { id: 'rs-private-key-jwt' },
} as const

/** The client that obtains tokens (client_credentials) and revokes them. */
export const APP_CLIENT = { id: 'app', secret: 'app-secret-0123456789abcdef0123456789abcd' }

/** What the introspection endpoint does instead of answering (the endpoint made slow or garbage). */
export type Fault =
  | 'none'
  | 'slow'
  | 'html'
  | 'json-array'
  | 'json-string'
  | 'no-active'
  | 'huge'
  | 'http-500'
  | 'wrong-content-type'
  | 'other-issuer'
  /** An answer of the test's choosing (a refresh token's, a strange active member). */
  | { contentType: string; body: string }

export interface AuthorizationServer {
  readonly issuer: string
  readonly introspectionEndpoint: string
  /** The private JWK the private_key_jwt client signs its assertions with. */
  readonly rsPrivateJwk: JWK
  /** Calls received by the introspection endpoint (whatever the fault). */
  introspectionCalls: number
  fault: Fault
  /** An opaque access token (client_credentials, resource API_RESOURCE). */
  token(options?: { scope?: string; dpopProof?: string }): Promise<string>
  /** RFC 7009 revocation of an access token by the app client. */
  revoke(token: string): Promise<void>
  close(): Promise<void>
}

/** Starts oidc-provider on 127.0.0.1 with an ephemeral port. */
export async function startAuthorizationServer(): Promise<AuthorizationServer> {
  const signing = await generateKeyPair('RS256', { extractable: true })
  const rsKey = await generateKeyPair('ES256', { extractable: true })
  const signingJwk = {
    ...(await exportJWK(signing.privateKey)),
    kid: 'as-1',
    alg: 'RS256',
    use: 'sig',
  }
  const rsPrivateJwk = { ...(await exportJWK(rsKey.privateKey)), kid: 'rs-1', alg: 'ES256' }
  const { d: _d, ...rsPublicJwk } = rsPrivateJwk

  // The port is needed for the issuer before the provider exists: listen first, route later.
  const route: { handler?: (req: IncomingMessage, res: ServerResponse) => void } = {}
  const pending = new Set<ServerResponse>()
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/token/introspection')) {
      state.introspectionCalls += 1
      if (state.fault !== 'none' && state.fault !== 'other-issuer')
        return misbehave(state.fault, res, pending)
    }
    route.handler!(req, res)
  })
  const port = await listen(server)
  const issuer = `http://127.0.0.1:${port}`

  const grants = ['client_credentials']
  const provider = new Provider(issuer, {
    jwks: { keys: [signingJwk] },
    clients: [
      {
        client_id: APP_CLIENT.id,
        client_secret: APP_CLIENT.secret,
        grant_types: grants,
        response_types: [],
        redirect_uris: [],
        scope: API_SCOPES,
      },
      {
        client_id: RS_CLIENTS.basic.id,
        client_secret: RS_CLIENTS.basic.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
      },
      {
        client_id: RS_CLIENTS.post.id,
        client_secret: RS_CLIENTS.post.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
      {
        client_id: RS_CLIENTS.jwtResponse.id,
        client_secret: RS_CLIENTS.jwtResponse.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        introspection_signed_response_alg: 'RS256',
      },
      {
        client_id: RS_CLIENTS.privateKeyJwt.id,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'private_key_jwt',
        token_endpoint_auth_signing_alg: 'ES256',
        jwks: { keys: [rsPublicJwk] },
      },
    ],
    scopes: API_SCOPES.split(' '),
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      jwtIntrospection: { enabled: true },
      revocation: { enabled: true, allowedPolicy: () => true },
      dPoP: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => API_RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: API_SCOPES,
          audience: API_RESOURCE,
          accessTokenFormat: 'opaque',
          accessTokenTTL: 3600,
        }),
      },
    },
  })
  // Answers of another issuer: the answer's iss is what the API checks (RFC 7662 §2.2).
  provider.on('introspection.error', () => undefined)
  const callback = provider.callback()
  route.handler = (req, res) => {
    if (state.fault === 'other-issuer' && req.url?.startsWith('/token/introspection')) {
      const end = res.end.bind(res)
      res.end = ((chunk?: unknown, ...rest: unknown[]) => {
        if (typeof chunk === 'string' || Buffer.isBuffer(chunk)) {
          const body = String(chunk).replace(
            JSON.stringify(issuer),
            JSON.stringify('https://evil.example'),
          )
          res.setHeader('content-length', Buffer.byteLength(body))
          return end(body, ...(rest as []))
        }
        return end(chunk as never, ...(rest as []))
      }) as typeof res.end
    }
    callback(req, res)
  }

  const basic = `Basic ${Buffer.from(`${APP_CLIENT.id}:${APP_CLIENT.secret}`).toString('base64')}`
  async function post(
    path: string,
    body: Record<string, string>,
    headers: Record<string, string> = {},
  ) {
    return fetch(`${issuer}${path}`, {
      method: 'POST',
      headers: {
        authorization: basic,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(body),
    })
  }

  const state: AuthorizationServer = {
    issuer,
    introspectionEndpoint: `${issuer}/token/introspection`,
    rsPrivateJwk,
    introspectionCalls: 0,
    fault: 'none',
    async token(options = {}) {
      const res = await post(
        '/token',
        {
          grant_type: 'client_credentials',
          scope: options.scope ?? API_SCOPES,
          resource: API_RESOURCE,
        },
        options.dpopProof ? { dpop: options.dpopProof } : {},
      )
      const json = (await res.json()) as { access_token?: string }
      if (!json.access_token) throw new Error(`no token: ${JSON.stringify(json)}`)
      return json.access_token
    },
    async revoke(token) {
      const res = await post('/token/revocation', { token, token_type_hint: 'access_token' })
      if (res.status !== 200) throw new Error(`revocation failed: ${res.status}`)
    },
    async close() {
      for (const res of pending) res.destroy()
      await closeServer(server)
    },
  }
  return state
}

function misbehave(fault: Fault, res: ServerResponse, pending: Set<ServerResponse>): void {
  if (typeof fault === 'object') {
    res.writeHead(200, { 'content-type': fault.contentType }).end(fault.body)
    return
  }
  switch (fault) {
    case 'slow':
      // Never answers: the API's deadline must end the wait.
      pending.add(res)
      return
    case 'html':
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Sign in</body></html>')
      return
    case 'wrong-content-type':
      res.writeHead(200, { 'content-type': 'text/plain' }).end('{"active":true,"sub":"mallory"}')
      return
    case 'json-array':
      res.writeHead(200, { 'content-type': 'application/json' }).end('[{"active":true}]')
      return
    case 'json-string':
      res.writeHead(200, { 'content-type': 'application/json' }).end('"active"')
      return
    case 'no-active':
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"active":"true","sub":"mallory"}')
      return
    case 'huge':
      // Chunked, no content-length: only the read cap can stop it.
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write(`{"active":true,"sub":"mallory","pad":"`)
      res.end(`${'x'.repeat(1024 * 1024)}"}`)
      return
    case 'http-500':
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"server_error"}')
      return
    default:
      res.writeHead(500).end()
  }
}

/** A loopback URL where nothing listens (the endpoint down): connecting is refused. */
export async function refusedUrl(): Promise<string> {
  const server = createServer()
  const port = await listen(server)
  await closeServer(server)
  return `http://127.0.0.1:${port}/token/introspection`
}
