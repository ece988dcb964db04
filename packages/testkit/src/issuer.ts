// A loopback issuer: OpenID discovery, RFC 8414 metadata and a JWKS on 127.0.0.1, signing tokens
// with its own key, with the faults an operator meets (404 JWKS, duplicate kid, skewed Date...).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { JWK, JWTPayload } from 'jose'
import { makeKeys, signToken, type SignOptions, type TestKeys } from '@tokengate/testing'

/** What the issuer serves; every member can be changed between requests with `set()`. */
export interface IssuerBehaviour {
  /** Status of the JWKS route (default 200). */
  jwksStatus: number
  /** The JWK Set served (default: the public half of the signing key). */
  jwks: { keys: object[] }
  /** Which metadata documents exist (default `openid`: only /.well-known/openid-configuration). */
  discovery: 'openid' | 'oauth' | 'both' | 'none'
  /** The `issuer` the documents name (default the issuer itself). */
  documentIssuer: string
  /** `Cache-Control` of the JWKS (default `public, max-age=600`); null sends none. */
  cacheControl: string | null
  /** Seconds added to the `Date` header of every answer (default 0). */
  dateOffset: number
}

/** A running loopback issuer. */
export interface FaultyIssuer {
  /** `http://127.0.0.1:<port>`: the issuer identifier, the `iss` of its tokens. */
  readonly issuer: string
  /** `${issuer}/jwks.json` */
  readonly jwksUri: string
  /** The signing key (ES256 unless another alg is asked). */
  readonly keys: TestKeys
  /** A signed token: `iss` is the issuer, `aud` `https://api.test` unless given, `typ` at+jwt. */
  sign(claims?: JWTPayload, options?: Partial<SignOptions>): Promise<string>
  /** Changes what the issuer serves. */
  set(change: Partial<IssuerBehaviour>): void
  /** Back to the defaults. */
  reset(): void
  /** JWKS requests answered so far. */
  readonly jwksHits: number
  close(): Promise<void>
}

/** Starts an issuer on a random port of 127.0.0.1 that signs with a fresh `alg` key. */
export async function startLoopbackIssuer(alg = 'ES256'): Promise<FaultyIssuer> {
  const keys = await makeKeys(alg)
  const sockets = new Set<Socket>()
  let issuer = ''
  let jwksHits = 0
  const defaults = (): IssuerBehaviour => ({
    jwksStatus: 200,
    jwks: { keys: [keys.publicJwk as JWK] },
    discovery: 'openid',
    documentIssuer: issuer,
    cacheControl: 'public, max-age=600',
    dateOffset: 0,
  })
  let behaviour: IssuerBehaviour

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    res.sendDate = false
    res.setHeader('date', new Date(Date.now() + behaviour.dateOffset * 1000).toUTCString())
    const path = (req.url ?? '/').split('?')[0]
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      res
        .writeHead(status, { 'content-type': 'application/json', ...headers })
        .end(JSON.stringify(body))
    const metadata = {
      issuer: behaviour.documentIssuer,
      jwks_uri: `${issuer}/jwks.json`,
      token_endpoint: `${issuer}/token`,
      id_token_signing_alg_values_supported: [alg],
    }
    if (path === '/.well-known/openid-configuration') {
      if (behaviour.discovery === 'openid' || behaviour.discovery === 'both')
        return json(200, metadata)
      return json(404, { error: 'not_found' })
    }
    if (path === '/.well-known/oauth-authorization-server') {
      if (behaviour.discovery === 'oauth' || behaviour.discovery === 'both')
        return json(200, metadata)
      return json(404, { error: 'not_found' })
    }
    if (path === '/jwks.json') {
      jwksHits += 1
      if (behaviour.jwksStatus !== 200) return json(behaviour.jwksStatus, { error: 'not_found' })
      const headers: Record<string, string> = { 'content-type': 'application/jwk-set+json' }
      if (behaviour.cacheControl !== null) headers['cache-control'] = behaviour.cacheControl
      return json(200, behaviour.jwks, headers)
    }
    json(404, { error: 'not_found' })
  }

  const server = createServer(handler)
  server.keepAliveTimeout = 1000
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  behaviour = defaults()

  return {
    issuer,
    jwksUri: `${issuer}/jwks.json`,
    keys,
    sign: (claims = {}, options = {}) =>
      signToken(
        { iss: issuer, aud: 'https://api.test', sub: 'alice', ...claims },
        { alg, key: keys, typ: 'at+jwt', ...options },
      ),
    set(change) {
      behaviour = { ...behaviour, ...change }
    },
    reset() {
      behaviour = defaults()
    },
    get jwksHits() {
      return jwksHits
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
