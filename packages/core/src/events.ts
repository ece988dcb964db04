// Decision events: what onDecision and onKeyFetch receive, and the cause a key failure carries.
// Operator-facing only: nothing here is ever rendered into a response (see docs/debugging.md).
import type { AuthErrorCode } from './errors.js'

/**
 * The pipeline step that decided: where a refusal was raised, or the last step an accepted
 * request passed. `guard` events come from the adapters' `requireRoles`/`requireScopes`/
 * `requireClaims`, after the request's own (accepted) event.
 */
export type DecisionStep =
  | 'extract'
  | 'csrf'
  | 'dpop'
  | 'cache'
  | 'decrypt'
  | 'verify'
  | 'claims'
  | 'revocation'
  | 'guard'
  | 'introspection'
  | 'binding'

/**
 * Why keys could not be had: the real cause behind a 503 `keys_unavailable` (or a 401
 * `key_not_found` for `no_matching_key`/`unusable_key`).
 *
 * - `http_status`: the server answered, but not 200 (redirects are not followed); see `status`.
 * - `dns`: the host name does not resolve. `refused`: nothing listens on the port.
 * - `tls`: the TLS handshake or the certificate failed. `network`: any other transport failure.
 * - `timeout`: no complete answer within the remote key's `timeout`.
 * - `bad_json`: the body is not UTF-8 JSON. `not_a_jwks`: JSON, but no `keys` array (RFC 7517 §5).
 * - `too_large`: the body is over the 512 KiB cap. `discovery`: the discovery document was refused
 *   (another issuer, no `jwks_uri`, a `jwks_uri` on a foreign origin).
 * - `no_matching_key`: the key set has no key for the token's `alg`/`kid`.
 * - `unusable_key`: the matching key cannot be imported for that `alg`.
 */
export type KeyFailureReason =
  | 'http_status'
  | 'dns'
  | 'refused'
  | 'tls'
  | 'network'
  | 'timeout'
  | 'bad_json'
  | 'not_a_jwks'
  | 'too_large'
  | 'discovery'
  | 'no_matching_key'
  | 'unusable_key'

/** The key failure of a decision, as plain data (see {@link KeyFailureError} for the error form). */
export interface KeyFailure {
  /** What went wrong; stable strings a dashboard may group by. */
  reason: KeyFailureReason
  /** The HTTP status, for `http_status`. */
  status?: number
  /** The URL fetched (origin and path only: a query or user info is never shown). */
  url?: string
  /** A description for people (never a key). */
  message: string
}

/**
 * The `cause` of a `keys_unavailable` or `key_not_found` AuthError raised by remote keys: the real
 * reason (`reason`, `status`, `url`), with the underlying fetch or parse error as its own `cause`.
 * Never rendered into a response.
 *
 * @example
 * catch (err) { if (isAuthError(err) && err.cause instanceof KeyFailureError) log(err.cause.reason) }
 */
export class KeyFailureError extends Error {
  override readonly name = 'KeyFailureError'
  /** What went wrong; see {@link KeyFailureReason}. */
  readonly reason: KeyFailureReason
  /** The HTTP status, for `http_status`. */
  readonly status: number | undefined
  /** The URL fetched (origin and path only). */
  readonly url: string | undefined

  constructor(
    reason: KeyFailureReason,
    message: string,
    details: { status?: number; url?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause })
    this.reason = reason
    this.status = details.status
    this.url = details.url
  }

  /** The plain-data form carried by decision events. */
  toJSON(): KeyFailure {
    return {
      reason: this.reason,
      ...(this.status !== undefined && { status: this.status }),
      ...(this.url !== undefined && { url: this.url }),
      message: this.message,
    }
  }
}

/** One expected-against-received line of an {@link Explanation}. */
export interface ExplainedValue {
  /** What the configuration accepts (`undefined`: not checked). */
  expected: unknown
  /** What the token carries (`undefined`: absent). */
  received: unknown
  /** Whether this value passes the check on its own. */
  ok: boolean
}

/** A time claim against the clock (seconds since the epoch). */
export interface ExplainedTime {
  /** The claim's value (`undefined`: absent). */
  value: unknown
  /** `value - now` in seconds: negative in the past. */
  delta?: number
  /** Whether this claim passes the check, the tolerance included. */
  ok: boolean
}

/**
 * What explain mode (`explain: true`, or `DEBUG=tokengate` through an adapter) adds to an event and
 * to a refusal's `cause`: expected against received for the header and the registered claims,
 * time claims against the clock, and the keys that were candidates. Values are read from the
 * token without trusting it: `verified` says whether its signature had been checked when the
 * decision was made.
 */
export interface Explanation {
  /** Whether the signature (and decryption) had succeeded: if not, the values below are unverified. */
  verified: boolean
  /** The clock the time claims were checked against (seconds since the epoch). */
  now: number
  /** The leeway applied to `exp`, `nbf` and `iat` (seconds). */
  clockTolerance: number
  /** The JWS `alg` against the allowlist. */
  alg?: ExplainedValue
  /** The header `typ` against the configured `typ` (compared per RFC 7515 §4.1.9). */
  typ?: ExplainedValue
  /** The `kid` against the `kid`s of the configured keys that can verify the token's `alg`. */
  kid?: ExplainedValue
  /** The keys the token could be verified with (by `kid` and algorithms), or why none. */
  keys?: { tried: Array<{ kid?: string; algorithms: string[] }>; available: number }
  /** The `iss` claim against the accepted issuers (exact match, RFC 7519 §4.1.1). */
  iss?: ExplainedValue
  /** The `aud` claim against the accepted audiences (RFC 7519 §4.1.3). */
  aud?: ExplainedValue
  /** `exp` against the clock. */
  exp?: ExplainedTime
  /** `nbf` against the clock. */
  nbf?: ExplainedTime
  /** `iat` against the clock (and `maxTokenAge` when set, in seconds). */
  iat?: ExplainedTime & { maxTokenAge?: number }
}

/**
 * One authentication decision, given to `onDecision`. It never holds the token, a key, a secret,
 * or a claim value beyond `sub`, `iss` and `aud` (other claims only when named in `eventClaims`).
 *
 * @example
 * createAuthenticator({ ...options, onDecision: (e) => e.outcome === 'refused' && log.warn(e) })
 */
export interface DecisionEvent {
  /** `accepted` (a context, or `null` for an optional request without a token) or `refused`. */
  outcome: 'accepted' | 'refused'
  /** The step that refused, or the last step an accepted request passed. */
  step: DecisionStep
  /** The refusal's stable code. */
  code?: AuthErrorCode
  /** The refusal's HTTP status. */
  status?: number
  /** The refusal's description, as in the response (it holds no token content). */
  description?: string
  /** The request's method (absent on `guard` events). */
  method?: string
  /** Where the token was found. */
  source?: 'header' | 'cookie' | 'custom'
  /** The verified `iss` (or the configured issuer the token was routed to). */
  issuer?: string
  /** The verified `sub`. */
  subject?: string
  /** The verified `aud`. */
  audience?: string | string[]
  /** The JWS header `kid` (read before verification on a refusal; at most 64 characters). */
  kid?: string
  /** The JWS header `alg` (read before verification on a refusal; at most 64 characters). */
  alg?: string
  /** Whether the verified-token cache answered. */
  cacheHit: boolean
  /** Time spent in authenticate(), in milliseconds. */
  durationMs: number
  /** For `keys_unavailable` and `key_not_found` from remote keys: the real cause. */
  keyFailure?: KeyFailure
  /** The claims named in `eventClaims`, from a verified token only. */
  claims?: Record<string, unknown>
  /** Explain mode only: expected against received. */
  explain?: Explanation
}

/**
 * One fetch of a remote key set or discovery document, given to `onKeyFetch` (metrics count key
 * fetches by result). Background refreshes are reported too.
 *
 * @example
 * createAuthenticator({ ...options, onKeyFetch: (e) => e.result !== 'ok' && log.warn(e) })
 */
export interface KeyFetchEvent {
  /** `ok`, or the failure reason. */
  result: 'ok' | KeyFailureReason
  /** The JWKS URL (or the issuer for a discovery that failed before it), origin and path only. */
  url: string
  /** The HTTP status, when there was an answer. */
  status?: number
  /** The number of usable keys in the fetched set (`ok` only). */
  keys?: number
  /** Time the fetch took, in milliseconds. */
  durationMs: number
  /** The failure, for a result other than `ok`. */
  failure?: KeyFailure
}

/**
 * The `cause` of a refusal in explain mode: its message says what did not match (expected against
 * received), `explain` holds the same as data, and its own `cause` is the refusal's original cause.
 * Never rendered into a response.
 *
 * @example
 * catch (err) { if (isAuthError(err) && err.cause instanceof AuthExplanation) console.log(err.cause.explain) }
 */
export class AuthExplanation extends Error {
  override readonly name = 'AuthExplanation'
  /** Expected against received, as data. */
  readonly explain: Explanation

  constructor(message: string, explain: Explanation, cause: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.explain = explain
  }
}
