// The recipient's key for encryptTo: a public key or shared secret, described at start-up and imported per alg.
import { importJWK, importSPKI, importX509, type JWK } from 'jose'
import { cryptoKeyShape, type KeyShape } from './algorithms.js'
import { bitLength, decodeJwkMember, isCryptoKey, isKeyObject } from './check.js'
import { describePrivateKey } from './private-key.js'
import { looksLikePem, readPem } from './der.js'
import type { KeyMaterial } from '../types.js'

const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
}

/**
 * The key a token is encrypted to: a public key (SPKI PEM, certificate, JWK, CryptoKey, KeyObject;
 * private members are dropped) or a shared secret. Throws a configuration error naming `opt`.
 */
export function describeRecipientKey(
  material: KeyMaterial,
  opt: string,
): {
  shape: KeyShape
  kid: string | undefined
  load(alg: string): Promise<CryptoKey | Uint8Array>
} {
  if (typeof material === 'string' && looksLikePem(material)) {
    const pem = readPem(material, opt)
    return {
      shape: pem.key,
      kid: undefined,
      load: (alg) =>
        pem.format === 'spki' ? importSPKI(material, alg) : importX509(material, alg),
    }
  }
  if (isCryptoKey(material)) {
    if (material.type === 'private')
      throw new TypeError(
        `tokengate: ${opt} is a private CryptoKey: give the recipient's public key`,
      )
    return { shape: cryptoKeyShape(material), kid: undefined, load: async () => material }
  }
  let jwk: JWK | undefined
  if (isKeyObject(material)) {
    jwk = material.export({ format: 'jwk' }) as JWK
  } else if (
    typeof material === 'object' &&
    material !== null &&
    typeof (material as JWK).kty === 'string'
  ) {
    jwk = material as JWK
  }
  if (jwk && jwk.kty !== 'oct') {
    const members = PUBLIC_MEMBERS[jwk.kty as string]
    if (!members || members.some((m) => typeof (jwk as Record<string, unknown>)[m] !== 'string')) {
      throw new TypeError(`tokengate: ${opt} is not a usable RSA, EC or OKP public JWK`)
    }
    const pub = Object.fromEntries([
      ['kty', jwk.kty],
      ...members.map((m) => [m, (jwk as Record<string, unknown>)[m]]),
    ]) as JWK
    const shape: KeyShape =
      jwk.kty === 'RSA'
        ? // Leading zero octets do not count (RFC 7518 §6.3.1.1); a corrupt `n` is 0 bits, so no fit.
          {
            kty: 'RSA',
            bits: bitLength(decodeJwkMember(jwk.n as string) ?? new Uint8Array()),
            pssOnly: false,
          }
        : { kty: jwk.kty === 'EC' ? 'EC' : 'OKP', crv: jwk.crv as string }
    return { shape, kid: jwk.kid, load: (alg) => importJWK(pub, alg) as Promise<CryptoKey> }
  }
  // A secret (bytes, string or oct JWK): the same description as a private secret.
  const secret = describePrivateKey(jwk ?? material, opt)
  return { shape: secret.shape, kid: secret.kid, load: (alg) => secret.load(alg) }
}
