// Public types of @tokengate/core: the request it reads, the options it takes, the context it returns.
import type { JWEHeaderParameters, JWK, JWSHeaderParameters, JWTPayload, KeyObject } from 'jose'
import type { AuthError } from './errors.js'
import type { Duration } from './util/duration.js'
import type { DecisionEvent, KeyFetchEvent } from './events.js'
import type {
  AsymmetricJwsAlgorithm,
  JweContentEncryptionAlgorithm,
  JweKeyManagementAlgorithm,
  JwsAlgorithm,
} from './keys/algorithms.js'

/**
 * A zod 4 schema as the core runs it (its own `safeParseAsync`), described by its shape so that
 * these types need no zod installed: zod is an optional peer, needed only by apps that pass
 * `claims` (issue 14 item 4). Every zod 4 schema fits; `Output` is its output type.
 *
 * @example
 * const claims: ClaimsSchema<{ sub: string }> = z.object({ sub: z.string() })
 */
export interface ClaimsSchema<Output> {
  /** zod 4's internals, read for the output type only. */
  readonly _zod: { readonly output: Output }
  /** Checks the verified payload; a failure is `claim_invalid` naming the first failing path. */
  safeParseAsync(data: unknown): Promise<
    | { readonly success: true; readonly data: Output }
    | {
        readonly success: false
        readonly error: { readonly issues: readonly { path: PropertyKey[]; code: string }[] }
      }
  >
}

// The algorithm names, derived from the registry (keys/algorithms.ts): a typo in a literal
// (`algorithms: ['RS265']`) is a type error. A list read from configuration at run time is a
// `string[]`: narrow it (or cast it) to `JwsAlgorithm[]`; start-up still checks every name.
export type {
  AsymmetricJwsAlgorithm,
  JweContentEncryptionAlgorithm,
  JweKeyManagementAlgorithm,
  JwsAlgorithm,
}

// Duration lives in util/ (the lowest layer, which imports nothing above it); re-exported here.
export type { Duration }

/** Node-style header record (`req.headers` or, better, `req.headersDistinct`), or a Fetch `Headers`. */
export type HeadersLike = Headers | Record<string, string | readonly string[] | undefined>

/** The framework-neutral request the core reads: adapters map their request onto this. */
export interface RequestLike {
  /** The HTTP method (`GET`, `POST`): CSRF and DPoP's `htm` read it. */
  method: string
  /** Absolute URL (`https://api.example.com/x?y`) or path (`/x?y`). */
  url: string
  /** The request headers (a repeated `Authorization` header is refused, so pass them unmerged). */
  headers: HeadersLike
  /**
   * The TLS client certificate (DER), or a function returning it, read only for a certificate-bound
   * token or `mtls.required` (RFC 8705 §3). The Node adapters fill it from the TLS socket. Ignored
   * when the certificate comes from a trusted proxy's `Client-Cert` header (`options.mtls`).
   */
  clientCertificate?: ClientCertificate
}

/** {@link RequestLike.clientCertificate}: DER bytes, or a (possibly async) function returning them. */
export type ClientCertificate =
  Uint8Array | (() => Uint8Array | undefined | Promise<Uint8Array | undefined>)

/** What a custom extractor receives: headers are always a Fetch `Headers`. */
export interface ExtractorRequest {
  /** The HTTP method. */
  method: string
  /** Absolute URL or path, as in {@link RequestLike.url}. */
  url: string
  /** The request headers, normalised to a Fetch `Headers` whatever the framework gave. */
  headers: Headers
}

/** Where the token was read: the `Authorization` header, the `from.cookie` cookie, or `from.custom`. */
export type TokenSource = 'header' | 'cookie' | 'custom'

/** Default claims when no zod schema is given. */
export type DefaultClaims = JWTPayload

/** The result of a successful authentication. */
export interface AuthContext<Claims = DefaultClaims> {
  /** The compact token as received. Never logged by tokengate. */
  token: string
  /** Where the token was read (cookie tokens passed the CSRF check). */
  source: TokenSource
  /** Validated claims; the zod schema's output when `claims` is given. */
  payload: Claims
  /** The JWS protected header (for an encrypted-only token, the JWE header). */
  protectedHeader: JWSHeaderParameters
  /** Present only when the token was a JWE. */
  encryption?: { protectedHeader: JWEHeaderParameters }
  /** From `scope` (space-delimited, RFC 8693 §4.2 / RFC 9068 §2.2.3) or `scp` (array). */
  scopes: string[]
  /** From the configured roles claim (dotted path). */
  roles: string[]
  /**
   * Present when the request was sent with the DPoP scheme and a valid proof (RFC 9449 §7.1):
   * `jkt` is the RFC 7638 thumbprint of the proof key, equal to the token's `cnf.jkt` (§6.1).
   */
  dpop?: {
    jkt: string
    /**
     * With `dpop.nonce`, when the proof's nonce is from the previous window: the current nonce, which
     * the adapters send as a `DPoP-Nonce` response header (RFC 9449 §8.2).
     */
    nonce?: string
  }
  /**
   * Present when the token is certificate-bound (RFC 8705 §3) and the request's client certificate
   * matched: `x5tS256` is the certificate's SHA-256 thumbprint, equal to the token's `cnf["x5t#S256"]`.
   */
  mtls?: { x5tS256: string }
  /** True when the authorization server vouched for the token by introspection (RFC 7662). */
  introspected?: true
}

/** Any key material jose accepts, plus PEM text. */
export type KeyMaterial = string | Uint8Array | CryptoKey | KeyObject | JWK

/**
 * A remote JWK Set (RFC 7517 §5), fetched on first use and refetched for an unknown `kid`.
 *
 * @example
 * createAuthenticator({ algorithms: ['RS256'], key: { jwksUri: 'https://id.example.com/jwks', timeout: '2s' } })
 */
export interface RemoteJwksOptions {
  /** The JWKS URL: https, or http on a loopback host (see `allowHttp`). */
  jwksUri: string
  /** Minimum time between refetches triggered by an unknown `kid`. Default 30 s. */
  cooldown?: Duration
  /** Request timeout. Default 5 s. */
  timeout?: Duration
  /**
   * How long a fetched set is fresh. Default 10 m. Past it, the set is still used while a refresh
   * runs in the background, and verified tokens cached under a key the refresh shows removed are
   * re-verified. At least `cooldown`.
   */
  cacheMaxAge?: Duration
  /** Extra headers for the JWKS request. */
  headers?: Record<string, string>
  /** Accept an http URL on a host that is not loopback (a private test network). Default false. */
  allowHttp?: boolean
}

/**
 * Keys found through OpenID Connect Discovery (or RFC 8414 metadata): the issuer's `jwks_uri`,
 * which must be on the issuer's origin unless listed in `allowJwksOrigins`. `issuer` then defaults
 * to the discovered issuer.
 *
 * @example
 * createAuthenticator({ algorithms: ['RS256'], key: { discovery: 'https://id.example.com' }, audience: 'api' })
 */
export interface DiscoveryOptions {
  /** Issuer URL; `/.well-known/openid-configuration` (then RFC 8414's path) is read from it. */
  discovery: string
  /** Minimum time between JWKS refetches triggered by an unknown `kid`. Default 30 s. */
  cooldown?: Duration
  /** Timeout of each metadata and JWKS request. Default 5 s. */
  timeout?: Duration
  /** How long a fetched key set is fresh, as for a remote JWKS. Default 10 m; at least `cooldown`. */
  cacheMaxAge?: Duration
  /** As for a remote JWKS: http on a host that is not loopback. Default false. */
  allowHttp?: boolean
  /**
   * https origins, besides the issuer's own, that the discovered `jwks_uri` may name (for issuers
   * that publish keys on another host, e.g. `['https://www.googleapis.com']` for Google). Default none.
   */
  allowJwksOrigins?: readonly string[]
}

/** Verification key: secret, PEM (SPKI or X.509), JWK, CryptoKey, a JWKS, a remote JWKS or discovery. */
export type KeyOption =
  KeyMaterial | { jwks: { keys: JWK[] } } | RemoteJwksOptions | DiscoveryOptions

/**
 * Where the token is read. Default `{ header: true }`. A token in two places is refused with
 * 400 `multiple_tokens` (RFC 6750 §2).
 *
 * @example
 * createAuthenticator({ ...keys, from: { header: true, cookie: 'access_token' } })
 */
export interface ExtractOptions {
  /** Read `Authorization: Bearer` (RFC 6750 §2.1). Default true. */
  header?: boolean
  /** Name of the cookie that carries the token (then the CSRF check applies). Default none. */
  cookie?: string
  /** Custom extractor; its result counts as a third source (no CSRF check: see `checkCsrf`). Default none. */
  custom?: (request: ExtractorRequest) => string | undefined
}

/**
 * Accept encrypted tokens (JWE, RFC 7516): a 5-segment token is decrypted, then its nested JWS
 * verified as usual.
 *
 * @example
 * createAuthenticator({ ...keys, decrypt: { keys: privateJwk, keyManagementAlgorithms: ['ECDH-ES+A256KW'] } })
 */
export interface DecryptOptions {
  /** Decryption keys: one, or several chosen by the JWE `kid` (rotation). */
  keys: KeyMaterial | Array<KeyMaterial | { key: KeyMaterial; kid?: string }> | { keys: JWK[] }
  /** Required allowlist of JWE `alg` values. RSA1_5 is not supported; PBES2 only when listed. */
  keyManagementAlgorithms: readonly JweKeyManagementAlgorithm[]
  /** Allowlist of JWE `enc` values. Default: A128GCM, A192GCM, A256GCM, A128CBC-HS256, A192CBC-HS384, A256CBC-HS512. */
  contentEncryptionAlgorithms?: readonly JweContentEncryptionAlgorithm[]
  /** Refuse plain JWS tokens. Default false. */
  required?: boolean
  /** Accept claims straight in the JWE (no inner signature); symmetric key management only. Default false. */
  allowUnsignedPayload?: boolean
  /** Upper bound for the PBES2 `p2c` count (RFC 7518 §4.8.1.2). Default 10000, jose's own bound. */
  maxPbes2Count?: number
}

/**
 * The CSRF check for cookie-borne tokens (on by default for `from.cookie`): a state-changing request
 * (not GET, HEAD, OPTIONS) must come from the request's own origin or one listed here, else
 * 403 `csrf_rejected`.
 *
 * @example
 * createAuthenticator({ ...keys, from: { cookie: 'at' }, csrf: { allowedOrigins: ['https://app.example.com'] } })
 */
export interface CsrfOptions {
  /** Origins (scheme://host[:port]) besides the request's own that may send cookie-borne tokens. Default none. */
  allowedOrigins?: string[]
}

/**
 * The LRU cache of verified contexts, keyed by the whole token. A hit still checks the clock and
 * revocation; entries never outlive `exp`. With a local key, a removed key keeps working for the
 * tokens it already verified until their entry ends: bound that with `ttl`.
 *
 * @example
 * createAuthenticator({ ...keys, cache: { max: 10000, ttl: '5m' } })
 */
export interface CacheOptions {
  /** Maximum entries. Default 10000. */
  max?: number
  /** Optional cap on an entry's lifetime. Entries never outlive the token's `exp`. */
  ttl?: Duration
  /**
   * Bound on the cache's estimated heap in bytes (8 bytes per token character plus 512 per
   * entry). Default 64 MiB. Tokens over about 6,000 characters are never cached.
   */
  maxBytes?: number
  /**
   * Verifications a token needs, recently, before it is cached. `2` (default): a token is cached
   * when it comes back, so tokens used once never pay for an insertion and an eviction (a fixed
   * 8 bytes per slot doorkeeper, 128 KiB for the default `max`, remembers hashes of tokens seen
   * once). `1`: every verified token is cached at once.
   */
  admitAfter?: 1 | 2
}

/**
 * A denylist of revoked token ids (`jti`, RFC 7519 §4.1.7), consulted after verification and on
 * cache hits. `createMemoryRevocationStore()` (one process) and `@tokengate/redis` (many instances)
 * implement it. A store that throws or rejects makes the request fail with 503
 * `revocation_unavailable`, never pass.
 *
 * @example
 * const store: RevocationStore = {
 *   isRevoked: (jti) => denied.has(jti),
 *   revoke: (jti, expiresAt) => void denied.set(jti, expiresAt),
 * }
 */
export interface RevocationStore<Claims = DefaultClaims> {
  /**
   * True when `jti` was revoked. `ctx` is the verified context, for stores that want more;
   * `token` its verified registered claims (never the zod-transformed payload). Any answer but
   * `true` or `false` fails the request with 503 `revocation_unavailable`.
   */
  isRevoked(
    jti: string,
    ctx: AuthContext<Claims>,
    token?: RevocationToken,
  ): boolean | Promise<boolean>
  /**
   * Denies `jti` until `expiresAt` (epoch seconds): after that the token is refused for its `exp`
   * anyway, so the entry may be dropped. `token`: the revoked token's verified registered claims,
   * for stores that bound their size per subject. Rejects when the revocation could not be recorded.
   */
  revoke(jti: string, expiresAt: number, token?: RevocationToken): void | Promise<void>
}

/** The verified registered claims (RFC 7519 §4.1) a revocation store is given besides `jti`. */
export interface RevocationToken {
  /** The token's issuer. */
  iss?: string
  /** The token's subject. */
  sub?: string
  /** Epoch seconds. */
  iat?: number
}

/**
 * A revocation store with its policy for tokens that carry no `jti`.
 *
 * @example
 * createAuthenticator({ ...keys, revocation: { store: createMemoryRevocationStore(), withoutJti: 'allow' } })
 */
export interface RevocationOptions<Claims = DefaultClaims> {
  /** The denylist consulted by `jti` after verification and on cache hits. */
  store: RevocationStore<Claims>
  /**
   * Tokens without a `jti` cannot be revoked. `'reject'` (default) refuses them (`claim_invalid`),
   * so logout always works; `'allow'` accepts them unchecked, for issuers that omit `jti`.
   */
  withoutJti?: 'allow' | 'reject'
}

/**
 * Records DPoP proofs already seen (RFC 9449 §11.1). The default is in memory, per authenticator;
 * several instances behind one endpoint share a store to refuse a proof replayed on another.
 *
 * @example
 * const replayStore: DpopReplayStore = {
 *   add: async (key, expiresAt) => (await redis.set(key, '1', { NX: true, EXAT: expiresAt })) === 'OK',
 * }
 */
export interface DpopReplayStore {
  /**
   * Records `key` (a hash of the proof's key, URI and `jti`) and answers false when it was already
   * recorded. `expiresAt` (epoch seconds): the key must be answered as recorded at every instant
   * strictly before `expiresAt`, and may be forgotten from then on (as Redis `SET key 1 NX EXAT
   * expiresAt` does). It is later than the end of the proof's window (a proof is accepted while
   * `now <= iat + maxAge + clockTolerance`, and recorded before that instant has passed), so no
   * accepted proof outlives its entry.
   * Throwing or rejecting fails the request with 503.
   */
  add(key: string, expiresAt: number): boolean | Promise<boolean>
}

/** Sender-constrained tokens (RFC 9449): the `DPoP` scheme and proof header. */
export interface DpopOptions {
  /**
   * `'required'`: only `Authorization: DPoP` with a proof; `'allowed'`: DPoP or unbound Bearer
   * tokens (a token with `cnf.jkt` sent as Bearer is refused, RFC 9449 §7.2); `'disabled'`: no DPoP.
   */
  mode: 'allowed' | 'required' | 'disabled'
  /** Proof `alg` allowlist, asymmetric only. Default ES256, ES384, EdDSA, RS256, PS256. */
  algorithms?: readonly AsymmetricJwsAlgorithm[]
  /** How long after its `iat` a proof is accepted (RFC 9449 §11.1). Default 60 s. */
  maxAge?: Duration
  /**
   * The public origins the API is served at (`https://api.example.com`): the `htu` of a proof must
   * name one of them, so the check never trusts the `Host` header. Or set `trustProxy`.
   */
  origins?: string[]
  /** Where seen proofs are recorded. Default: in memory, bounded; `@tokengate/redis` shares one. */
  replayStore?: DpopReplayStore
  /**
   * Server nonces (RFC 9449 §8, §9): a proof without the current nonce is answered 401
   * `use_dpop_nonce` with a `DPoP-Nonce` header. Stateless: an HMAC of the time window under
   * `secret` (at least 32 bytes, the same on every instance); a nonce is accepted in its window
   * and the next one. `window` defaults to 60 s.
   */
  nonce?: DpopNonceOptions
}

/** {@link DpopOptions.nonce}: stateless server nonces shared by every instance through `secret`. */
export interface DpopNonceOptions {
  /** At least 32 bytes (a string counts its UTF-8 bytes), random, and the same on every instance. */
  secret: string | Uint8Array
  /** Length of a nonce window; a nonce is accepted for one to two windows. Default 60 s. */
  window?: Duration
}

/** `options.protectedResource`: this API as an OAuth 2.0 protected resource (RFC 9728 §2). */
export interface ProtectedResourceOptions {
  /**
   * The resource identifier (RFC 9728 §2, RFC 8707 §2): an https URL without fragment, e.g.
   * `'https://api.example.com/mcp'`. Tokens must name it in `aud` unless `checkAudience: false`.
   */
  resource: string
  /** Issuer identifiers of the authorization servers that issue tokens for it (`authorization_servers`). */
  authorizationServers?: readonly string[]
  /** `scopes_supported`: the scopes a client may request for this resource. */
  scopesSupported?: readonly string[]
  /**
   * `bearer_methods_supported` (RFC 6750 methods). Default `['header']` when tokens are read from
   * the `Authorization` header, `[]` otherwise.
   */
  bearerMethodsSupported?: ReadonlyArray<'header' | 'body' | 'query'>
  /** `resource_name`: a human-readable name. */
  resourceName?: string
  /** `resource_documentation`: a URL of developer documentation. */
  resourceDocumentation?: string
  /** `resource_policy_uri`. */
  resourcePolicyUri?: string
  /** `resource_tos_uri`. */
  resourceTosUri?: string
  /** `jwks_uri`: the resource's own public keys (for signed responses or encrypted requests). */
  jwksUri?: string
  /** `resource_signing_alg_values_supported`. */
  resourceSigningAlgValuesSupported?: readonly string[]
  /** `dpop_signing_alg_values_supported`. Default: the proof algorithms of `options.dpop`. */
  dpopSigningAlgValuesSupported?: readonly string[]
  /** `dpop_bound_access_tokens_required`. Default: true when `options.dpop.mode` is `'required'`. */
  dpopBoundAccessTokensRequired?: boolean
  /** `tls_client_certificate_bound_access_tokens` (RFC 8705). */
  tlsClientCertificateBoundAccessTokens?: boolean
  /** `authorization_details_types_supported` (RFC 9396). */
  authorizationDetailsTypesSupported?: readonly string[]
  /** Further members, by their registered (snake_case) names; they cannot replace the ones above. */
  extra?: Record<string, unknown>
  /**
   * Publishes `signed_metadata` (RFC 9728 §2.2): the metadata as a JWT signed with this key, whose
   * `iss` names the party that vouches for it. Default none.
   */
  signed?: { signingKey: KeyMaterial; alg: string; issuer: string; kid?: string }
  /** Check that the token's `aud` names `resource` (RFC 8707 §2; RFC 9728 §7.3). Default true. */
  checkAudience?: boolean
}

/** The protected resource of an authenticator, resolved at start-up. */
export interface ProtectedResource {
  /** The resource identifier. */
  readonly resource: string
  /** The absolute URL of the metadata document, sent as `resource_metadata` (RFC 9728 §5.1). */
  readonly metadataUrl: string
  /**
   * The paths the adapters answer with the document: the RFC 9728 §3.1 well-known path (the
   * well-known prefix inserted before the resource's path) and, for a resource with a path, the
   * bare well-known path too, which clients try next (as the MCP authorization spec says).
   */
  readonly paths: readonly string[]
  /** The audiences the token must name, when the audience is checked against the resource. */
  readonly audience: string | undefined
  /** The document as JSON text (with `signed_metadata` when configured). */
  document(): Promise<string>
}

// --- token introspection (RFC 7662) ---

/**
 * How the API authenticates to the introspection endpoint (RFC 7662 §2.1): a client secret in the
 * `Authorization` header (`client_secret_basic`, the default with `secret`) or the body
 * (`client_secret_post`), or an assertion signed with the client's private key (`private_key_jwt`,
 * RFC 7523, the default with `key`).
 *
 * @example
 * const client: IntrospectionClient = { id: 'orders-api', auth: 'private_key_jwt', key: privateJwk }
 */
export interface IntrospectionClient {
  /** The client id the API is registered under at the authorization server. */
  id: string
  /** The client secret (`client_secret_basic`, `client_secret_post`). Never logged nor rendered. */
  secret?: string
  /** Default `client_secret_basic` with `secret`, `private_key_jwt` with `key`. */
  auth?: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt'
  /** `private_key_jwt`: the private key (PKCS#8 PEM, private JWK, CryptoKey, KeyObject). */
  key?: KeyMaterial
  /** `private_key_jwt`: the signing algorithm. Default: the JWK's `alg`, else RS256, ES256/384/512 or EdDSA by key type. */
  alg?: AsymmetricJwsAlgorithm
  /** `private_key_jwt`: the `kid` of the assertion's header. Default: the JWK's `kid`. */
  kid?: string
}

/**
 * Token introspection (RFC 7662): tokens the API cannot read itself (opaque reference tokens) are
 * sent to the authorization server, and its answer goes through the same claim rules, guards,
 * revocation and binding as a JWT's claims.
 *
 * @example
 * createAuthenticator({
 *   algorithms: ['RS256'], key: { discovery: 'https://id.example.com' }, audience: 'orders',
 *   introspection: { client: { id: 'orders-api', secret: env.INTROSPECTION_SECRET } },
 * })
 */
export interface IntrospectionOptions {
  /** The introspection endpoint (https, or http on loopback). Default: discovery's `introspection_endpoint`. */
  endpoint?: string
  /** How the API authenticates to the endpoint. */
  client: IntrospectionClient
  /** `token_type_hint` sent with each token. Default `'access_token'`; `false` sends none. */
  tokenTypeHint?: string | false
  /**
   * Ask for a signed answer (RFC 9701, `application/token-introspection+jwt`), verified with the
   * issuer's keys (`key`, `algorithms`). Default false.
   */
  jwtResponse?: boolean
  /** `'opaque'` (default): tokens that are not a JWS or JWE are introspected, JWTs verified locally; `'always'`: every token. */
  mode?: 'opaque' | 'always'
  /**
   * Answers cached per token (by its SHA-256), or `false` for none. `maxAge` (default 30 s) bounds
   * how long a token revoked at the server may still pass; an answer never outlives the token's
   * `exp`. `negativeTtl` (default 10 s) keeps `active: false`. `max` (default 10000) entries each,
   * `maxBytes` (default 16 MiB) of estimated heap for active answers.
   */
  cache?: false | { maxAge?: Duration; negativeTtl?: Duration; max?: number; maxBytes?: number }
  /** Deadline of each call (discovery included). Default 5 s; past it the request gets 503. */
  timeout?: Duration
}

/** One trusted issuer of {@link MultiIssuerOptions.issuers}. */
export interface IssuerOptions {
  /** The exact `iss` of its tokens. */
  issuer: string
  /** Its verification key(s), as {@link SingleIssuerOptions.key}. */
  key: KeyOption
  /** Its JWS `alg` allowlist. */
  algorithms: readonly JwsAlgorithm[]
  /** Overrides the top-level `audience` for this issuer's tokens. */
  audience?: string | string[]
  /** Overrides the top-level `typ` for this issuer's tokens. */
  typ?: string
}

/** Options shared by one-issuer and several-issuer configurations. */
export interface CommonAuthenticatorOptions<Claims = DefaultClaims> {
  /** Where the token is read. Default `{ header: true }` (`Authorization: Bearer`). */
  from?: ExtractOptions
  /** Accepted `aud` values; the token's `aud` (string or array) must contain one. Default none (not checked). */
  audience?: string | string[]
  /** Leeway for `exp`, `nbf` and `iat`. Default 5 s. */
  clockTolerance?: Duration
  /** Refuse tokens whose `iat` is older than this (then `iat` is required). Default none. */
  maxTokenAge?: Duration
  /** Expected `typ`, compared per RFC 7515 §4.1.9 (`at+jwt` matches `application/at+jwt`). */
  typ?: string
  /** Claims that must be present. Default `[]`. */
  requiredClaims?: string[]
  /** `exp` is required unless this is false. Default true. */
  requireExp?: boolean
  /** zod schema for the claims; its output becomes `payload`. */
  claims?: ClaimsSchema<Claims>
  /** Accept encrypted tokens (JWE). Default none: a JWE is refused. */
  decrypt?: DecryptOptions
  /**
   * Where `ctx.roles` is read: a claim name or dotted path (`'realm_access.roles'` for Keycloak).
   * Default `{ claim: 'roles' }`.
   */
  roles?: { claim?: string }
  /** The verified-context cache, or `false` for none. Default `{ max: 10000 }` (64 MiB bound). */
  cache?: false | CacheOptions
  /**
   * Asked after verification and on every cache hit; `true` refuses the token. A throw or rejection
   * fails the request with 503, never passes it. Default none.
   */
  isRevoked?: (ctx: AuthContext<Claims>) => boolean | Promise<boolean>
  /** A revocation store (checked by `jti`), or the store with its policy for tokens without `jti`. */
  revocation?: RevocationStore<Claims> | RevocationOptions<Claims>
  /** No token gives `null` instead of a 401; a bad token is still refused. Default false. */
  optional?: boolean
  /** The CSRF check for cookie tokens, or `false` to turn it off. Default on, no extra origins. */
  csrf?: false | CsrfOptions
  /** Longer tokens are refused before any parsing (16 to 1048576). Default 8192. */
  maxTokenLength?: number
  /** The `realm` of `WWW-Authenticate` challenges (RFC 6750 §3). Default none. */
  realm?: string
  /** Sender-constrained tokens (RFC 9449). Default: disabled. */
  dpop?: DpopOptions
  /**
   * The app runs behind a proxy that sets `X-Forwarded-Proto` and `X-Forwarded-Host` (and drops
   * any the client sent): they then define the request URL that DPoP's `htu` is checked against.
   * Default false.
   */
  trustProxy?: boolean
  /** Certificate-bound tokens (RFC 8705 §3); see {@link MtlsOptions}. */
  mtls?: MtlsOptions
  /**
   * Publishes OAuth 2.0 Protected Resource Metadata (RFC 9728) for this API: the adapters serve it
   * at its well-known path, every challenge carries `resource_metadata` (§5.1), and the token's
   * `aud` must name the resource. Default none.
   */
  protectedResource?: ProtectedResourceOptions
  /** Token introspection (RFC 7662) for opaque tokens, or for every token. Default: none. */
  introspection?: IntrospectionOptions
  // observe (issue 16): decision events and explain mode (events.ts, observe/, docs/debugging.md).
  /**
   * Called once per request with the decision, accepted or refused: step, code, status, issuer,
   * `kid`, `alg`, cache hit, duration and, for key failures, the real cause. Never the token, a
   * key or claim values beyond `sub`/`iss`/`aud` (see `eventClaims`). Synchronous; a listener that
   * throws changes no decision (its first error is logged with console.error). Without it, no event
   * is built. Default none.
   *
   * @example
   * tokengate({ ...options, onDecision: (e) => e.outcome === 'refused' && log.warn(e) })
   */
  onDecision?: (event: DecisionEvent) => void
  /**
   * Called after every fetch of a remote key set (or discovery document), with its result: `ok`
   * or the failure reason. Default none.
   *
   * @example
   * createAuthenticator({ ...options, onKeyFetch: (e) => metrics.count('jwks', e.result) })
   */
  onKeyFetch?: (event: KeyFetchEvent) => void
  /**
   * Development: refusals carry expected against received (`iss`, `aud`, `typ`, `alg`, `kid`, time
   * claims, the keys tried) in their `cause` and events, never in the response. Warns once at
   * start-up. Adapters also turn it on for `DEBUG=tokengate`. Default false.
   *
   * @example
   * createAuthenticator({ ...options, explain: env.NODE_ENV !== 'production' })
   */
  explain?: boolean
  /**
   * Claims copied into decision events beside `sub`, `iss` and `aud`, from verified tokens only.
   * Needs `onDecision`. Default none.
   *
   * @example
   * createAuthenticator({ ...options, onDecision, eventClaims: ['tenant', 'client_id'] })
   */
  eventClaims?: readonly string[]

  // ── idioms (issue 15): requests that are not authenticated, and refusals that leave them anonymous
  /**
   * A CORS preflight (`OPTIONS` with `Access-Control-Request-Method`) passes unauthenticated:
   * `authenticate()` resolves `null`. A browser sends it without credentials (Fetch standard §4.8),
   * so authenticating it can only fail. Default true.
   */
  preflight?: boolean
  /**
   * Requests that are not authenticated at all (`authenticate()` resolves `null`): a function of the
   * request, or `{ path, method }` patterns (see {@link SkipPatterns}). express-jwt's `.unless()`.
   * Default none.
   */
  skip?: SkipOption
  /**
   * A refused token leaves the request anonymous instead of failing it (koa-jwt's `passthrough`):
   * every 401 (no token, or a token refused for any reason) resolves `null`, and
   * {@link Authenticator.attempt} gives the refusal. 400 (a malformed request), 403 (CSRF) and 503
   * (keys, revocation, replay store unavailable) still fail. Default false.
   */
  passthrough?: boolean
}

/**
 * `options.skip` patterns: a request is skipped when its path matches one entry of `path` (when
 * given) AND its method is one of `method` (when given). The path is the request's own, as sent: no
 * query or fragment, not percent-decoded, case and trailing slash significant. A string matches
 * exactly; a RegExp must start with `^` and has no `g`/`y` flag. A path with `.` or `..` segments
 * (also as `%2e`), an encoded `/`, `\` or `.`, `//`, a backslash or control characters is never
 * skipped: it is authenticated, whatever the patterns say.
 *
 * @example
 * createAuthenticator({ ...keys, skip: { path: ['/health', /^\/public\//], method: ['GET', 'HEAD'] } })
 */
export interface SkipPatterns {
  /** Exact paths (`'/health'`) or RegExps anchored with `^` (`/^\/docs\//`). */
  path?: readonly (string | RegExp)[]
  /** Upper-case method names (`['GET', 'HEAD']`); methods are case-sensitive (RFC 9110 §9.1). */
  method?: readonly string[]
}

/**
 * `options.skip`: {@link SkipPatterns}, or a synchronous function that answers `true` to skip
 * (any answer but `true` or `false`, a Promise included, is a thrown TypeError).
 *
 * @example
 * const skip: SkipOption = (req) => new URL(req.url, 'http://x').pathname === '/health'
 */
export type SkipOption = ((request: ExtractorRequest) => boolean) | SkipPatterns

/**
 * `options.issuers` as a function: given a token's unverified `iss`, the entry to verify it with
 * (its `issuer` must be that `iss`), or `undefined` for an unknown issuer (401 `issuer_unknown`).
 * Answers are cached (1000 issuers, 1 h; unknown ones 30 s); a throw, a rejection, no answer within
 * 5 s or an invalid entry is 503 `keys_unavailable`.
 *
 * @example
 * const issuers: IssuerResolver = async (iss) => {
 *   const tenant = await tenants.byIssuer(iss)
 *   return tenant && { issuer: iss, key: { jwksUri: `${iss}/jwks.json` }, algorithms: ['RS256'] }
 * }
 */
export type IssuerResolver = (
  iss: string,
) => IssuerOptions | undefined | Promise<IssuerOptions | undefined>

/** What {@link Authenticator.attempt} resolves to: a context, or none and why (with `passthrough`). */
export interface AuthAttempt<Claims = DefaultClaims> {
  /** The verified context; null when there is none (no token, skipped, preflight, refused with passthrough). */
  context: AuthContext<Claims> | null
  /** With `passthrough`: the refusal of the token that was sent (its `code`, `status`). Else undefined. */
  refusal: AuthError | undefined
}

/**
 * Certificate-bound access tokens (RFC 8705 §3). A token with `cnf["x5t#S256"]` is always accepted
 * only with the client certificate of that thumbprint, whether or not this option is set.
 */
export interface MtlsOptions {
  /** Refuse tokens that are not certificate-bound (401 `certificate_binding_required`). Default false. */
  required?: boolean
  /**
   * Read the certificate from this header (RFC 9440 `Client-Cert`, `:base64 DER:`) set by a
   * TLS-terminating proxy, instead of the TLS socket. Default: `'client-cert'` when `trustProxy` is
   * true, else none (the header is ignored). `false` ignores it even with `trustProxy`.
   */
  clientCertHeader?: string | false
}

/** One issuer (or a list of acceptable `iss` values) verified with one key configuration. */
export interface SingleIssuerOptions<
  Claims = DefaultClaims,
> extends CommonAuthenticatorOptions<Claims> {
  /** Required JWS `alg` allowlist. `none` is refused at start-up. */
  algorithms: readonly JwsAlgorithm[]
  /** A secret, PEM, JWK, CryptoKey, `{ jwks }`, `{ jwksUri, ... }` or `{ discovery }`. Required. */
  key: KeyOption
  /** Accepted `iss` values, compared exactly. Default none (the discovered issuer with `discovery`). */
  issuer?: string | string[]
}

/** Several issuers, each with its own keys: the token's `iss` picks one before verification. */
export interface MultiIssuerOptions<
  Claims = DefaultClaims,
> extends CommonAuthenticatorOptions<Claims> {
  /**
   * One entry per trusted issuer, or a function of the token's unverified `iss` for issuers not
   * known at start-up ({@link IssuerResolver}); top-level `algorithms`, `key` and `issuer` are
   * refused with it.
   */
  issuers: IssuerOptions[] | IssuerResolver
}

/**
 * Options of {@link createAuthenticator}: `algorithms` and `key` (one issuer), or `issuers`.
 * Defaults are the secure choice. `Claims` is inferred from the zod `claims` schema.
 */
export type AuthenticatorOptions<Claims = DefaultClaims> =
  SingleIssuerOptions<Claims> | MultiIssuerOptions<Claims>

/** What {@link createAuthenticator} returns. */
export interface Authenticator<Claims = DefaultClaims> {
  /**
   * Resolves to the context, or `null` when `optional` is set and no token is present.
   * Every failure rejects with an {@link AuthError}.
   */
  authenticate(request: RequestLike): Promise<AuthContext<Claims> | null>
  /**
   * As `authenticate()`, and with `passthrough` the refusal that left the request anonymous.
   * Adapters use it to expose `authError` beside the context.
   */
  attempt(request: RequestLike): Promise<AuthAttempt<Claims>>
  /** The realm used in challenges. */
  readonly realm: string | undefined
  /**
   * Revokes the token behind a context (its `jti` until its `exp`) in `options.revocation`'s store;
   * rejects with a TypeError when no revocation store is configured.
   */
  revoke(ctx: AuthContext<Claims>): Promise<void>
  /** The protected resource (RFC 9728) when `options.protectedResource` is set; adapters serve its document. */
  readonly protectedResource?: ProtectedResource | undefined
}
