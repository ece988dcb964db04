// JWE decryption (RFC 7516): options.decrypt checked once at start-up, then strict per-token checks before jose decrypts.
import { jweDecrypt } from '#jwe-decrypt'
import { errors, type JWEHeaderParameters, type JWTPayload } from 'jose'
import { AuthError } from '../errors.js'
import { resolveDecryptionKeys } from '../keys/decryption-keys.js'
import { isCanonical } from '../util/base64url.js'
import { decodeHeader, looksLikeJws, parseJsonObject, plaintextUtf8 } from './compact.js'
import {
  DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS,
  JWE_KEY_MANAGEMENT_NAMES,
  jweContentEncryption,
  jweKeyManagement,
} from '../keys/algorithms.js'
import type { DecryptOptions } from '../types.js'
import type { JweDecrypt, JweDecrypted } from './jwe-decrypt.js'
import { rejectUnknownOptions } from '../util/options.js'

/** What the pipeline calls for a 5-segment token. Built once by {@link resolveDecryptOptions}. */
export interface Decryptor {
  /** Plain JWS tokens are refused (`encryption_required`). */
  required: boolean
  /** A JSON-object plaintext is taken as the claims (no inner signature). */
  allowUnsignedPayload: boolean
  /** Decrypts a compact JWE; every failure is an AuthError, and plaintext never appears in one. */
  decrypt(token: string): Promise<JweDecrypted>
}

export { DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS }
/**
 * Default upper bound for PBES2 `p2c` (RFC 7518 §4.8.1.2); each unit is one PBKDF2 round that an
 * unauthenticated client can make us compute, once per token (a PBES2 token tries one key). jose's
 * own default bound is 10,000 and its encrypt default is 2,048, so issuers on defaults still fit;
 * measured with bench/src/forged.ts (bench/README.md): a forged PBES2 token at this bound costs
 * about 2 ms of CPU.
 */
export const DEFAULT_MAX_PBES2_COUNT = 10_000

const OPTION_NAMES = [
  'keys',
  'keyManagementAlgorithms',
  'contentEncryptionAlgorithms',
  'required',
  'allowUnsignedPayload',
  'maxPbes2Count',
]
const keyFailure = (cause: unknown) =>
  new AuthError('keys_unavailable', 'a configured decryption key could not be used', { cause })

/**
 * Validate `options.decrypt` once and return the per-token decryptor. Throws a configuration error
 * (naming the option and the fix) for anything unsafe or inconsistent. Keys are imported once.
 *
 * @example
 * const decryptor = resolveDecryptOptions({ keys: privatePem, keyManagementAlgorithms: ['RSA-OAEP-256'] })
 * const { plaintext, protectedHeader } = await decryptor.decrypt(token)
 */
export function resolveDecryptOptions(
  o: DecryptOptions,
  opt = 'options.decrypt',
  decryptStep: JweDecrypt = jweDecrypt,
): Decryptor {
  if (typeof o !== 'object' || o === null)
    throw new TypeError(`tokengate: ${opt} must be an object with keys and keyManagementAlgorithms`)
  // A misspelt option (`require: true`) must not silently weaken the policy.
  rejectUnknownOptions(o, OPTION_NAMES, opt, `${opt} takes { ${OPTION_NAMES.join(', ')} }`)
  for (const name of ['required', 'allowUnsignedPayload'] as const) {
    if (o[name] !== undefined && typeof o[name] !== 'boolean')
      throw new TypeError(`tokengate: ${opt}.${name} must be true or false.`)
  }
  const algs = checkAlgorithms(o.keyManagementAlgorithms, `${opt}.keyManagementAlgorithms`)
  const encs = checkEncryptions(o.contentEncryptionAlgorithms, `${opt}.contentEncryptionAlgorithms`)
  const maxPbes2Count = o.maxPbes2Count ?? DEFAULT_MAX_PBES2_COUNT
  if (!Number.isSafeInteger(maxPbes2Count) || maxPbes2Count < 1) {
    throw new TypeError(
      `tokengate: ${opt}.maxPbes2Count must be a positive integer (default ${DEFAULT_MAX_PBES2_COUNT})`,
    )
  }
  const allowUnsignedPayload = o.allowUnsignedPayload === true
  // Only dir / A*KW / A*GCMKW keep encryption to who holds the secret (not public-key, not PBES2).
  const unsafe = algs.filter((alg) => {
    const entry = jweKeyManagement(alg)
    return entry === undefined || entry.publicKey || entry.family === 'pbes2'
  })
  if (allowUnsignedPayload && unsafe.length > 0) {
    throw new TypeError(
      `tokengate: ${opt}.allowUnsignedPayload cannot be combined with ${unsafe.join(', ')}: with public-key (or password-based) key management anyone holding the public key (or guessing the password) could mint an encrypted token with any claims. Keep a signed (nested) token, or use dir / A*KW / A*GCMKW with a secret only the issuer and this API share`,
    )
  }
  const keys = resolveDecryptionKeys(o.keys, algs, encs, opt)
  const allowed = new Set(algs)
  const allowedEnc = new Set(encs)

  return {
    required: o.required === true,
    allowUnsignedPayload,
    async decrypt(token) {
      try {
        const header = parseCompactJwe(token)
        const { alg, enc } = checkHeader(header, token, allowed, allowedEnc, maxPbes2Count)
        let lastError: unknown
        for (const key of keys.select(header.kid, alg, enc)) {
          let material: CryptoKey | Uint8Array
          try {
            material = await key.load(alg)
          } catch (cause) {
            throw keyFailure(cause)
          }
          try {
            // jose on Web Crypto, or node:crypto under the `node` condition (#jwe-decrypt).
            return await decryptStep(token, material, header, alg, enc, maxPbes2Count)
          } catch (cause) {
            // Both steps raise a bare TypeError only for the key they were given (wrong type, algorithm or
            // usages for this alg; every token-side fault is a JOSEError or becomes a random CEK,
            // RFC 7516 §11.5): the key is broken, not the token, so 503 as for a failed import.
            if (cause instanceof TypeError && !(cause instanceof errors.JOSEError))
              throw keyFailure(cause)
            // Wrong key, tampered part, invalid epk point (RFC 8725 §3.4): all look the same from outside.
            lastError = cause
          }
        }
        throw new AuthError('decryption_failed', 'the token could not be decrypted', {
          cause: lastError,
        })
      } catch (err) {
        if (err instanceof AuthError) throw err
        throw new AuthError('decryption_failed', 'the token could not be decrypted', { cause: err })
      }
    },
  }
}

/**
 * What the plaintext of a JWE is (RFC 7519 §5.2, §7.2 step 8). `cty` is not consulted: providers
 * label nested tokens differently (`JWT`, `at+jwt`, none). A compact-JWS shape is a nested token to
 * verify; a JSON object is the claims, accepted only with `allowUnsignedPayload`.
 *
 * @example
 * const inner = interpretPlaintext(plaintext, decryptor.allowUnsignedPayload)
 * if ('jws' in inner) await verify(inner.jws); else use(inner.claims)
 */
export function interpretPlaintext(
  plaintext: Uint8Array,
  allowUnsignedPayload: boolean,
): { jws: string } | { claims: JWTPayload } {
  let text: string
  try {
    text = plaintextUtf8(plaintext)
  } catch (cause) {
    throw new AuthError('token_malformed', 'the decrypted payload is not UTF-8', { cause })
  }
  if (looksLikeJws(text)) return { jws: text }
  if (!allowUnsignedPayload)
    throw new AuthError('signature_required', 'the encrypted token does not contain a signed JWT')
  const claims = parseJsonObject(
    text,
    'token_malformed',
    'the decrypted payload is neither a JWS nor a JSON object',
    'the decrypted payload is neither a JWS nor a JSON object',
  )
  return { claims: claims as JWTPayload }
}

function checkAlgorithms(list: unknown, opt: string): string[] {
  if (!Array.isArray(list) || list.length === 0) {
    throw new TypeError(
      `tokengate: ${opt} is required: list the JWE "alg" values you accept, e.g. ['RSA-OAEP-256'] or ['ECDH-ES+A256KW']`,
    )
  }
  for (const alg of list) {
    if (alg === 'RSA1_5') {
      throw new TypeError(
        `tokengate: ${opt} must not contain 'RSA1_5': RSAES-PKCS1-v1_5 key transport is open to Bleichenbacher's padding-oracle attack (RFC 8725 §3.2); use 'RSA-OAEP-256'`,
      )
    }
    if (typeof alg !== 'string' || !jweKeyManagement(alg)) {
      throw new TypeError(
        `tokengate: ${opt} contains an unsupported value ${JSON.stringify(alg)}; supported: ${JWE_KEY_MANAGEMENT_NAMES.join(', ')}`,
      )
    }
  }
  return [...new Set(list as string[])]
}

function checkEncryptions(list: unknown, opt: string): string[] {
  if (list === undefined) return DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS
  if (!Array.isArray(list) || list.length === 0)
    throw new TypeError(
      `tokengate: ${opt} must be a non-empty list, or be left out for the default`,
    )
  for (const enc of list) {
    if (typeof enc !== 'string' || !jweContentEncryption(enc)) {
      throw new TypeError(
        `tokengate: ${opt} contains an unsupported value ${JSON.stringify(enc)}; supported: ${DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS.join(', ')}`,
      )
    }
  }
  return [...new Set(list as string[])]
}

/**
 * Strict compact serialisation (RFC 7516 §7.1): five canonical base64url segments (one spelling
 * per byte string, RFC 4648 §3.5). Returns the header.
 */
function parseCompactJwe(token: string): JWEHeaderParameters {
  const parts = typeof token === 'string' ? token.split('.') : []
  if (parts.length !== 5) throw new AuthError('token_malformed', 'a JWE must have five segments')
  for (const [i, part] of parts.entries()) {
    if (!isCanonical(part)) throw new AuthError('token_malformed', 'the JWE is not valid base64url')
    if (part === '' && i !== 1)
      throw new AuthError('token_malformed', 'only the JWE encrypted key segment may be empty')
  }
  return decodeHeader(parts[0]!) as JWEHeaderParameters
}

function checkHeader(
  header: JWEHeaderParameters,
  token: string,
  allowed: Set<string>,
  allowedEnc: Set<string>,
  maxPbes2Count: number,
): { alg: string; enc: string } {
  const { alg, enc } = header
  if (typeof alg !== 'string' || typeof enc !== 'string')
    throw new AuthError('token_malformed', 'the JWE header lacks alg or enc')
  if (!allowed.has(alg))
    throw new AuthError('alg_not_allowed', 'the JWE key management algorithm is not allowed')
  if (!allowedEnc.has(enc))
    throw new AuthError('alg_not_allowed', 'the JWE content encryption algorithm is not allowed')
  // jose would inflate a `zip: DEF` plaintext: refused outright (decompression bombs; compressed
  // plaintext leaks through the ciphertext length, RFC 8725 §3.6).
  if ('zip' in header)
    throw new AuthError('alg_not_allowed', 'compressed JWE (zip) is not accepted')
  // RFC 7516 §4.1.13: a recipient must reject a JWE whose `crit` names an extension it does not process; we process none.
  if ('crit' in header)
    throw new AuthError(
      'token_malformed',
      'the JWE has critical header parameters that are not supported',
    )
  // RFC 7516 §5.2 step 10: with direct encryption or direct key agreement the encrypted key is
  // empty, and with every other mode it carries the wrapped key: one spelling is accepted for each.
  const family = jweKeyManagement(alg)?.family
  const encryptedKeyEmpty = token.split('.')[1] === ''
  if (encryptedKeyEmpty !== (jweKeyManagement(alg)?.direct === true))
    throw new AuthError(
      'token_malformed',
      'the JWE encrypted key segment does not fit the algorithm',
    )
  if (
    family === 'ecdh-es' &&
    (typeof header.epk !== 'object' || header.epk === null || Array.isArray(header.epk))
  ) {
    throw new AuthError('token_malformed', 'the JWE "epk" header is missing or not an object')
  }
  if (family === 'pbes2') {
    const { p2c, p2s } = header as { p2c?: unknown; p2s?: unknown }
    if (
      typeof p2s !== 'string' ||
      typeof p2c !== 'number' ||
      !Number.isSafeInteger(p2c) ||
      p2c < 1
    ) {
      throw new AuthError('token_malformed', 'the JWE PBES2 parameters are missing or invalid')
    }
    // Refused before any PBKDF2 work: an attacker picks p2c, so it must be bounded (RFC 7518 §4.8.1.2).
    if (p2c > maxPbes2Count)
      throw new AuthError(
        'alg_not_allowed',
        'the JWE PBES2 iteration count is above the accepted bound',
      )
  }
  // One spelling per value (RFC 4648 §3.5), as for the segments: the base64url header members
  // this family reads (RFC 7518 §4.6.1, §4.7.1, §4.8.1) are refused when not canonical, so that
  // jose's decoder and node:crypto's (which skips stray characters) never read different bytes.
  for (const name of BASE64URL_MEMBERS[family ?? 'dir'] ?? []) {
    const value = (header as Record<string, unknown>)[name]
    if (typeof value === 'string' && !isCanonical(value))
      throw new AuthError('token_malformed', 'a JWE header member is not canonical base64url')
  }
  return { alg, enc }
}

const BASE64URL_MEMBERS: Record<string, readonly string[]> = {
  aesgcmkw: ['iv', 'tag'],
  pbes2: ['p2s'],
  'ecdh-es': ['apu', 'apv'],
}
