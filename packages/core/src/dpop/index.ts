// DPoP (RFC 9449): the options, the proof checks of §4.3, the token binding of §6 and §7, the challenge.
import { sha256 as nobleSha256 } from '@noble/hashes/sha2'
import { invalid, verifyProof } from './proof.js'
import { createMemoryReplayStore } from './replay.js'
import { resolveNonce, type DpopNonces } from './nonce.js'
import { checkOrigins, normalizeHtu, requestTargets, type TargetConfig } from './target.js'
import { encode } from '../util/base64url.js'
import { parseDuration } from '../util/duration.js'
import { rejectUnknownOptions } from '../util/options.js'
import { AuthError, type DpopChallenge } from '../errors.js'
import type { Extracted } from '../request/extract.js'
import { headerValues } from '../request/headers.js'
import { DEFAULT_DPOP_ALGORITHMS, jwsAlgorithm } from '../keys/algorithms.js'
import type { DpopReplayStore, RequestLike } from '../types.js'

export { DEFAULT_DPOP_ALGORITHMS }
/** RFC 9449 §11.1: an unnecessarily large `jti` is refused, not stored. */
const MAX_JTI_LENGTH = 256
const encoder = new TextEncoder()

/** What the proof check hands to the binding check, once the token is verified. */
export interface CheckedProof {
  /** RFC 7638 SHA-256 thumbprint of the proof key. */
  jkt: string
  /** Replay-cache key: a hash of the key thumbprint, the request URI and the `jti`. */
  replayKey: string
  /** Epoch seconds: the last instant the proof's `iat` window accepts it (included). */
  windowEnd: number
  /** What the replay store is given: `windowEnd` rounded up, plus {@link REPLAY_MARGIN_SECONDS}. */
  expiresAt: number
  /** With `dpop.nonce`: a fresh nonce for the response, when the proof's is from the previous window (RFC 9449 §8.2). */
  nextNonce?: string
}

/**
 * Extra life of a replay entry past the proof's window, for a shared store whose `add` is
 * processed a little after the window was checked here (network latency, another clock).
 */
const REPLAY_MARGIN_SECONDS = 1

/** DPoP as configured: created once by {@link resolveDpop}, asked on every request. */
export interface Dpop {
  readonly mode: 'allowed' | 'required'
  /**
   * Before the token is verified: for the DPoP scheme, checks the proof (RFC 9449 §4.3: one `DPoP`
   * header, a JWS typed `dpop+jwt`, allowed `alg`, public `jwk` that verifies it, `htm`, `htu`,
   * `iat` window, `jti`, `ath`); for Bearer, refuses it in required mode. Throws AuthError.
   */
  checkProof(request: RequestLike, found: Extracted): Promise<CheckedProof | undefined>
  /**
   * After the token is verified: the token's `cnf.jkt` must equal the proof key's thumbprint
   * (RFC 9449 §6.1), a bound token sent as Bearer is refused (§7.2), then the proof is recorded
   * against replay (§11.1). Returns the thumbprint for a DPoP request.
   */
  bind(
    proof: CheckedProof | undefined,
    claims: Readonly<Record<string, unknown>>,
  ): Promise<string | undefined>
  /** The error with the `DPoP` challenge (RFC 9449 §7.1) on the scheme the client used (§7.2). */
  challenge(err: AuthError, request: RequestLike): AuthError
}

/** What of the other options DPoP depends on. */
export interface DpopContext {
  header: boolean
  cookie: string | undefined
  custom: unknown
  clockTolerance: number
  maxTokenLength: number
}

/**
 * Validates `options.dpop` and `options.trustProxy` at start-up; undefined when DPoP is off.
 * Throws a TypeError naming the option and the fix.
 *
 * @example
 * const dpop = resolveDpop({ mode: 'required', origins: ['https://api.example.com'] }, false, context)
 */
export function resolveDpop(
  options: unknown,
  trustProxy: unknown,
  context: DpopContext,
  path = 'options.dpop',
): Dpop | undefined {
  if (trustProxy !== undefined && typeof trustProxy !== 'boolean')
    throw new TypeError('tokengate: options.trustProxy must be true or false')
  if (options === undefined) return undefined
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new TypeError(
      `tokengate: ${path} must be an object such as { mode: 'allowed', origins: [...] }`,
    )
  const o = options as Record<string, unknown>
  const known = ['mode', 'algorithms', 'maxAge', 'origins', 'replayStore', 'nonce']
  rejectUnknownOptions(o, known, path, `${path} takes { ${known.join(', ')} }`)
  if (o.mode !== 'allowed' && o.mode !== 'required' && o.mode !== 'disabled')
    throw new TypeError(`tokengate: ${path}.mode must be 'allowed', 'required' or 'disabled'`)
  const algorithms = checkProofAlgorithms(o.algorithms ?? [...DEFAULT_DPOP_ALGORITHMS], path)
  const maxAge = parseDuration((o.maxAge ?? 60) as string | number, 'options.dpop.maxAge')
  if (!(maxAge > 0)) throw new TypeError(`tokengate: ${path}.maxAge must be positive, e.g. '60s'`)
  const origins = o.origins === undefined ? undefined : checkOrigins(o.origins, `${path}.origins`)
  const store = o.replayStore
  if (store !== undefined && typeof (store as { add?: unknown } | null)?.add !== 'function')
    throw new TypeError(`tokengate: ${path}.replayStore must have an add(key, expiresAt) method`)
  const nonces = resolveNonce(o.nonce, `${path}.nonce`)
  if (o.mode === 'disabled') return undefined
  if (origins === undefined && trustProxy !== true)
    throw new TypeError(
      `tokengate: ${path} needs ${path}.origins (the public origins of this API, e.g. ['https://api.example.com']) or options.trustProxy: true (behind a proxy that sets X-Forwarded-Proto and X-Forwarded-Host): a proof's htu cannot be checked against a Host header the client chooses (RFC 9449 §4.3)`,
    )
  if (!context.header)
    throw new TypeError(
      `tokengate: ${path} needs options.from.header: DPoP-bound tokens are sent as Authorization: DPoP (RFC 9449 §7.1)`,
    )
  if (o.mode === 'required' && (context.cookie !== undefined || context.custom !== undefined))
    throw new TypeError(
      `tokengate: ${path}.mode 'required' accepts only Authorization: DPoP; remove options.from.cookie and options.from.custom, or use mode 'allowed'`,
    )
  return new DpopChecker(
    o.mode,
    algorithms,
    maxAge,
    { origins, trustProxy: trustProxy === true },
    (store as DpopReplayStore | undefined) ?? createMemoryReplayStore(),
    context,
    nonces,
  )
}

function checkProofAlgorithms(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || value.length === 0 || !value.every((a) => typeof a === 'string'))
    throw new TypeError(`tokengate: ${path}.algorithms must be a non-empty list such as ['ES256']`)
  for (const alg of value as string[]) {
    const info = jwsAlgorithm(alg)
    if (!info || info.kty === 'oct')
      throw new TypeError(
        `tokengate: ${path}.algorithms contains ${JSON.stringify(alg)}: DPoP proofs use asymmetric algorithms only, never none or HMAC (RFC 9449 §4.2, §11.6); e.g. ${DEFAULT_DPOP_ALGORITHMS.join(', ')}`,
      )
  }
  return [...new Set(value as string[])]
}

class DpopChecker implements Dpop {
  readonly #algorithms: ReadonlySet<string>
  readonly #challenge: { algs: readonly string[]; bearer: boolean }

  constructor(
    readonly mode: 'allowed' | 'required',
    algorithms: readonly string[],
    readonly maxAge: number,
    readonly target: TargetConfig,
    readonly store: DpopReplayStore,
    readonly context: DpopContext,
    readonly nonces: DpopNonces | undefined,
  ) {
    this.#algorithms = new Set(algorithms)
    this.#challenge = { algs: algorithms, bearer: mode === 'allowed' }
  }

  async checkProof(request: RequestLike, found: Extracted): Promise<CheckedProof | undefined> {
    if (found.scheme !== 'DPoP') {
      if (this.mode === 'required')
        throw new AuthError(
          'dpop_required',
          'this API accepts only DPoP-bound tokens: send Authorization: DPoP with a DPoP proof (RFC 9449 §7.1)',
        )
      return undefined
    }
    // §4.3 checks 1-2: exactly one DPoP header, holding one well-formed JWT.
    const values = headerValues(request.headers, 'dpop')
    if (values === undefined) throw invalid('the request has no DPoP proof header (RFC 9449 §7.1)')
    const proof = values[0] as string
    if (values.length > 1 || proof.includes(','))
      throw invalid('the request has more than one DPoP header (RFC 9449 §4.3)')
    if (proof.length > this.context.maxTokenLength) throw invalid('the DPoP proof is too large')
    // §4.3 checks 2 and 4-7: the JWT itself, its type, algorithm, key and signature.
    const { claims, jkt } = await verifyProof(proof, this.#algorithms)

    // §4.3 checks 3, 8, 9, 11, 12 (ath); the binding to cnf.jkt waits for the verified token.
    const jti = claims.jti
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH)
      throw invalid(
        'the DPoP proof jti is missing or not a string of at most 256 characters (RFC 9449 §4.2)',
      )
    if (typeof claims.htm !== 'string' || claims.htm !== request.method)
      throw invalid('the DPoP proof htm does not match the request method (RFC 9449 §4.3)')
    const htu = typeof claims.htu === 'string' ? normalizeHtu(claims.htu) : undefined
    if (htu === undefined)
      throw invalid('the DPoP proof htu is not an absolute http(s) URI (RFC 9449 §4.2)')
    if (!requestTargets(request, this.target).includes(htu))
      throw invalid('the DPoP proof htu does not match the request URI (RFC 9449 §4.3)')
    const iat = claims.iat
    const now = Date.now() / 1000
    const tolerance = this.context.clockTolerance
    if (typeof iat !== 'number' || !Number.isFinite(iat))
      throw invalid('the DPoP proof iat is missing or not a NumericDate (RFC 9449 §4.2)')
    if (iat > now + tolerance) throw invalid('the DPoP proof iat is in the future (RFC 9449 §11.1)')
    // The window is iat - tolerance to iat + maxAge + tolerance, both ends included; the replay
    // entry lives strictly longer (expiresAt below, DpopReplayStore.add), so the two never disagree.
    const windowEnd = iat + this.maxAge + tolerance
    if (now > windowEnd) throw invalid('the DPoP proof is older than dpop.maxAge (RFC 9449 §11.1)')
    // §4.2: ath = base64url(SHA-256(ASCII(access token))); the token is base64url text, hence ASCII.
    if (typeof claims.ath !== 'string' || claims.ath !== sha256(found.token))
      throw invalid('the DPoP proof ath does not match the access token (RFC 9449 §4.3)')
    // §4.3 check 10, last: only an otherwise valid proof is asked to be sent again with a nonce.
    const nextNonce = this.nonces ? await this.nonces.check(claims.nonce, now) : undefined
    return {
      jkt,
      replayKey: sha256(`${jkt}\n${htu}\n${jti}`),
      windowEnd,
      expiresAt: Math.ceil(windowEnd) + REPLAY_MARGIN_SECONDS,
      ...(nextNonce !== undefined && { nextNonce }),
    }
  }

  async bind(
    proof: CheckedProof | undefined,
    claims: Readonly<Record<string, unknown>>,
  ): Promise<string | undefined> {
    const cnf = claims.cnf
    const jkt =
      typeof cnf === 'object' && cnf !== null ? (cnf as Record<string, unknown>).jkt : undefined
    if (proof === undefined) {
      // §7.2: a server that supports both schemes MUST reject a DPoP-bound token sent as Bearer.
      if (jkt !== undefined)
        throw new AuthError(
          'dpop_required',
          'the token is DPoP-bound (cnf.jkt): send it as Authorization: DPoP with a DPoP proof (RFC 9449 §7.2)',
        )
      return undefined
    }
    if (typeof jkt !== 'string')
      throw new AuthError(
        'claim_invalid',
        'the token is not DPoP-bound (no cnf.jkt, RFC 9449 §6.1)',
      )
    if (jkt !== proof.jkt)
      throw new AuthError(
        'claim_invalid',
        "the DPoP proof key does not match the token's cnf.jkt (RFC 9449 §6.1)",
      )
    // The token's verification took time: a proof whose window closed meanwhile is refused here,
    // so that every accepted proof is recorded before its window ends, while its entry is live.
    if (Date.now() / 1000 > proof.windowEnd)
      throw invalid('the DPoP proof is older than dpop.maxAge (RFC 9449 §11.1)')
    // §11.1: last, so that a proof refused for any other reason is not burnt.
    let fresh: unknown
    try {
      fresh = await this.store.add(proof.replayKey, proof.expiresAt)
    } catch (cause) {
      throw new AuthError('replay_check_unavailable', 'the DPoP replay check is unavailable', {
        cause,
        retryAfter: 5,
      })
    }
    if (fresh === false) throw invalid('the DPoP proof was already used (RFC 9449 §11.1)')
    if (fresh !== true)
      throw new AuthError(
        'replay_check_unavailable',
        'the DPoP replay store answered neither true nor false',
        {
          retryAfter: 5,
        },
      )
    return proof.jkt
  }

  challenge(err: AuthError, request: RequestLike): AuthError {
    let dpopScheme = this.mode === 'required'
    if (!dpopScheme) {
      try {
        dpopScheme = /^dpop(?:[ \t]|$)/i.test(
          headerValues(request.headers, 'authorization')?.[0] ?? '',
        )
      } catch {
        dpopScheme = false
      }
    }
    const challenge: DpopChallenge = { ...this.#challenge, errorOn: dpopScheme ? 'DPoP' : 'Bearer' }
    return err.withDpop(challenge)
  }
}

// Synchronous (@noble/hashes, as introspection's cache keys): Web Crypto's digest is a promise
// settled on Node's thread pool, twice per proof.
function sha256(text: string): string {
  return encode(nobleSha256(encoder.encode(text)))
}
