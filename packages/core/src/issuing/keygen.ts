// Key generation for development and tests, and the public JWKS an issuer publishes (RFC 7517 §5).
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose'
import {
  jweContentEncryption,
  jweKeyManagement,
  jwsAlgorithm,
  type KeyPairAlgorithm,
  type SecretKeyAlgorithm,
} from '../keys/algorithms.js'

/** The algs whose key is one shared secret: HMAC (RFC 7518 §3.2), `dir` and AES key wrap (§4.4, §4.7). */
export type SecretKeyAlg = SecretKeyAlgorithm

/** The algs whose key is a private/public pair. */
export type KeyPairAlg = KeyPairAlgorithm

/** What {@link generateKeys} returns for an asymmetric alg. */
export interface GeneratedKeyPair {
  /** Tells a pair from a {@link GeneratedSecret}. */
  kind: 'pair'
  /** The alg the keys were made for (also in the JWKs). */
  alg: string
  /** The key id, also in the JWKs. */
  kid: string
  /** Signs (JWS) or decrypts (JWE). */
  privateKey: CryptoKey
  /** Verifies (JWS) or encrypts (JWE). */
  publicKey: CryptoKey
  /** Undefined when `extractable: false`. */
  privateJwk: JWK | undefined
  /** Public members only, with kid, alg and use: what {@link publicJwks} publishes. */
  publicJwk: JWK
}

/**
 * What {@link generateKeys} returns for HS*, `dir` and A*KW: one secret, named as such so that
 * nothing treats it as publishable (there is deliberately no `publicJwk` or `publicKey`).
 */
export interface GeneratedSecret {
  /** Tells a secret from a {@link GeneratedKeyPair}. */
  kind: 'secret'
  /** The alg the secret was made for (also in the JWK). */
  alg: string
  /** The key id, also in the JWK. */
  kid: string
  /** The random secret bytes: signs and verifies (HS*), or encrypts and decrypts (dir, A*KW). */
  secret: Uint8Array
  /** The secret as an oct JWK (`k`), with kid, alg and use; undefined when `extractable: false`. Never publish it. */
  secretJwk: JWK | undefined
}

/** What {@link generateKeys} returns: a key pair, or for a symmetric alg a secret. */
export type GeneratedKeys = GeneratedKeyPair | GeneratedSecret

/** Options of {@link generateKeys}. */
export interface GenerateKeysOptions {
  /** Default: the RFC 7638 thumbprint of the public key (a random id for a secret). */
  kid?: string
  /** Whether the private key can be exported (and `privateJwk` is set). Default true. */
  extractable?: boolean
  /** ECDH-ES curve: P-256 (default), P-384, P-521 or X25519. */
  crv?: string
  /** RSA modulus length, at least 2048 (default 2048). */
  modulusLength?: number
  /** For `dir`: the content encryption algorithm, which fixes the key size. Default A256GCM. */
  enc?: string
}

/**
 * Fresh keys for a JWS alg (HS*, RS*, PS*, ES*, EdDSA) or a JWE key management alg (dir, A*KW,
 * A*GCMKW, RSA-OAEP*, ECDH-ES*). For development and tests: production keys belong in a key store.
 *
 * @example
 * const signing = await generateKeys('ES256')
 * const encryption = await generateKeys('RSA-OAEP-256', { kid: 'enc-2025' })
 * app.get('/.well-known/jwks.json', (_req, res) => res.json(publicJwks([signing, encryption])))
 */
export async function generateKeys(
  alg: SecretKeyAlg,
  options?: GenerateKeysOptions,
): Promise<GeneratedSecret>
export async function generateKeys(
  alg: KeyPairAlg,
  options?: GenerateKeysOptions,
): Promise<GeneratedKeyPair>
export async function generateKeys(
  alg: string,
  options?: GenerateKeysOptions,
): Promise<GeneratedKeys>
export async function generateKeys(
  alg: string,
  options: GenerateKeysOptions = {},
): Promise<GeneratedKeys> {
  const bytes = secretBytes(alg, options.enc)
  if (bytes !== undefined) {
    const secret = crypto.getRandomValues(new Uint8Array(bytes))
    const kid = options.kid ?? crypto.randomUUID()
    const jwk: JWK = {
      kty: 'oct',
      k: base64url.encode(secret),
      kid,
      alg,
      use: jwsAlgorithm(alg) ? 'sig' : 'enc',
    }
    return {
      kind: 'secret',
      alg,
      kid,
      secret,
      secretJwk: options.extractable === false ? undefined : jwk,
    }
  }
  if (alg.toLowerCase() === 'none')
    throw new TypeError("tokengate: generateKeys('none'): there is no key for an unsigned token")
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: options.extractable !== false,
    ...(options.crv !== undefined && { crv: options.crv }),
    ...(options.modulusLength !== undefined && { modulusLength: options.modulusLength }),
  })
  const exported = await exportJWK(publicKey)
  const kid = options.kid ?? (await calculateJwkThumbprint(exported))
  const meta = { kid, alg, use: jweKeyManagement(alg) ? 'enc' : 'sig' }
  const privateJwk =
    options.extractable === false ? undefined : { ...(await exportJWK(privateKey)), ...meta }
  return {
    kind: 'pair',
    alg,
    kid,
    privateKey,
    publicKey,
    privateJwk,
    publicJwk: { ...exported, ...meta },
  }
}

function secretBytes(alg: string, enc = 'A256GCM'): number | undefined {
  if (alg === 'dir') {
    const bytes = jweContentEncryption(enc)?.cekBytes
    if (bytes === undefined)
      throw new TypeError(`tokengate: generateKeys('dir') options.enc '${enc}' is not supported`)
    return bytes
  }
  return jwsAlgorithm(alg)?.minBytes ?? jweKeyManagement(alg)?.keyBytes
}

/** Public members per key type (RFC 7518 §6.2.1, §6.3.1, RFC 8037 §2); everything else is dropped. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
}
const METADATA = ['kid', 'alg', 'use', 'x5c', 'x5t', 'x5t#S256']

/**
 * A JWK Set with only public members (never d, p, q, dp, dq, qi, oth or k), each with kid, alg and
 * use, for a `/.well-known/jwks.json` route. Takes JWKs (private ones are reduced) or the output of
 * {@link generateKeys}. Throws for a symmetric key (it has no public half), or a missing kid or alg.
 *
 * @example
 * publicJwks([await generateKeys('ES256')]) // { keys: [{ kty: 'EC', crv, x, y, kid, alg: 'ES256', use: 'sig' }] }
 */
export function publicJwks(
  keys: ReadonlyArray<JWK | Pick<GeneratedKeyPair, 'publicJwk'> | GeneratedSecret>,
): {
  keys: JWK[]
} {
  if (!Array.isArray(keys))
    throw new TypeError('tokengate: publicJwks takes a list of JWKs or generateKeys() results')
  const kids = new Set<string>()
  const out = keys.map((entry, i) => {
    const jwk = (
      typeof entry === 'object' && entry !== null && 'publicJwk' in entry ? entry.publicJwk : entry
    ) as JWK
    const where = `tokengate: publicJwks keys[${i}]`
    if (typeof entry === 'object' && entry !== null && (entry as GeneratedSecret).kind === 'secret')
      throw new TypeError(
        `${where} is a generated symmetric key (${(entry as GeneratedSecret).alg}): it has no public part and must never be published`,
      )
    if (typeof jwk !== 'object' || jwk === null) throw new TypeError(`${where} is not a JWK`)
    if (jwk.kty === 'oct')
      throw new TypeError(
        `${where} is a symmetric key (kty "oct"): it has no public part and must never be published`,
      )
    const members = PUBLIC_MEMBERS[jwk.kty as string]
    if (!members)
      throw new TypeError(`${where} has an unsupported kty; RSA, EC and OKP keys can be published`)
    if (typeof jwk.kid !== 'string' || jwk.kid === '')
      throw new TypeError(`${where} has no kid: verifiers choose keys by kid`)
    if (typeof jwk.alg !== 'string')
      throw new TypeError(`${where} has no alg: publish the algorithm it is for (RFC 8725 §3.1)`)
    if (kids.has(jwk.kid)) throw new TypeError(`${where} repeats kid "${jwk.kid}"`)
    kids.add(jwk.kid)
    const pub: Record<string, unknown> = { kty: jwk.kty }
    for (const m of members) {
      if (typeof (jwk as Record<string, unknown>)[m] !== 'string')
        throw new TypeError(`${where} is a ${jwk.kty} JWK without "${m}"`)
      pub[m] = (jwk as Record<string, unknown>)[m]
    }
    for (const m of METADATA)
      if ((jwk as Record<string, unknown>)[m] !== undefined)
        pub[m] = (jwk as Record<string, unknown>)[m]
    pub.use ??= jweKeyManagement(jwk.alg) ? 'enc' : 'sig'
    return pub as JWK
  })
  return { keys: out }
}
