// Private key material (secret, PKCS#8 PEM, JWK, CryptoKey, KeyObject): its shape, known at start-up, and its import per alg.
import { base64url, importJWK, importPKCS8, type JWK } from 'jose'
import { cryptoKeyShape, type KeyShape } from './algorithms.js'
import { bitLength, decodeJwkMember, isCryptoKey, isKeyObject, jwkDefect } from './check.js'
import { keyForm } from './forms.js'
import { pkcs8Shape } from './der.js'
import type { KeyMaterial } from '../types.js'

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
      shape: cryptoKeyShape(material),
      kid,
      alg: undefined,
      use: undefined,
      jwk: undefined,
      load: async () => material,
    }
  }
  if (isKeyObject(material)) {
    // A Node KeyObject: its JWK export is synchronous and portable.
    if (material.type === 'public')
      throw new TypeError(
        `tokengate: ${option} is a public KeyObject; a private key or secret is needed here`,
      )
    return fromJwk(material.export({ format: 'jwk' }) as JWK, option, kid)
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
      // (jwkDefect above has checked that `n` is there and is base64url.)
      bits: bitLength(decodeMember(jwk.n as string, option)),
      pssOnly: false,
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
  // The strict decoder (RFC 7515 §2); an empty member is empty bytes, refused as an empty secret.
  const bytes = value === '' ? new Uint8Array() : decodeJwkMember(value)
  if (!bytes) throw new TypeError(`tokengate: ${option} has a JWK member that is not base64url.`)
  return bytes
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
