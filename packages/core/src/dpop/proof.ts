// A DPoP proof JWT on its own (RFC 9449 §4.2, §4.3 checks 2 and 4-7): type, algorithm, key, signature.
import { signatureCheck } from '#signature-check'
import { sha256 } from '@noble/hashes/sha2'
import type { JWK } from 'jose'
import { normalizeTyp } from '../token/claims.js'
import { signatureLength } from '../token/jws.js'
import type { SignatureCheck } from '../token/signature-check.js'
import { encode } from '../util/base64url.js'
import { Lru } from '../util/lru.js'
import { AuthError } from '../errors.js'
import { jwsAlgorithm, misfit } from '../keys/algorithms.js'
import { importFor, prepareJwk } from '../keys/public-key.js'
import { decodeHeader, parsePayloadObject, tokenShape } from '../token/compact.js'

/** Private JWK members (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2): a proof key must have none. */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const
/** Proof keys are the client's choice: RSA up to 4096 bits, as clients generate them. */
const MAX_RSA_BITS = 4096
/**
 * Imported proof keys by alg and RFC 7638 thumbprint: a client signs every proof with one key, so
 * its import (and, on Node, its KeyObject) is paid once, not per request. The thumbprint covers
 * every member the key is imported from (prepareJwk keeps only those), so one entry is one key.
 * Bounded: clients come and go, and anyone may send proofs with fresh keys.
 */
const proofKeys = new Lru<string, Promise<CryptoKey>>(1024, 1024, () => 1)

/**
 * Checks a proof JWT against the allowed algorithms and returns its claims and the RFC 7638
 * thumbprint of its key; throws `invalid_dpop_proof`. The request-bound claims (htm, htu, iat,
 * jti, ath) are the caller's to check.
 *
 * @example
 * const { claims, jkt } = await verifyProof(headerValue, new Set(['ES256']))
 */
export async function verifyProof(
  proof: string,
  algorithms: ReadonlySet<string>,
  checkSignature: SignatureCheck = signatureCheck,
): Promise<{ claims: Record<string, unknown>; jkt: string }> {
  let header: Record<string, unknown>
  try {
    if (tokenShape(proof) !== 'jws') throw invalid('')
    header = decodeHeader(proof.slice(0, proof.indexOf('.')))
  } catch (cause) {
    throw invalid('the DPoP proof is not a compact JWS (RFC 9449 §4.3)', cause)
  }
  // §4.3 checks 4-7 and §11.5-11.6.
  if (typeof header.typ !== 'string' || normalizeTyp(header.typ) !== 'dpop+jwt')
    throw invalid('the DPoP proof typ is not dpop+jwt (RFC 9449 §4.3, §11.5)')
  const alg = header.alg
  if (typeof alg !== 'string' || !algorithms.has(alg))
    throw invalid(
      typeof alg === 'string' && (alg.toLowerCase() === 'none' || jwsAlgorithm(alg)?.kty === 'oct')
        ? 'the DPoP proof alg is not asymmetric (RFC 9449 §4.2, §11.6)'
        : typeof alg === 'string'
          ? 'the DPoP proof alg is not allowed'
          : 'the DPoP proof has no alg',
    )
  if (header.crit !== undefined || header.b64 !== undefined)
    throw invalid('the DPoP proof uses JWS extensions (crit, b64) that are not supported')
  const key = await proofKey(header.jwk, alg)
  let payloadBytes: Uint8Array
  try {
    // The JWS signature check of `#signature-check`: node:crypto on Node, jose elsewhere.
    const checked = checkSignature(proof, key.cryptoKey, alg)
    payloadBytes = checked instanceof Promise ? await checked : checked
    // One accepted spelling per signature value, as for access tokens (jws.ts).
    const expected = signatureLength(key.cryptoKey, alg)
    const sigBytes = Math.floor(((proof.length - proof.lastIndexOf('.') - 1) * 3) / 4)
    if (expected !== undefined && expected !== sigBytes)
      throw new Error('the signature length does not fit the key')
  } catch (cause) {
    throw invalid('the DPoP proof signature does not verify with its jwk (RFC 9449 §4.3)', cause)
  }
  const claims = parseClaims(payloadBytes)
  return { claims, jkt: key.jkt }
}

/** §4.3 checks 6-7: the embedded `jwk` is a public key of the type `alg` needs. */
async function proofKey(jwk: unknown, alg: string): Promise<{ cryptoKey: CryptoKey; jkt: string }> {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk))
    throw invalid('the DPoP proof has no jwk header (RFC 9449 §4.2)')
  const members = jwk as Record<string, unknown>
  if (PRIVATE_MEMBERS.some((m) => m in members))
    throw invalid('the DPoP proof jwk contains a private key (RFC 9449 §4.3)')
  let prepared: ReturnType<typeof prepareJwk>
  try {
    prepared = prepareJwk(jwk as JWK, 'jwk')
  } catch (cause) {
    throw invalid('the DPoP proof jwk is not a usable public key', cause)
  }
  const why = misfit(prepared.desc, alg)
  if (why !== undefined || (prepared.jwkAlg !== undefined && prepared.jwkAlg !== alg))
    throw invalid('the DPoP proof jwk cannot verify the proof alg')
  // The client chooses this key: an RSA modulus or exponent far beyond any real key would make
  // each verification cost as much as a private-key operation, or more (a CPU exhaustion lever).
  if (
    prepared.desc.kty === 'RSA' &&
    (prepared.desc.bits > MAX_RSA_BITS || String(prepared.jwk.e).length > 8)
  )
    throw invalid(
      `the DPoP proof jwk is an RSA key above ${MAX_RSA_BITS} bits or with a large exponent`,
    )
  const jkt = thumbprint(prepared.jwk as Record<string, string>)
  const cacheKey = `${alg} ${jkt}`
  let imported = proofKeys.get(cacheKey)
  if (!imported) {
    imported = importFor(prepared, alg)
    proofKeys.set(cacheKey, imported)
  }
  try {
    return { cryptoKey: await imported, jkt }
  } catch (cause) {
    proofKeys.delete(cacheKey)
    throw invalid('the DPoP proof jwk is not a usable public key', cause)
  }
}

/**
 * RFC 7638 §3: SHA-256 of the required members in lexicographic order, no whitespace (§3.2:
 * prepareJwk kept exactly those, each a string). Synchronous (@noble/hashes), where Web Crypto's
 * digest is a promise settled on Node's thread pool.
 */
function thumbprint(jwk: Record<string, string>): string {
  const members = Object.keys(jwk).sort()
  const json = `{${members.map((m) => `${JSON.stringify(m)}:${JSON.stringify(jwk[m])}`).join(',')}}`
  return encode(sha256(encoder.encode(json)))
}
const encoder = new TextEncoder()

function parseClaims(bytes: Uint8Array): Record<string, unknown> {
  return parsePayloadObject(
    bytes,
    'invalid_dpop_proof',
    'the DPoP proof payload is not JSON',
    'the DPoP proof payload is not a JSON object',
  )
}

/** An `invalid_dpop_proof` error (RFC 9449 §7.1). */
export function invalid(description: string, cause?: unknown): AuthError {
  return new AuthError('invalid_dpop_proof', description, cause === undefined ? {} : { cause })
}
