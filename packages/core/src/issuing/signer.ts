// External signers (HSM, cloud KMS): the private key never enters the process; tokengate checks the public half and the signatures.
import { calculateJwkThumbprint, compactVerify, exportJWK, type JWK } from 'jose'
import { encode as b64url } from '../util/base64url.js'
import { jwsAlgorithm, misfit } from '../keys/algorithms.js'
import { tlv } from '../keys/der.js'
import { importFor, isSignatureJwk, prepareKey, type PreparedKey } from '../keys/public-key.js'
import type { KeyMaterial } from '../types.js'

/**
 * A signer whose private key stays in an HSM or a KMS: tokengate hands it the JWS signing input
 * (RFC 7515 §5.1 step 5: the ASCII bytes of `BASE64URL(header) '.' BASE64URL(payload)`) and it
 * returns the signature in JOSE form (RFC 7518 §3: for ES*, the raw `R || S`, not DER; see
 * {@link derToJoseSignature}).
 *
 * @example
 * const signer: TokenSigner = {
 *   publicKey: publicJwkFromTheHsm,
 *   sign: (input) => hsm.sign('CKM_ECDSA_SHA256', input), // R || S, 64 bytes for ES256
 * }
 */
export interface TokenSigner {
  /**
   * The public half of the signing key: a JWK, a SPKI PEM or certificate, a public CryptoKey or
   * KeyObject, or a JWK Set `{ keys }` (the key is then picked by `kid`). Checked against the alg
   * at start-up, published by `issuer.publicJwks()`, and used to verify the signer's signatures.
   */
  publicKey: KeyMaterial | { keys: JWK[] }
  /** Signs the JWS signing input; returns the signature bytes in JOSE form. */
  sign(signingInput: Uint8Array): Promise<Uint8Array> | Uint8Array
  /**
   * `'first'` (default): signatures are verified against `publicKey` until one verifies, then the
   * signer is trusted (its length is still checked every time). `'every'`: every signature is
   * verified before a token is returned (one public-key verification per token).
   */
  verify?: 'first' | 'every'
}

/** Why an external signer's output was not used: {@link SignerError.code}. */
export type SignerErrorCode = 'signer_failed' | 'signature_malformed' | 'signature_invalid'

/**
 * An external signer failed, so no token was issued: it threw (`signer_failed`), returned
 * something that is not a JOSE signature of the right size (`signature_malformed`), or a signature
 * that the published public key does not verify (`signature_invalid`: the wrong key, or a key
 * rotated in the KMS but not in the app).
 *
 * @example
 * try { await issuer.issue({ sub }) } catch (e) { if (e instanceof SignerError) log(e.code, e.cause) }
 */
export class SignerError extends Error {
  /** The kind of failure; stable, for `switch`. */
  readonly code: SignerErrorCode
  constructor(code: SignerErrorCode, message: string, options?: { cause?: unknown }) {
    super(`tokengate: ${message}`, options)
    this.name = 'SignerError'
    this.code = code
  }
}

/** A signer resolved at start-up. */
export interface ResolvedSigner {
  /** The `kid` tokens carry: options.kid, the public JWK's, or its RFC 7638 thumbprint. */
  kid: Promise<string>
  /** The public JWK with kid, alg and use. */
  publicJwk: Promise<JWK>
  /** A compact JWS of header and payload, signed by the signer and checked. */
  sign(header: Record<string, unknown>, payload: Record<string, unknown>): Promise<string>
  /** Signs a probe (never a JWS) and verifies it: the signer is then trusted. */
  probe(): Promise<void>
}

const OPT = 'tokengate: createTokenIssuer options.signer'

/**
 * Checks an external signer against `alg` at start-up: the alg is an asymmetric one of the
 * registry, the public key (or the one a JWKS names) fits it. Throws a TypeError that says how to fix.
 */
export function resolveSigner(
  value: unknown,
  alg: string,
  kid: string | undefined,
): ResolvedSigner {
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`${OPT} must be an object { publicKey, sign(signingInput) }`)
  const s = value as Partial<TokenSigner> & Record<string, unknown>
  const extra = Object.keys(s).filter((k) => !['publicKey', 'sign', 'verify'].includes(k))
  if (extra.length > 0)
    throw new TypeError(
      `${OPT} has unknown member(s) ${extra.join(', ')}; a signer has publicKey, sign and verify`,
    )
  if (typeof s.sign !== 'function')
    throw new TypeError(
      `${OPT}.sign must be a function (signingInput: Uint8Array) => signature bytes`,
    )
  if (s.verify !== undefined && s.verify !== 'first' && s.verify !== 'every')
    throw new TypeError(`${OPT}.verify must be 'first' or 'every'`)
  const entry = jwsAlgorithm(alg)
  if (!entry) throw new TypeError(`${OPT}: options.alg '${alg}' is not a supported JWS algorithm`)
  if (entry.kty === 'oct')
    throw new TypeError(
      `${OPT} cannot sign ${alg}: an HMAC key has no public half to check the signer against or to publish; use an asymmetric alg (ES256, PS256, RS256, EdDSA)`,
    )
  if (s.publicKey === undefined || s.publicKey === null)
    throw new TypeError(
      `${OPT}.publicKey is required: the public half of the HSM/KMS key (JWK, SPKI PEM, CryptoKey or { keys })`,
    )
  const { jwk, prepared } = pickPublicKey(s.publicKey, alg, kid)
  const why = misfit(prepared.desc, alg)
  if (why !== undefined)
    throw new TypeError(`${OPT}.publicKey does not fit options.alg '${alg}': ${why}`)
  if (prepared.form === 'jwk' && prepared.jwkAlg !== undefined && prepared.jwkAlg !== alg)
    throw new TypeError(
      `${OPT}.publicKey is a JWK for alg "${prepared.jwkAlg}", not options.alg '${alg}'`,
    )
  const verifyKey = importFor(prepared, alg)
  verifyKey.catch(() => undefined) // imported now; a failure surfaces on the first issue()
  const publicJwk = (async () => {
    const exported = jwk ?? (await exportJWK(await verifyKey))
    const pub: JWK = { kty: exported.kty }
    for (const m of ['n', 'e', 'crv', 'x', 'y'] as const)
      if (exported[m] !== undefined) pub[m] = exported[m]
    const id = kid ?? (typeof jwk?.kid === 'string' ? jwk.kid : await calculateJwkThumbprint(pub))
    return { ...pub, kid: id, alg, use: 'sig' }
  })()
  publicJwk.catch(() => undefined)
  const every = s.verify === 'every'
  const sign = s.sign.bind(s)
  let trusted = false

  const signature = async (input: Uint8Array): Promise<Uint8Array> => {
    let out: unknown
    try {
      out = await sign(input)
    } catch (cause) {
      throw new SignerError('signer_failed', `options.signer.sign threw; no token was issued`, {
        cause,
      })
    }
    if (!(out instanceof Uint8Array))
      throw new SignerError(
        'signature_malformed',
        `options.signer.sign returned ${out === null ? 'null' : typeof out}, not a Uint8Array of signature bytes; no token was issued`,
      )
    const want = expectedLength(entry.signatureBytes, await verifyKey)
    if (want !== undefined && out.length !== want) {
      const der = entry.kty === 'EC' && looksLikeDer(out)
      throw new SignerError(
        'signature_malformed',
        `options.signer.sign returned ${out.length} bytes; ${alg} signatures are ${want} bytes (RFC 7518 §3)` +
          (der
            ? ': this looks like a DER ECDSA signature; convert it with derToJoseSignature(signature, alg)'
            : '') +
          '; no token was issued',
      )
    }
    return out
  }
  const check = async (signingInput: string, sig: Uint8Array): Promise<void> => {
    try {
      await compactVerify(`${signingInput}.${b64url(sig)}`, await verifyKey, { algorithms: [alg] })
    } catch (cause) {
      throw new SignerError(
        'signature_invalid',
        `options.signer.sign returned a signature that options.signer.publicKey does not verify (wrong key, or the key was rotated in the HSM/KMS); no token was issued`,
        { cause },
      )
    }
    trusted = true
  }

  return {
    kid: publicJwk.then((k) => k.kid as string),
    publicJwk,
    async sign(header, payload) {
      const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`
      const sig = await signature(new TextEncoder().encode(signingInput))
      // Until one signature has verified, the signer is not trusted (concurrent first calls all check).
      if (every || !trusted) await check(signingInput, sig)
      return `${signingInput}.${b64url(sig)}`
    },
    async probe() {
      // Not a JWS signing input (its first segment is no base64url JSON header), so the probe's
      // signature can never be passed off as a token's.
      const probe = `tokengate-signer-probe.${b64url(crypto.getRandomValues(new Uint8Array(16)))}`
      const input = `${b64url(JSON.stringify({ alg }))}.${b64url(probe)}`
      await check(input, await signature(new TextEncoder().encode(input)))
    },
  }
}

function pickPublicKey(
  material: unknown,
  alg: string,
  kid: string | undefined,
): { jwk: JWK | undefined; prepared: PreparedKey } {
  const isSet =
    typeof material === 'object' &&
    material !== null &&
    Array.isArray((material as { keys?: unknown }).keys)
  if (!isSet) {
    const jwk = isJwk(material) ? refusePrivate(material, `${OPT}.publicKey`) : undefined
    return { jwk, prepared: prepareKey(material as KeyMaterial, 'options.signer.publicKey') }
  }
  const keys = (material as { keys: unknown[] }).keys
  const candidates = keys
    .map((k, i) => ({ k, i }))
    .filter(
      ({ k }) =>
        isJwk(k) &&
        isSignatureJwk(k) &&
        (k.alg === undefined || k.alg === alg) &&
        (kid === undefined || k.kid === kid),
    )
  if (candidates.length !== 1)
    throw new TypeError(
      candidates.length === 0
        ? `${OPT}.publicKey is a JWK Set with no signature key for ${alg}${kid === undefined ? '' : ` and kid "${kid}"`}`
        : `${OPT}.publicKey is a JWK Set with ${candidates.length} keys for ${alg}; set options.kid to pick one`,
    )
  const { k, i } = candidates[0] as { k: JWK; i: number }
  const option = `options.signer.publicKey.keys.${i}`
  refusePrivate(k, `tokengate: createTokenIssuer ${option}`)
  return { jwk: k, prepared: prepareKey(k as KeyMaterial, option) }
}

function isJwk(value: unknown): value is JWK {
  return typeof value === 'object' && value !== null && typeof (value as JWK).kty === 'string'
}

// The point of a signer is that the private key is elsewhere: one given here is a mistake to fix.
function refusePrivate(jwk: JWK, where: string): JWK {
  if (jwk.d !== undefined || jwk.k !== undefined)
    throw new TypeError(
      `${where} holds private key material ("${jwk.d !== undefined ? 'd' : 'k'}"); give only the public key: the private key stays in the HSM/KMS`,
    )
  return jwk
}

function expectedLength(bytes: number | 'modulus' | undefined, key: CryptoKey): number | undefined {
  if (bytes !== 'modulus') return bytes
  const bits = (key.algorithm as { modulusLength?: number }).modulusLength
  return bits === undefined ? undefined : Math.ceil(bits / 8)
}

function looksLikeDer(sig: Uint8Array): boolean {
  try {
    const seq = tlv(sig, 0, 0x30)
    return seq.end === sig.length
  } catch {
    return false
  }
}

/**
 * An ECDSA signature in DER (`ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }`, RFC 3279
 * §2.2.3), as AWS KMS, Azure Key Vault's PKCS#11 bridges, OpenSSL and most HSM SDKs return it,
 * converted to the JOSE form of RFC 7518 §3.4: `R || S`, each left-padded to the curve size.
 * Throws a TypeError when the input is not such a signature for `alg`.
 *
 * @example
 * sign: async (input) => derToJoseSignature(await kmsSignDer(input), 'ES256')
 */
export function derToJoseSignature(der: Uint8Array, alg: string): Uint8Array {
  const entry = jwsAlgorithm(alg)
  if (entry?.kty !== 'EC' || typeof entry.signatureBytes !== 'number')
    throw new TypeError(
      `tokengate: derToJoseSignature: '${alg}' is not an ECDSA alg (ES256/384/512)`,
    )
  const size = entry.signatureBytes / 2
  const out = new Uint8Array(size * 2)
  try {
    const seq = tlv(der, 0, 0x30)
    if (seq.end !== der.length) throw new RangeError('trailing bytes')
    const r = tlv(der, seq.start, 0x02)
    const s = tlv(der, r.end, 0x02)
    if (s.end !== seq.end) throw new RangeError('trailing bytes in the sequence')
    for (const [n, at] of [
      [r, 0],
      [s, size],
    ] as const) {
      let value = der.subarray(n.start, n.end)
      // DER INTEGERs are signed: a leading 0x00 keeps a high bit positive; it is not part of the value.
      while (value.length > 1 && value[0] === 0) value = value.subarray(1)
      if (value.length === 0 || value.length > size) throw new RangeError('integer out of range')
      out.set(value, at + size - value.length)
    }
  } catch (cause) {
    throw new TypeError(
      `tokengate: derToJoseSignature: not a DER ECDSA signature for ${alg} (SEQUENCE of two INTEGERs of at most ${size} bytes)`,
      { cause },
    )
  }
  return out
}
