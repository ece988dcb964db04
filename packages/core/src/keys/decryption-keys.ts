// Decryption keys of options.decrypt: described and fitted to the allowlists at start-up, chosen per token by `kid`.
import { AuthError } from '../errors.js'
import { jweKeyManagement, misfit } from './algorithms.js'
import { describePrivateKey, type PrivateKey } from './private-key.js'
import { MAX_CANDIDATES } from './public-key.js'
import type { DecryptOptions, KeyMaterial } from '../types.js'

interface DecryptionKey {
  key: PrivateKey
  /** The listed `alg` values this key fits. */
  algs: Set<string>
}

/** The configured keys; `select` gives the keys to try for one token, in order (at most all of them). */
export interface DecryptionKeys {
  select(kid: unknown, alg: string, enc: string): PrivateKey[]
}

/**
 * Describe every key of `options.decrypt.keys` (one key, a list of keys or `{ key, kid }` entries, or
 * a JWKS), check each fits a listed alg and each listed alg has a key, and start importing them.
 */
export function resolveDecryptionKeys(
  input: DecryptOptions['keys'],
  algs: string[],
  encs: string[],
  owner = 'options.decrypt',
): DecryptionKeys {
  const opt = `${owner}.keys`
  const entries: Array<{ key: KeyMaterial; kid?: string }> = []
  if (Array.isArray(input)) {
    for (const entry of input) entries.push(isEntry(entry) ? entry : { key: entry })
  } else if (
    typeof input === 'object' &&
    input !== null &&
    Array.isArray((input as { keys?: unknown }).keys)
  ) {
    for (const jwk of (input as { keys: KeyMaterial[] }).keys) entries.push({ key: jwk })
  } else if (input !== undefined && input !== null) {
    entries.push({ key: input as KeyMaterial })
  }
  if (entries.length === 0)
    throw new TypeError(
      `tokengate: ${opt} is required: give the private key(s) or secret(s) tokens are encrypted to`,
    )
  const kids = new Set<string>()
  const keys = entries.map(({ key, kid }, i) => {
    const name = `${opt}[${i}]`
    const described = describePrivateKey(key, name, kid)
    if (described.use !== undefined && described.use !== 'enc')
      throw new TypeError(
        `tokengate: ${name} is a JWK with use "${described.use}"; decryption keys must have use "enc" or none`,
      )
    if (described.alg !== undefined && !algs.includes(described.alg)) {
      throw new TypeError(
        `tokengate: ${name} is a JWK for alg "${described.alg}", which is not in ${owner}.keyManagementAlgorithms`,
      )
    }
    const fits = algs.filter(
      (alg) =>
        (described.alg === undefined || described.alg === alg) &&
        (alg === 'dir'
          ? encs.some((enc) => misfit(described.shape, 'dir', enc) === undefined)
          : misfit(described.shape, alg) === undefined),
    )
    if (fits.length === 0) {
      throw new TypeError(
        `tokengate: ${name} does not fit any of ${algs.join(', ')} (wrong key type, curve or size; RSA needs 2048 bits or more, a dir key the exact size of enc)`,
      )
    }
    if (described.kid !== undefined) {
      if (kids.has(described.kid))
        throw new TypeError(
          `tokengate: ${name} repeats kid "${described.kid}"; each decryption key needs its own kid`,
        )
      kids.add(described.kid)
    }
    for (const alg of fits) described.load(alg).catch(() => undefined) // import now; failures surface per token
    return { key: described, algs: new Set(fits) }
  })
  for (const alg of algs) {
    if (!keys.some((k) => k.algs.has(alg)))
      throw new TypeError(
        `tokengate: ${owner}.keyManagementAlgorithms lists '${alg}' but no key in ${opt} fits it; remove it or add a key`,
      )
  }
  return { select: (kid, alg, enc) => select(keys, kid, alg, enc) }
}

function isEntry(value: unknown): value is { key: KeyMaterial; kid?: string } {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    'key' in value &&
    !('kty' in value)
  )
}

const isPbes2 = (alg: string): boolean => jweKeyManagement(alg)?.family === 'pbes2'

// The keys a token may try, bounded as for a JWS without kid (public-key.ts MAX_CANDIDATES). A PBES2 token
// tries exactly one key, so it costs at most one PBKDF2 run of p2c rounds (RFC 7518 §4.8.1.2; the
// attacker picks p2c up to the bound): where several keys fit PBES2 (any secret does, unless a
// JWK's alg says otherwise), the token must name one by kid.
function bounded(keys: PrivateKey[], alg: string): PrivateKey[] {
  const max = isPbes2(alg) ? 1 : MAX_CANDIDATES
  if (keys.length > max && isPbes2(alg))
    throw new AuthError(
      'kid_required',
      'several PBES2 keys are configured: the token must name one with kid',
    )
  return keys.slice(0, max)
}

function select(keys: DecryptionKey[], kid: unknown, alg: string, enc: string): PrivateKey[] {
  const fitting = keys
    .filter(
      (k) => k.algs.has(alg) && (alg !== 'dir' || misfit(k.key.shape, 'dir', enc) === undefined),
    )
    .map((k) => k.key)
  if (kid === undefined) {
    if (fitting.length === 0)
      throw new AuthError('key_not_found', 'no decryption key fits the token alg and enc')
    return bounded(fitting, alg)
  }
  if (typeof kid !== 'string')
    throw new AuthError('token_malformed', 'the JWE "kid" header is not a string')
  const byKid = fitting.filter((k) => k.kid === kid)
  if (byKid.length > 0) return byKid // kids are unique (checked at start-up): one key
  // A token may name a key by a kid the app never configured (one key given as a bare PEM):
  // then the keys without a kid are tried, as for a token without kid.
  const kidless = keys.some((k) => k.key.kid === kid)
    ? []
    : fitting.filter((k) => k.kid === undefined)
  if (kidless.length > 0) return bounded(kidless, alg)
  throw new AuthError('key_not_found', "no decryption key matches the token's kid")
}
