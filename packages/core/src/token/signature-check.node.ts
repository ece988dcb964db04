// Node fast path for JWS signatures: node:crypto on KeyObjects, synchronous. Every other rule stays
// in jws.ts. The `#signature-check` import (package.json `imports`) picks this file under the `node`
// condition; on Node, Web Crypto costs several times more per token (bench/README.md).
import {
  KeyObject,
  constants,
  createHmac,
  createVerify,
  timingSafeEqual,
  verify,
} from 'node:crypto'
import { errors } from 'jose'
import { jwsAlgorithm, MIN_RSA_BITS } from '../keys/algorithms.js'
import type { SignatureCheck } from './signature-check.js'

export type { SignatureCheck } from './signature-check.js'

// What a CryptoKey must be to verify an algorithm, as jose checks it (name, hash or curve, usage,
// RSA size), and how node:crypto then verifies (HMAC, PKCS#1 v1.5, PSS with salt = hash length,
// RFC 7518 §3.5, ECDSA with the JWS r||s encoding, RFC 7518 §3.4, EdDSA, RFC 8037 §3.1): the
// registry's `webCrypto` and `node` members (keys/algorithms.ts).

/** `second` is the index of the token's second dot: signing input before it, signature after. */
type Check = (token: string, second: number) => boolean

// One compiled check per (CryptoKey, alg): the KeyObject is extracted and vetted once, not per token.
const checks = new WeakMap<CryptoKey, Map<string, Check>>()

function compile(key: CryptoKey, alg: string): Check {
  const entry = jwsAlgorithm(alg)
  // The same refusals as jose's key checks; verifyJws maps these TypeErrors to token_malformed.
  if (!entry) throw new errors.JOSENotSupported(`alg ${alg} is not supported`)
  const spec = { ...entry.webCrypto, ...entry.node }
  const algorithm = key.algorithm as KeyAlgorithm & {
    hash?: { name?: string }
    namedCurve?: string
    modulusLength?: number
  }
  if (key.type !== (spec.kind === 'hmac' ? 'secret' : 'public'))
    throw new TypeError(
      `CryptoKey must be of type ${spec.kind === 'hmac' ? 'secret' : 'public'} for ${alg}`,
    )
  if (algorithm.name !== spec.name) throw new TypeError(`CryptoKey does not support ${alg}`)
  if (spec.hash && algorithm.hash?.name !== spec.hash)
    throw new TypeError(`CryptoKey does not support ${alg} (algorithm.hash)`)
  if (spec.namedCurve && algorithm.namedCurve !== spec.namedCurve)
    throw new TypeError(`CryptoKey does not support ${alg} (algorithm.namedCurve)`)
  if (!key.usages.includes('verify')) throw new TypeError('CryptoKey does not support verify')
  if (
    (spec.kind === 'rsa' || spec.kind === 'pss') &&
    !((algorithm.modulusLength ?? 0) >= MIN_RSA_BITS)
  )
    throw new TypeError(`${alg} requires key modulusLength to be ${MIN_RSA_BITS} bits or larger`)

  const keyObject = KeyObject.from(key)
  const digest = spec.digest
  if (spec.kind === 'hmac') {
    // The MAC as canonical base64url, compared with the signature segment as a string in constant
    // time: no Buffer for the signing input, the signature or the MAC. The segment is canonical
    // (tokenShape, compact.ts, before any check), so equal strings are equal bytes; a segment that
    // differs is compared again as bytes, so a non-canonical spelling given to this function
    // directly gets jose's verdict (signature-check.node.test.ts).
    return (token, second) => {
      const mac = createHmac(digest!, keyObject)
        .update(token.slice(0, second), 'latin1')
        .digest('base64url')
      if (constantTimeEqualAt(mac, token, second + 1)) return true
      const signature = Buffer.from(token.slice(second + 1), 'base64url')
      const bytes = Buffer.from(mac, 'base64url')
      return bytes.length === signature.length && timingSafeEqual(bytes, signature)
    }
  }
  const verifyWith = asymmetric(spec.kind, keyObject, digest, spec.saltLength)
  return (token, second) => {
    // The signing input (ASCII: the shape was checked) and the decoded signature, written into
    // one reused buffer rather than two new ones (perf, issue 17): verify() is synchronous, so
    // nothing else writes the buffer between these writes and the check. The same bytes as
    // Buffer.from(input, 'latin1') and Buffer.from(signature, 'base64url') (the same decoders).
    if (token.length > scratch.length)
      return verifyWith(
        Buffer.from(token.slice(0, second), 'latin1'),
        Buffer.from(token.slice(second + 1), 'base64url'),
      )
    const input = scratch.write(token.slice(0, second), 0, 'latin1')
    const bytes = scratch.write(token.slice(second + 1), input, 'base64url')
    return verifyWith(
      new Uint8Array(scratch.buffer, scratch.byteOffset, input),
      new Uint8Array(scratch.buffer, scratch.byteOffset + input, bytes),
    )
  }
}

// Room for any token of the default maxTokenLength (8192); a longer one gets buffers of its own.
// A base64url segment decodes to fewer bytes than it has characters, so the signing input and the
// signature of a token fit in its length.
const scratch = Buffer.alloc(8192)

function asymmetric(
  kind: 'rsa' | 'pss' | 'ecdsa' | 'eddsa',
  keyObject: KeyObject,
  digest: string | null,
  saltLength: number | undefined,
): (input: Uint8Array, signature: Uint8Array) => boolean {
  // RSA and ECDSA through a Verify object (createVerify), not the one-shot verify(): the same
  // OpenSSL digest-and-verify with the same key and options, without the crypto job the one-shot
  // call sets up per call, 0.5 (RS256) to 1 us (ES256) less per token on Node 20 (perf, issue 17, bench/src/
  // core-stages.ts). Ed25519 has no streaming form (RFC 8032 §5.1.7 hashes the message twice).
  switch (kind) {
    case 'rsa':
      return (input, signature) => createVerify(digest!).update(input).verify(keyObject, signature)
    case 'pss': {
      const options = { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }
      return (input, signature) => createVerify(digest!).update(input).verify(options, signature)
    }
    case 'ecdsa': {
      const options = { key: keyObject, dsaEncoding: 'ieee-p1363' as const }
      return (input, signature) => createVerify(digest!).update(input).verify(options, signature)
    }
    case 'eddsa':
      return (input, signature) => verify(null, input, keyObject, signature)
  }
}

/**
 * `expected` equals `token` from `offset` to its end, in time that depends on the lengths only
 * (public: the algorithm fixes the MAC's), never on where the strings differ.
 */
function constantTimeEqualAt(expected: string, token: string, offset: number): boolean {
  if (token.length - offset !== expected.length) return false
  let diff = 0
  for (let i = 0; i < expected.length; i++)
    diff |= expected.charCodeAt(i) ^ token.charCodeAt(offset + i)
  return diff === 0
}

function checkFor(key: CryptoKey, alg: string): Check {
  let byAlg = checks.get(key)
  if (!byAlg) checks.set(key, (byAlg = new Map()))
  let check = byAlg.get(alg)
  if (!check) byAlg.set(alg, (check = compile(key, alg)))
  return check
}

// Canonical-looking compact JWS: keeps the function as strict as jose on its own (no
// non-base64url bytes reach Buffer). A caller that has required the strict shape already
// (tokenShape, compact.ts: the pipeline, perf issue 17) passes `shaped` and skips this scan.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/**
 * The signature step of verifyJws (jws.ts) on node:crypto: returns the decoded payload, throws jose's
 * JWSSignatureVerificationFailed when this key does not verify the token (the caller then tries the
 * next candidate), and throws anything else for the caller to map to an AuthError.
 *
 * @example
 * const payload = nodeSignatureCheck(token, cryptoKey, 'ES256')
 */
export const nodeSignatureCheck: SignatureCheck = (token, key, alg, shaped) => {
  if (shaped !== true && !COMPACT_JWS.test(token))
    throw new errors.JWSInvalid('Invalid Compact JWS')
  const check = checkFor(key, alg)
  const second = token.lastIndexOf('.')
  const first = token.indexOf('.')
  let ok: boolean
  try {
    ok = check(token, second)
  } catch (cause) {
    // As jose: a verification that throws is a signature that does not verify.
    throw new errors.JWSSignatureVerificationFailed(undefined, { cause })
  }
  if (!ok) throw new errors.JWSSignatureVerificationFailed()
  const payload = Buffer.from(token.slice(first + 1, second), 'base64url')
  return new Uint8Array(payload.buffer, payload.byteOffset, payload.byteLength)
}

/** What `#signature-check` gives the pipeline on this path. */
export const signatureCheck: SignatureCheck = nodeSignatureCheck

/** Which path this is, for the sentinel tests (signature-check.path.test.ts). */
export const signaturePath: 'jose' | 'node:crypto' = 'node:crypto'
