// AuthError: the one error type of tokengate, with a stable code, an HTTP status and an RFC 6750 rendering.

/**
 * Stable, fine-grained failure codes. Callers may `switch` on them; they never change meaning.
 * The HTTP status and the RFC 6750 `error` attribute follow from the code (see {@link CODE_TABLE}).
 */
export type AuthErrorCode =
  // extraction (RFC 6750 §2)
  | 'token_missing'
  | 'invalid_request'
  | 'multiple_tokens'
  | 'token_too_large'
  // token shape and verification (RFC 7515, 7516, 7519, 8725)
  | 'token_malformed'
  | 'alg_not_allowed'
  | 'signature_invalid'
  | 'signature_required'
  | 'encryption_required'
  | 'decryption_failed'
  | 'key_not_found'
  // several PBES2 passwords configured and the token names none (a PBES2 token tries one key)
  | 'kid_required'
  | 'keys_unavailable'
  // claims (RFC 7519 §4.1, RFC 9068)
  | 'token_expired'
  | 'token_not_yet_valid'
  | 'claim_invalid'
  | 'issuer_unknown'
  | 'token_revoked'
  // revocation store unreachable: the token may be fine, so 503 rather than 401
  | 'revocation_unavailable'
  // request binding
  | 'csrf_rejected'
  // sender-constrained tokens (RFC 9449)
  | 'invalid_dpop_proof'
  | 'dpop_required'
  // DPoP replay cache unreachable or full: the proof may be fine, so 503 rather than 401
  | 'replay_check_unavailable'
  // token introspection (RFC 7662): the server says not active, or cannot answer (503, never 401)
  | 'token_inactive'
  | 'introspection_unavailable'
  // DPoP server nonce (RFC 9449 §8, §9): the proof lacks the current nonce; the answer carries one
  | 'use_dpop_nonce'
  // certificate-bound tokens (RFC 8705 §3): no client certificate, another one, or an unbound token
  | 'client_certificate_missing'
  | 'client_certificate_mismatch'
  | 'certificate_binding_required'
  // guards (RFC 6750 §3.1 insufficient_scope)
  | 'insufficient_scope'
  | 'insufficient_role'
  // step-up (RFC 9470 §3): the token is fine, its authentication too weak or too old
  | 'insufficient_user_authentication'

/**
 * RFC 6750 §3.1 error attribute values (plus OAuth's temporarily_unavailable for 503, RFC 9449
 * §7.1's invalid_dpop_proof for a DPoP proof that fails the checks of RFC 9449 §4.3, and RFC 9470
 * §3's insufficient_user_authentication for a step-up challenge).
 */
export type BearerError =
  | 'invalid_request'
  | 'invalid_token'
  | 'insufficient_scope'
  | 'temporarily_unavailable'
  | 'invalid_dpop_proof'
  | 'insufficient_user_authentication'
  | 'use_dpop_nonce'

interface CodeInfo {
  readonly status: number
  /** RFC 6750 `error` attribute; `undefined` for a request without credentials (RFC 6750 §3.1). */
  readonly error: BearerError | undefined
}

/** The one place where a code gets its status and RFC 6750 error. */
export const CODE_TABLE: Readonly<Record<AuthErrorCode, CodeInfo>> = {
  token_missing: { status: 401, error: undefined },
  invalid_request: { status: 400, error: 'invalid_request' },
  multiple_tokens: { status: 400, error: 'invalid_request' },
  token_too_large: { status: 401, error: 'invalid_token' },
  token_malformed: { status: 401, error: 'invalid_token' },
  alg_not_allowed: { status: 401, error: 'invalid_token' },
  signature_invalid: { status: 401, error: 'invalid_token' },
  signature_required: { status: 401, error: 'invalid_token' },
  encryption_required: { status: 401, error: 'invalid_token' },
  decryption_failed: { status: 401, error: 'invalid_token' },
  key_not_found: { status: 401, error: 'invalid_token' },
  kid_required: { status: 401, error: 'invalid_token' },
  keys_unavailable: { status: 503, error: 'temporarily_unavailable' },
  token_expired: { status: 401, error: 'invalid_token' },
  token_not_yet_valid: { status: 401, error: 'invalid_token' },
  claim_invalid: { status: 401, error: 'invalid_token' },
  issuer_unknown: { status: 401, error: 'invalid_token' },
  token_revoked: { status: 401, error: 'invalid_token' },
  revocation_unavailable: { status: 503, error: 'temporarily_unavailable' },
  csrf_rejected: { status: 403, error: 'invalid_request' },
  invalid_dpop_proof: { status: 401, error: 'invalid_dpop_proof' },
  dpop_required: { status: 401, error: 'invalid_token' },
  replay_check_unavailable: { status: 503, error: 'temporarily_unavailable' },
  token_inactive: { status: 401, error: 'invalid_token' },
  introspection_unavailable: { status: 503, error: 'temporarily_unavailable' },
  use_dpop_nonce: { status: 401, error: 'use_dpop_nonce' },
  // RFC 8705 §3: a certificate that does not match the token's binding is invalid_token, 401.
  client_certificate_missing: { status: 401, error: 'invalid_token' },
  client_certificate_mismatch: { status: 401, error: 'invalid_token' },
  certificate_binding_required: { status: 401, error: 'invalid_token' },
  insufficient_scope: { status: 403, error: 'insufficient_scope' },
  insufficient_role: { status: 403, error: 'insufficient_scope' },
  insufficient_user_authentication: { status: 401, error: 'insufficient_user_authentication' },
}

/** The optional details of an {@link AuthError}, beyond its `code` and message. */
export interface AuthErrorOptions {
  /** The underlying error (a jose error, a zod error, a network error). Never rendered. */
  cause?: unknown
  /** Scopes required by a failed scope guard: rendered as `scope="…"` (RFC 6750 §3). */
  scope?: readonly string[]
  /** Seconds until a retry may succeed: rendered as `Retry-After` (503 only). */
  retryAfter?: number
  /** Realm for the challenge; adapters usually set it through `withRealm`. */
  realm?: string
  /** Adds the `DPoP` challenge of an API that accepts DPoP (RFC 9449 §7.1, §7.2). */
  dpop?: DpopChallenge
  /**
   * The URL of the protected resource metadata (RFC 9728 §5.1): rendered as `resource_metadata="…"`
   * in every challenge, so a client can discover the authorization server.
   */
  resourceMetadata?: string
  /** A step-up guard's acceptable `acr` values: rendered as `acr_values="…"` (RFC 9470 §3). */
  acrValues?: readonly string[]
  /** A step-up guard's maximum authentication age in seconds: rendered as `max_age="…"` (RFC 9470 §3). */
  maxAge?: number
  /** A fresh server nonce, rendered as the `DPoP-Nonce` header (RFC 9449 §8.1, §9). */
  dpopNonce?: string
}

/**
 * How the `DPoP` challenge is rendered (RFC 9449 §7.1): `algs` lists the accepted proof algorithms;
 * `errorOn` names the challenge that carries `error`/`error_description`, the scheme the client
 * used (RFC 9449 §7.2); `bearer: false` leaves the `Bearer` challenge out (a DPoP-only API).
 */
export interface DpopChallenge {
  /** The proof algorithms the API accepts, rendered as the challenge's `algs` (RFC 9449 §7.1). */
  readonly algs: readonly string[]
  /** The challenge that carries `error`/`error_description`: the scheme the client used. */
  readonly errorOn: 'Bearer' | 'DPoP'
  /** Whether a `Bearer` challenge is sent beside the `DPoP` one (false for a DPoP-only API). */
  readonly bearer: boolean
}

/** What an adapter writes to the wire: identical for every framework. */
export interface AuthErrorResponse {
  /** The HTTP status (400, 401, 403, 503 …). */
  status: number
  /** `WWW-Authenticate` (RFC 6750 §3), `Retry-After` on a 503, `DPoP-Nonce` (RFC 9449 §8.1). */
  headers: Record<string, string>
  /** The JSON body: the RFC 6750 `error`, a description without secrets, and the stable `code`. */
  body: { error?: BearerError; error_description: string; code: AuthErrorCode }
}

/**
 * The one error class. Every failure of extraction, verification, claims or guards is an AuthError.
 *
 * @example
 * try { await authenticator.authenticate(req) }
 * catch (err) { if (err instanceof AuthError && err.code === 'token_expired') refresh() }
 */
export class AuthError extends Error {
  override readonly name = 'AuthError'
  readonly code: AuthErrorCode
  readonly status: number
  readonly error: BearerError | undefined
  readonly description: string
  readonly scope: readonly string[] | undefined
  readonly retryAfter: number | undefined
  readonly realm: string | undefined
  readonly dpop: DpopChallenge | undefined
  readonly resourceMetadata: string | undefined
  readonly acrValues: readonly string[] | undefined
  readonly maxAge: number | undefined
  readonly dpopNonce: string | undefined

  constructor(code: AuthErrorCode, description: string, options: AuthErrorOptions = {}) {
    super(description, options.cause === undefined ? undefined : { cause: options.cause })
    const info = CODE_TABLE[code]
    this.code = code
    this.status = info.status
    this.error = info.error
    this.description = description
    this.scope = options.scope
    this.retryAfter = options.retryAfter
    this.realm = options.realm
    this.dpop = options.dpop
    this.resourceMetadata = options.resourceMetadata
    this.acrValues = options.acrValues
    this.maxAge = options.maxAge
    this.dpopNonce = options.dpopNonce
  }

  /** A copy with the realm set, for the challenge. */
  withRealm(realm: string | undefined): AuthError {
    if (realm === undefined || realm === this.realm) return this
    return new AuthError(this.code, this.description, { ...this.#options(), realm })
  }

  /** A copy whose challenges point to the protected resource metadata (RFC 9728 §5.1). */
  withResourceMetadata(url: string | undefined): AuthError {
    if (url === undefined || url === this.resourceMetadata) return this
    return new AuthError(this.code, this.description, {
      ...this.#options(),
      resourceMetadata: url,
    })
  }

  /** A copy with another `cause` (explain mode wraps the original; never rendered). */
  withCause(cause: unknown): AuthError {
    return new AuthError(this.code, this.description, { ...this.#options(), cause })
  }

  /** A copy that also renders the `DPoP` challenge (RFC 9449 §7.1). */
  withDpop(dpop: DpopChallenge): AuthError {
    return new AuthError(this.code, this.description, { ...this.#options(), dpop })
  }

  #options(): AuthErrorOptions {
    return {
      cause: this.cause,
      ...(this.scope && { scope: this.scope }),
      ...(this.retryAfter !== undefined && { retryAfter: this.retryAfter }),
      ...(this.realm !== undefined && { realm: this.realm }),
      ...(this.dpop && { dpop: this.dpop }),
      ...(this.resourceMetadata !== undefined && { resourceMetadata: this.resourceMetadata }),
      ...(this.acrValues && { acrValues: this.acrValues }),
      ...(this.maxAge !== undefined && { maxAge: this.maxAge }),
      ...(this.dpopNonce !== undefined && { dpopNonce: this.dpopNonce }),
    }
  }

  /** The `WWW-Authenticate` value (RFC 6750 §3), or undefined where none applies (503). */
  get challenge(): string | undefined {
    if (this.status === 503) return undefined
    // realm and resource_metadata (RFC 9728 §5.1) go on every challenge; the rest only on the one
    // that carries the error.
    const bare: string[] = []
    if (this.realm !== undefined) bare.push(`realm=${quote(this.realm)}`)
    if (this.resourceMetadata !== undefined)
      bare.push(`resource_metadata=${quote(this.resourceMetadata)}`)
    const params = [...bare]
    if (this.error !== undefined) {
      params.push(`error=${quote(this.error)}`)
      params.push(`error_description=${quote(this.description)}`)
    }
    if (this.scope && this.scope.length > 0) params.push(`scope=${quote(this.scope.join(' '))}`)
    // RFC 9470 §3: what the step-up needs, so the client can ask the authorization server for it.
    if (this.acrValues && this.acrValues.length > 0)
      params.push(`acr_values=${quote(this.acrValues.join(' '))}`)
    if (this.maxAge !== undefined) params.push(`max_age=${quote(String(this.maxAge))}`)
    const dpop = this.dpop
    if (!dpop) return scheme('Bearer', params)
    // RFC 9449 §7.2: the error goes on the challenge of the scheme the client used; the other
    // challenge keeps only the realm (and the metadata URL).
    const algs = `algs=${quote(dpop.algs.join(' '))}`
    const challenges = [
      scheme('DPoP', [...(dpop.errorOn === 'DPoP' || !dpop.bearer ? params : bare), algs]),
    ]
    if (dpop.bearer) challenges.unshift(scheme('Bearer', dpop.errorOn === 'Bearer' ? params : bare))
    return challenges.join(', ')
  }

  /** Status, headers and JSON body, byte-identical across adapters. */
  toResponse(): AuthErrorResponse {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'cache-control': 'no-store',
    }
    const challenge = this.challenge
    if (challenge !== undefined) headers['www-authenticate'] = challenge
    // RFC 9449 §8.1: the nonce the client must put in its next proof.
    if (this.dpopNonce !== undefined) headers['dpop-nonce'] = this.dpopNonce
    if (this.status === 503)
      headers['retry-after'] = String(Math.max(1, Math.ceil(this.retryAfter ?? 30)))
    const body: AuthErrorResponse['body'] = {
      ...(this.error !== undefined && { error: this.error }),
      error_description: this.description,
      code: this.code,
    }
    return { status: this.status, headers, body }
  }

  toJSON(): AuthErrorResponse['body'] {
    return this.toResponse().body
  }
}

/** True for an AuthError, including one from another copy of the package. */
export function isAuthError(value: unknown): value is AuthError {
  return (
    value instanceof AuthError ||
    (value instanceof Error && value.name === 'AuthError' && 'code' in value)
  )
}

function scheme(name: string, params: readonly string[]): string {
  return params.length > 0 ? `${name} ${params.join(', ')}` : name
}

// RFC 6750 §3: auth-param values are quoted-strings whose characters are limited to
// %x20-21 / %x23-5B / %x5D-7E; anything else (quotes, backslashes, controls, non-ASCII) is replaced.
// Descriptions cite RFC sections with '§', which is outside that set: spell it out instead.
function quote(value: string): string {
  const ascii = value.replace(/§\s?/g, 'section ')
  return `"${ascii.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`
}
