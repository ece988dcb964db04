// Private key material (secret, PKCS#8 PEM, JWK, CryptoKey, KeyObject): its shape, known at start-up, and its import per alg.
import { base64url, importJWK, importPKCS8, type JWK } from 'jose'
import { bitLength, jwkDefect } from './check.js'
import { keyForm } from './forms.js'
import { pkcs8Shape } from './pkcs8.js'
import type { KeyMaterial } from '../types.js'

/** What a key is, as far as algorithm fit is concerned; known synchronously at start-up. */
export type KeyShape =
  | { kty: 'oct'; bytes: number }
  | { kty: 'RSA'; bits: number | undefined; pss: boolean }
  | { kty: 'EC' | 'OKP'; crv: string }
  | { kty: 'crypto'; key: CryptoKey }

/** A private key or secret, described at start-up and imported (once per alg) on demand. */
export interface PrivateKey {
  shape: KeyShape
  kid: string | undefined
  /** JWK `alg` (RFC 7517 §4.4): when set, the key may be used with that alg only. */
  alg: string | undefined
  /** JWK `use` (RFC 7517 §4.2). */
  use: string | undefined
  /** The JWK form when there is one without importing (JWK, KeyObject, secret). */
  jwk: JWK | undefined
  load(alg: string): Promise<CryptoKey | Uint8Array>
}

export const HMAC_BYTES: Readonly<Record<string, number>> = { HS256: 32, HS384: 48, HS512: 64 }
export const KW_BYTES: Readonly<Record<string, number>> = {
  A128KW: 16,
  A192KW: 24,
  A256KW: 32,
  A128GCMKW: 16,
  A192GCMKW: 24,
  A256GCMKW: 32,
}

/** JWE key management with a public recipient key (RFC 7518 §4.3, §4.6). */
export const PUBLIC_KEY_KM_ALGS: readonly string[] = [
  'RSA-OAEP',
  'RSA-OAEP-256',
  'RSA-OAEP-384',
  'RSA-OAEP-512',
  'ECDH-ES',
  'ECDH-ES+A128KW',
  'ECDH-ES+A192KW',
  'ECDH-ES+A256KW',
]
/** Content encryption key size per `enc` (RFC 7518 §5.1). A `dir` key must have exactly this size. */
export const CEK_BYTES: Readonly<Record<string, number>> = {
  A128GCM: 16,
  A192GCM: 24,
  A256GCM: 32,
  'A128CBC-HS256': 32,
  'A192CBC-HS384': 48,
  'A256CBC-HS512': 64,
}
const EC_SIGNING_CURVES: Readonly<Record<string, string>> = {
  ES256: 'P-256',
  ES384: 'P-384',
  ES512: 'P-521',
}
const ECDH_CURVES = ['P-256', 'P-384', 'P-521', 'X25519']

function isCryptoKey(value: unknown): value is CryptoKey {
  return typeof CryptoKey !== 'undefined' && value instanceof CryptoKey
}

/** Whether a key of this shape can be used with `alg` (and, for `dir`, with `enc`). */
export function keyFits(shape: KeyShape, alg: string, enc?: string): boolean {
  const hash = /^(?:HS|RS|PS|ES)(256|384|512)$/.exec(alg)?.[1]
  switch (shape.kty) {
    case 'oct':
      if (alg in HMAC_BYTES) return shape.bytes >= HMAC_BYTES[alg]! // RFC 7518 §3.2
      if (alg in KW_BYTES) return shape.bytes === KW_BYTES[alg]
      if (alg === 'dir')
        return enc === undefined
          ? Object.values(CEK_BYTES).includes(shape.bytes)
          : CEK_BYTES[enc] === shape.bytes
      return alg.startsWith('PBES2-') && shape.bytes > 0
    case 'RSA':
      if (shape.bits !== undefined && shape.bits < 2048) return false
      if (alg.startsWith('PS')) return hash !== undefined
      return (
        !shape.pss && ((alg.startsWith('RS') && hash !== undefined) || alg.startsWith('RSA-OAEP'))
      )
    case 'EC':
      return (
        EC_SIGNING_CURVES[alg] === shape.crv ||
        (alg.startsWith('ECDH-ES') && ECDH_CURVES.includes(shape.crv))
      )
    case 'OKP':
      if (alg === 'EdDSA' || alg === 'Ed25519') return shape.crv === 'Ed25519'
      return alg.startsWith('ECDH-ES') && shape.crv === 'X25519'
    case 'crypto':
      return cryptoKeyFits(shape.key, alg, enc)
  }
}

function cryptoKeyFits(key: CryptoKey, alg: string, enc?: string): boolean {
  const a = key.algorithm as {
    name: string
    hash?: { name: string }
    namedCurve?: string
    length?: number
    modulusLength?: number
  }
  const sha = a.hash?.name.replace('SHA-', '')
  if (a.modulusLength !== undefined && a.modulusLength < 2048) return false
  switch (a.name) {
    case 'HMAC':
      return alg === `HS${sha}`
    case 'RSASSA-PKCS1-v1_5':
      return alg === `RS${sha}`
    case 'RSA-PSS':
      return alg === `PS${sha}`
    case 'RSA-OAEP':
      return alg === (sha === '1' ? 'RSA-OAEP' : `RSA-OAEP-${sha}`)
    case 'ECDSA':
      return EC_SIGNING_CURVES[alg] === a.namedCurve
    case 'Ed25519':
      return alg === 'EdDSA' || alg === 'Ed25519'
    case 'ECDH':
    case 'X25519':
      return alg.startsWith('ECDH-ES')
    case 'AES-KW':
      return alg === `A${a.length}KW`
    case 'AES-GCM':
      return (
        alg === `A${a.length}GCMKW` ||
        (alg === 'dir' && (enc === undefined || enc === `A${a.length}GCM`))
      )
    case 'PBKDF2':
      return alg.startsWith('PBES2-')
    default:
      return false
  }
}

/**
 * Describe a private key or secret given in any accepted form; throws a configuration error naming
 * `option` when it cannot be a private key (a public PEM, a JWK without `d`, a PKCS#1 PEM...).
 */
export function describePrivateKey(
  material: KeyMaterial,
  option: string,
  kid?: string,
): PrivateKey {
  if (typeof material === 'string' && material.trimStart().startsWith('-----BEGIN'))
    return fromPem(material, option, kid)
  if (typeof material === 'string' || material instanceof Uint8Array) {
    // Key material given as a secret (a PEM after a comment or as bytes, DER, JWK text, OpenSSH):
    // a PEM is read as the key it is; any other form is refused rather than used as a secret,
    // which anyone holding the public key could then reproduce (RFC 8725 §3.1).
    const form = keyForm(material)
    if (form?.kind === 'pem') return fromPem(form.pem, option, kid)
    if (form)
      throw new TypeError(
        `tokengate: ${option} is ${form.what}, not a secret: key material is never used as a secret. ${
          form.private
            ? 'Give the private key as a PKCS#8 PEM string or a JWK object'
            : 'A private key or a random secret is needed here'
        }.`,
      )
    return fromBytes(
      typeof material === 'string' ? new TextEncoder().encode(material) : material,
      option,
      kid,
    )
  }
  if (isCryptoKey(material)) {
    if (material.type === 'public')
      throw new TypeError(
        `tokengate: ${option} is a public CryptoKey; a private key or secret is needed here`,
      )
    return {
      shape: { kty: 'crypto', key: material },
      kid,
      alg: undefined,
      use: undefined,
      jwk: undefined,
      load: async () => material,
    }
  }
  if (
    typeof material === 'object' &&
    material !== null &&
    typeof (material as { export?: unknown }).export === 'function'
  ) {
    // A Node KeyObject: its JWK export is synchronous and portable.
    const keyObject = material as { type?: string; export(options: { format: 'jwk' }): JWK }
    if (keyObject.type === 'public')
      throw new TypeError(
        `tokengate: ${option} is a public KeyObject; a private key or secret is needed here`,
      )
    return fromJwk(keyObject.export({ format: 'jwk' }), option, kid)
  }
  if (
    typeof material === 'object' &&
    material !== null &&
    typeof (material as JWK).kty === 'string'
  )
    return fromJwk(material as JWK, option, kid)
  throw new TypeError(
    `tokengate: ${option} must be a secret (string or Uint8Array), a PKCS#8 PEM, a private JWK or a CryptoKey`,
  )
}

function fromBytes(bytes: Uint8Array, option: string, kid: string | undefined): PrivateKey {
  if (bytes.length === 0) throw new TypeError(`tokengate: ${option} is an empty secret.`)
  const jwk: JWK = { kty: 'oct', k: base64url.encode(bytes) }
  return {
    shape: { kty: 'oct', bytes: bytes.length },
    kid,
    alg: undefined,
    use: undefined,
    jwk,
    load: async () => bytes,
  }
}

function fromJwk(jwk: JWK, option: string, kidOverride: string | undefined): PrivateKey {
  const kid = kidOverride ?? (typeof jwk.kid === 'string' ? jwk.kid : undefined)
  const meta = { kid, alg: jwk.alg, use: jwk.use }
  if (jwk.kty === 'oct') {
    if (typeof jwk.k !== 'string')
      throw new TypeError(`tokengate: ${option} is an oct JWK without "k".`)
    const bytes = decodeMember(jwk.k, option)
    return { ...fromBytes(bytes, option, kid), ...meta, jwk }
  }
  if (typeof jwk.d !== 'string') {
    throw new TypeError(
      `tokengate: ${option} is a public JWK (no "d"); a private key is needed here`,
    )
  }
  const defect = jwkDefect(jwk as Record<string, unknown>)
  if (defect)
    throw new TypeError(
      `tokengate: ${option}${kid === undefined ? '' : ` (kid ${JSON.stringify(kid.slice(0, 64))})`} is a ${String(jwk.kty)} JWK that cannot be imported: ${defect}; export the key again from its source`,
    )
  let shape: KeyShape
  if (jwk.kty === 'RSA')
    shape = {
      kty: 'RSA',
      // Leading zero octets do not count: a padded 1024-bit modulus stays 1024 bits (RFC 7518 §3.3).
      bits: typeof jwk.n === 'string' ? bitLength(decodeMember(jwk.n, option)) : undefined,
      pss: false,
    }
  else if ((jwk.kty === 'EC' || jwk.kty === 'OKP') && typeof jwk.crv === 'string')
    shape = { kty: jwk.kty === 'EC' ? 'EC' : 'OKP', crv: jwk.crv }
  else throw new TypeError(`tokengate: ${option} has an unsupported JWK kty/crv.`)
  return {
    shape,
    ...meta,
    jwk,
    load: cachedLoader((alg) => importJWK({ ...jwk, alg }, alg) as Promise<CryptoKey>),
  }
}

function decodeMember(value: string, option: string): Uint8Array {
  try {
    return base64url.decode(value)
  } catch (cause) {
    throw new TypeError(`tokengate: ${option} has a JWK member that is not base64url.`, { cause })
  }
}

function cachedLoader(
  load: (alg: string) => Promise<CryptoKey>,
): (alg: string) => Promise<CryptoKey> {
  const cache = new Map<string, Promise<CryptoKey>>()
  return (alg) => {
    let key = cache.get(alg)
    if (!key) {
      key = load(alg)
      cache.set(alg, key)
    }
    return key
  }
}

function fromPem(pem: string, option: string, kid: string | undefined): PrivateKey {
  const label = /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1]
  if (label === 'RSA PRIVATE KEY' || label === 'EC PRIVATE KEY') {
    throw new TypeError(
      `tokengate: ${option} is a ${label} (PKCS#1/SEC1) PEM; convert it to PKCS#8 ("BEGIN PRIVATE KEY") with \`openssl pkcs8 -topk8 -nocrypt -in key.pem\``,
    )
  }
  if (label !== 'PRIVATE KEY') {
    throw new TypeError(
      `tokengate: ${option} is a "${label ?? 'unknown'}" PEM; a PKCS#8 private key ("BEGIN PRIVATE KEY") is needed here`,
    )
  }
  const shape = pkcs8Shape(pem)
  if (!shape)
    throw new TypeError(
      `tokengate: ${option} is not a readable PKCS#8 RSA, EC (P-256/384/521), Ed25519 or X25519 private key`,
    )
  return {
    shape,
    kid,
    alg: undefined,
    use: undefined,
    jwk: undefined,
    load: cachedLoader((alg) => importPKCS8(pem, alg)),
  }
}
