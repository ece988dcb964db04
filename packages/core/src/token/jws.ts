// JWS rules: header rules (RFC 7515, RFC 8725), key selection, signature length, error mapping.
// The signature itself is checked by `#signature-check` (signature-check.ts, or its node:crypto twin).
import { signatureCheck } from '#signature-check'
import { errors, type JWSHeaderParameters } from 'jose'
import { AuthError } from '../errors.js'
import { jwsAlgorithm } from '../keys/algorithms.js'
import type { KeySource } from '../keys/public-key.js'
import { decodeHeader } from './compact.js'
import type { SignatureCheck } from './signature-check.js'

export type { SignatureCheck } from './signature-check.js'

// Tokens of one issuer share their header segment, so its decoding (a sixth of the pipeline's own
// cost, see bench/) is kept: exact segment => deep-frozen object, only for headers whose token
// verified (nobody fills it with forged headers), bounded by clearing. Every rule is still checked
// on every token: only the decoding is skipped.
const verifiedHeaders = new Map<string, Record<string, unknown>>()
const MAX_VERIFIED_HEADERS = 64
// The last header a token verified with, in front of the map: one string comparison instead of a
// hash lookup for the usual stream of one issuer's tokens (perf, issue 17). Only ever an entry the
// map held: a header whose token verified, deep-frozen.
let lastSegment = ''
let lastHeader: Record<string, unknown> | undefined

export interface VerifiedJws {
  payload: Uint8Array
  protectedHeader: JWSHeaderParameters
}

/**
 * Verifies a compact JWS against the allowlist and the key source. Header rules, in order:
 * `alg` allowlisted (case-sensitive; `none` never, RFC 8725 §3.1); any `crit` is refused as
 * token_malformed, since tokengate implements no JWS extension (RFC 7515 §4.1.11); `b64: false`
 * refused (RFC 7797); `kid` must be a string; `jwk`, `jku`, `x5u` and `x5c` are never used to find a
 * key (RFC 8725 §3.10): keys come only from configuration.
 */
export async function verifyJws(
  token: string,
  keys: KeySource,
  algorithms: ReadonlySet<string>,
  checkSignature: SignatureCheck = signatureCheck,
): Promise<VerifiedJws> {
  return checkJws(token, keys, algorithms, checkSignature)
}

/**
 * {@link verifyJws} without a promise where none is needed: the pipeline's hot path (perf, issue
 * 17: each await is a microtask, and local keys with the node:crypto check answer synchronously).
 * Returns a Promise only when the key source or the check does; throws synchronously otherwise.
 * `shaped`: the caller has required `tokenShape(token) === 'jws'` (compact.ts); it is passed on to
 * the signature check, which then skips its own shape scan.
 *
 * @example
 * const result = checkJws(token, keys, new Set(['HS256']), signatureCheck)
 * const verified = result instanceof Promise ? await result : result
 */
export function checkJws(
  token: string,
  keys: KeySource,
  algorithms: ReadonlySet<string>,
  checkSignature: SignatureCheck,
  shaped = false,
): VerifiedJws | Promise<VerifiedJws> {
  const segment = token.slice(0, token.indexOf('.'))
  const header =
    (segment === lastSegment ? lastHeader : verifiedHeaders.get(segment)) ?? decodeHeader(segment)
  const alg = header.alg
  if (typeof alg !== 'string')
    throw new AuthError('token_malformed', 'the token header has no alg (RFC 7515 §4.1.1)')
  if (!algorithms.has(alg)) {
    throw new AuthError(
      'alg_not_allowed',
      // The token's own alg is never echoed (issue 12): only whether it was an unsigned token.
      alg.toLowerCase() === 'none'
        ? 'unsigned tokens (alg none) are never accepted'
        : 'the token alg is not allowed',
    )
  }
  if (header.crit !== undefined)
    throw new AuthError(
      'token_malformed',
      'the token header has crit extensions that are not supported (RFC 7515 §4.1.11)',
    )
  if (header.b64 !== undefined && header.b64 !== true)
    throw new AuthError(
      'token_malformed',
      'unencoded payloads (b64: false, RFC 7797) are not accepted',
    )
  const kid = header.kid
  if (kid !== undefined && typeof kid !== 'string')
    throw new AuthError('token_malformed', 'the token header kid is not a string (RFC 7515 §4.1.4)')
  if (header.typ !== undefined && typeof header.typ !== 'string')
    throw new AuthError('token_malformed', 'the token header typ is not a string')

  const selected = keys.select(alg, kid)
  return selected instanceof Promise
    ? selected.then((candidates) =>
        tryKeys(token, header, segment, alg, candidates, checkSignature, shaped),
      )
    : tryKeys(token, header, segment, alg, selected, checkSignature, shaped)
}

/** Each candidate key in turn: the first that verifies wins; a non-signature failure is mapped. */
function tryKeys(
  token: string,
  header: Record<string, unknown>,
  segment: string,
  alg: string,
  candidates: readonly CryptoKey[],
  checkSignature: SignatureCheck,
  shaped: boolean,
  from = 0,
  failure?: unknown,
): VerifiedJws | Promise<VerifiedJws> {
  for (let i = from; i < candidates.length; i++) {
    const key = candidates[i]!
    let checked: Uint8Array | Promise<Uint8Array>
    try {
      checked = checkSignature(token, key, alg, shaped)
      if (!(checked instanceof Promise)) return accept(token, header, segment, alg, key, checked)
    } catch (err) {
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw fromJoseError(err)
      failure = err
      continue
    }
    // An asynchronous check (jose on Web Crypto): the remaining keys are tried after it settles.
    const next = (err: unknown): VerifiedJws | Promise<VerifiedJws> => {
      if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw fromJoseError(err)
      return tryKeys(token, header, segment, alg, candidates, checkSignature, shaped, i + 1, err)
    }
    return checked.then((payload) => {
      try {
        return accept(token, header, segment, alg, key, payload)
      } catch (err) {
        return next(err)
      }
    }, next)
  }
  throw new AuthError('signature_invalid', 'the token signature is invalid', { cause: failure })
}

/** A verified signature: its exact length (below), then the header kept for reuse. */
function accept(
  token: string,
  header: Record<string, unknown>,
  segment: string,
  alg: string,
  key: CryptoKey,
  payload: Uint8Array,
): VerifiedJws {
  // Checked after the key's own checks (a key unfit for alg stays token_malformed).
  // Canonical unpadded base64url (tokenShape): 4n, 4n+2, 4n+3 characters are 3n, 3n+1, 3n+2 bytes.
  const expected = signatureLength(key, alg)
  if (expected !== undefined) {
    const sigBytes = Math.floor(((token.length - token.lastIndexOf('.') - 1) * 3) / 4)
    if (expected !== sigBytes)
      throw new errors.JWSSignatureVerificationFailed('the signature length does not fit the key')
  }
  // A frozen header came from the map (decodeHeader's are not frozen yet): nothing to store.
  if (!Object.isFrozen(header)) {
    // Stored by another token meanwhile (an asynchronous check): this copy stays as it was.
    if (verifiedHeaders.has(segment))
      return { payload, protectedHeader: header as JWSHeaderParameters }
    if (verifiedHeaders.size >= MAX_VERIFIED_HEADERS) verifiedHeaders.clear()
    verifiedHeaders.set(segment, deepFreeze(header))
  }
  lastSegment = segment
  lastHeader = header
  return { payload, protectedHeader: header as JWSHeaderParameters }
}

// One accepted spelling per signature value (issue 12 item 8): RFC 8017 §8.1.2 / §8.2.2 step 1
// (RSASSA-PSS and PKCS#1 v1.5 signatures are exactly k octets, k the modulus length), RFC 7518
// §3.4 (ECDSA r||s, each the curve size: 64, 96, 132 octets), RFC 8032 §5.1.7 (Ed25519: 64
// octets). Some verifiers accept a signature with its leading zero octets dropped or added; this
// check makes both entries (jose and node:crypto) refuse them alike. HMAC: the check compares the
// whole MAC already.
// The lengths are the registry's (keys/algorithms.ts `signatureBytes`); the key has already
// verified for `alg`, so it is of the kind the entry names.
/**
 * The exact signature length in bytes `key` makes for `alg` (undefined for HMAC), as above.
 *
 * @example
 * signatureLength(es256Key, 'ES256') // 64
 */
export function signatureLength(key: CryptoKey, alg: string): number | undefined {
  const bytes = jwsAlgorithm(alg)?.signatureBytes
  if (bytes !== 'modulus') return bytes
  return Math.ceil(((key.algorithm as RsaHashedKeyAlgorithm).modulusLength ?? 0) / 8)
}

// A shared header must not change under anyone: freeze it and its members (plain JSON values).
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const member of Object.values(value)) deepFreeze(member)
  }
  return value
}

/** Maps a jose error (or anything thrown while verifying) to an AuthError; AuthErrors pass through. */
export function fromJoseError(err: unknown): AuthError {
  if (err instanceof AuthError) return err
  const options = { cause: err }
  if (err instanceof errors.JWSSignatureVerificationFailed)
    return new AuthError('signature_invalid', 'the token signature is invalid', options)
  if (err instanceof errors.JOSEAlgNotAllowed)
    return new AuthError('alg_not_allowed', 'the token alg is not allowed', options)
  if (err instanceof errors.JWKSNoMatchingKey)
    return new AuthError('key_not_found', 'no key matches the token', options)
  if (err instanceof errors.JWKSMultipleMatchingKeys)
    return new AuthError(
      'key_not_found',
      'several keys match the token and none verified it',
      options,
    )
  if (err instanceof errors.JWKSTimeout)
    return new AuthError('keys_unavailable', 'the key set could not be fetched in time', {
      ...options,
      retryAfter: 30,
    })
  if (err instanceof errors.JWTExpired)
    return new AuthError('token_expired', 'the token has expired', options)
  if (err instanceof errors.JWTClaimValidationFailed)
    return new AuthError('claim_invalid', `claim ${safe(err.claim)} is invalid`, options)
  if (err instanceof errors.JWEDecryptionFailed)
    return new AuthError('decryption_failed', 'the token cannot be decrypted', options)
  if (err instanceof errors.JOSENotSupported)
    return new AuthError(
      'token_malformed',
      'the token uses an unsupported algorithm or key type',
      options,
    )
  return new AuthError('token_malformed', 'the token is malformed', options)
}

/** Header values are attacker-chosen: only short, plain values ever appear in a description. */
export function safe(value: string): string {
  return /^[A-Za-z0-9_+.-]{1,32}$/.test(value) ? `'${value}'` : '(unprintable)'
}
