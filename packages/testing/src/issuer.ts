// A loopback authorization server for tests: signs and encrypts tokens, serves its JWKS and
// discovery documents on 127.0.0.1, rotates keys, and can be made slow or unavailable.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { JWK, JWTPayload } from 'jose'
import { makeKeys, type TestKeys } from './keys.js'
import { encryptToken, nowSeconds, signToken } from './tokens.js'

/** Options of {@link startIssuer}. */
export interface LoopbackIssuerOptions {
  /**
   * The JWS algorithms the issuer signs with, one key each; the first is the default of
   * {@link LoopbackIssuer.sign}. HMAC algorithms get a secret, which is never published in the
   * JWKS (as with a real issuer). Default `['ES256']`.
   */
  algorithms?: string[]
  /** The default `aud` of the tokens it signs. Default `'https://api.test'`. */
  audience?: string
  /**
   * A JWE key management algorithm (`'RSA-OAEP-256'`, `'ECDH-ES'`, `'A256KW'`, `'dir'`...): the
   * issuer then holds the API's decryption key ({@link LoopbackIssuer.decryptionKey}) and
   * {@link LoopbackIssuer.encrypt} encrypts to it. Default: none.
   */
  encryption?: string
  /** The content encryption algorithm of {@link LoopbackIssuer.encrypt}. Default `'A256GCM'`. */
  enc?: string
  /** A path under the origin for the issuer identifier (`/realms/test`). Default: none. */
  path?: string
  /**
   * Where the JWK Set is served, under the issuer URL, for providers with their own layout
   * (Cloudflare Access: `'/cdn-cgi/access/certs'`). Default `'/.well-known/jwks.json'`.
   */
  jwksPath?: string
}

/** Options of one token signed by {@link LoopbackIssuer.sign}. */
export interface IssueOptions {
  /** One of the issuer's algorithms. Default: its first. */
  alg?: string
  /** Lifetime in seconds from now: `exp` = now + this. Negative for an expired token. Default 600. */
  expiresIn?: number
  /** `nbf` = now + this (seconds). Default: no `nbf`. */
  notBefore?: number
  /** `iat` = now + this (seconds); `false` omits `iat`. Default 0 (now). */
  issuedAt?: number | false
  /** Omit `exp` altogether. */
  withoutExp?: boolean
  /** `aud`; `null` omits it. Default: the issuer's audience. */
  audience?: string | string[] | null
  /** `iss`; `null` omits it. Default: {@link LoopbackIssuer.url}. */
  issuer?: string | null
  /** `typ` header. Default: none (a plain JWT). */
  typ?: string
  /** `kid` header; `null` omits it. Default: the signing key's `kid`. */
  kid?: string | null
  /** More protected header members. */
  header?: Record<string, unknown>
}

/** A running loopback issuer (see {@link startIssuer}). */
export interface LoopbackIssuer {
  /** The issuer identifier, `http://127.0.0.1:<port>` (plus `path`): the tokens' `iss`. */
  readonly url: string
  /** Its JWK Set URL, for `key: { jwksUri }`. */
  readonly jwksUri: string
  /** Its OpenID Connect discovery base, for `key: { discovery }` (the same as {@link url}). */
  readonly discovery: string
  /** The default `aud` of its tokens. */
  readonly audience: string
  /** Its signing algorithms. */
  readonly algorithms: readonly string[]
  /** The API's decryption key (private half) when `encryption` was given; otherwise undefined. */
  readonly decryptionKey: TestKeys | undefined
  /** How many JWKS and discovery requests it has answered or refused. */
  readonly requests: number
  /** The current signing key of an algorithm (default: the first algorithm). */
  key(alg?: string): TestKeys
  /** The published JWK Set: public members of the current (and kept) asymmetric keys. */
  jwks(): { keys: JWK[] }
  /**
   * Signs a JWT: `iss`, `aud`, `iat` and `exp` (now + 600 s) are set unless the options or the
   * claims say otherwise.
   */
  sign(claims?: JWTPayload, options?: IssueOptions): Promise<string>
  /**
   * A nested JWT (RFC 7519 §5.2): {@link sign} then encrypted to {@link decryptionKey} with
   * `cty: "JWT"`. With a string, that token is encrypted as it is.
   */
  encrypt(claimsOrToken?: JWTPayload | string, options?: IssueOptions): Promise<string>
  /**
   * New signing keys (new `kid`s) for every algorithm. The old public keys stay in the JWKS (so
   * tokens already issued keep verifying) unless `retire: true`, which removes them at once.
   */
  rotate(options?: { retire?: boolean }): Promise<void>
  /** Delays every JWKS and discovery answer by `ms` (0 restores). */
  slow(ms: number): void
  /** JWKS and discovery answer `status` (default 503) until {@link up}. */
  down(status?: number): void
  /** Answers normally again. */
  up(): void
  /** Stops the server. */
  close(): Promise<void>
}

interface Current {
  keys: Map<string, TestKeys>
  kept: TestKeys[]
}

/**
 * Starts a loopback issuer on 127.0.0.1 (a random port), serving its JWKS (`jwksPath`),
 * `/.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
 *
 * @example
 * const issuer = await startIssuer({ algorithms: ['RS256'] })
 * app.use(tokengate({ algorithms: ['RS256'], key: { jwksUri: issuer.jwksUri }, issuer: issuer.url, audience: issuer.audience }))
 * const token = await issuer.sign({ sub: 'alice' })
 * await issuer.close()
 */
export async function startIssuer(options: LoopbackIssuerOptions = {}): Promise<LoopbackIssuer> {
  const algorithms = options.algorithms ?? ['ES256']
  if (algorithms.length === 0) throw new TypeError('startIssuer: options.algorithms is empty')
  const audience = options.audience ?? 'https://api.test'
  const path = (options.path ?? '').replace(/\/+$/, '')
  if (path !== '' && !path.startsWith('/'))
    throw new TypeError(`startIssuer: options.path must start with "/" (got "${path}")`)
  const enc = options.enc ?? 'A256GCM'
  const jwksPath = options.jwksPath ?? '/.well-known/jwks.json'
  if (!jwksPath.startsWith('/'))
    throw new TypeError(`startIssuer: options.jwksPath must start with "/" (got "${jwksPath}")`)

  const fresh = async (): Promise<Map<string, TestKeys>> =>
    new Map(await Promise.all(algorithms.map(async (alg) => [alg, await makeKeys(alg)] as const)))
  const current: Current = { keys: await fresh(), kept: [] }
  const decryptionKey =
    options.encryption === undefined ? undefined : await makeKeys(options.encryption, { enc })

  let delay = 0
  let failing: number | undefined
  let requests = 0

  const publicJwks = (): { keys: JWK[] } => ({
    keys: [...current.keys.values(), ...current.kept]
      .filter((k) => k.kind === 'pair')
      .map((k) => k.publicJwk),
  })

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    requests += 1
    const answer = () => {
      const route = (req.url ?? '').split('?')[0] ?? ''
      if (failing !== undefined) return json(res, failing, { error: 'temporarily_unavailable' })
      if (route === `${path}${jwksPath}`) return json(res, 200, publicJwks())
      if (
        route === `${path}/.well-known/openid-configuration` ||
        route === `/.well-known/oauth-authorization-server${path}`
      ) {
        return json(res, 200, {
          issuer: url,
          jwks_uri: jwksUri,
          id_token_signing_alg_values_supported: algorithms.filter((a) => !a.startsWith('HS')),
          response_types_supported: ['code'],
          subject_types_supported: ['public'],
        })
      }
      return json(res, 404, { error: 'not_found' })
    }
    if (delay > 0) setTimeout(answer, delay)
    else answer()
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const url = `http://127.0.0.1:${port}${path}`
  const jwksUri = `${url}${jwksPath}`

  const keyFor = (alg?: string): TestKeys => {
    const chosen = alg ?? algorithms[0]!
    const keys = current.keys.get(chosen)
    if (keys === undefined)
      throw new TypeError(
        `LoopbackIssuer: it has no ${chosen} key; list ${chosen} in startIssuer({ algorithms })`,
      )
    return keys
  }

  const sign = async (claims: JWTPayload = {}, o: IssueOptions = {}): Promise<string> => {
    const now = nowSeconds()
    const alg = o.alg ?? algorithms[0]!
    const payload: JWTPayload = {}
    if (o.issuer !== null) payload.iss = o.issuer ?? url
    if (o.audience !== null) payload.aud = o.audience ?? audience
    if (o.notBefore !== undefined) payload.nbf = now + o.notBefore
    const signOptions: Parameters<typeof signToken>[1] = {
      alg,
      key: keyFor(alg),
      now,
      iat: o.issuedAt === false ? false : now + (o.issuedAt ?? 0),
      exp: o.withoutExp === true ? false : now + (o.expiresIn ?? 600),
    }
    if (o.kid !== undefined) signOptions.kid = o.kid
    if (o.typ !== undefined) signOptions.typ = o.typ
    if (o.header !== undefined) signOptions.header = o.header
    return signToken({ ...payload, ...claims }, signOptions)
  }

  return {
    url,
    jwksUri,
    discovery: url,
    audience,
    algorithms,
    decryptionKey,
    get requests() {
      return requests
    },
    key: keyFor,
    jwks: publicJwks,
    sign,
    async encrypt(claimsOrToken = {}, o = {}) {
      if (decryptionKey === undefined)
        throw new TypeError(
          'LoopbackIssuer: encrypt() needs an encryption key; start it with startIssuer({ encryption: "RSA-OAEP-256" })',
        )
      const inner = typeof claimsOrToken === 'string' ? claimsOrToken : await sign(claimsOrToken, o)
      return encryptToken(inner, { alg: decryptionKey.alg, enc, key: decryptionKey, cty: 'JWT' })
    },
    async rotate({ retire = false } = {}) {
      const next = await fresh()
      current.kept = retire ? [] : [...current.kept, ...current.keys.values()]
      current.keys = next
    },
    slow(ms) {
      delay = Math.max(0, ms)
    },
    down(status = 503) {
      failing = status
    },
    up() {
      failing = undefined
    },
    close() {
      server.closeAllConnections()
      return new Promise<void>((resolve, reject) =>
        server.close((err) => (err ? reject(err) : resolve())),
      )
    },
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}
