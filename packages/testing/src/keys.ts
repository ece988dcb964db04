// Test keys for every JWS and JWE algorithm tokengate supports, generated at test time and memoised.
import { exportJWK, exportPKCS8, exportSPKI, generateKeyPair, type JWK } from 'jose'
import { randomBytes } from 'node:crypto'
import { b64url } from './base64url.js'

/** The HMAC JWS algorithms (RFC 7518 §3.2). */
export const HMAC_ALGS = ['HS256', 'HS384', 'HS512'] as const
/** The RSA JWS algorithms, PKCS #1 v1.5 and PSS (RFC 7518 §3.3, §3.5). */
export const RSA_SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const
/** The ECDSA JWS algorithms (RFC 7518 §3.4). */
export const EC_SIGNING_ALGS = ['ES256', 'ES384', 'ES512'] as const
/** Every JWS algorithm tokengate verifies (EdDSA is Ed25519, RFC 8037). */
export const SIGNING_ALGS = [
  ...HMAC_ALGS,
  ...RSA_SIGNING_ALGS,
  ...EC_SIGNING_ALGS,
  'EdDSA',
] as const

/** The JWE content encryption algorithms (RFC 7518 §5). */
export const CONTENT_ENCRYPTION_ALGS = [
  'A128GCM',
  'A192GCM',
  'A256GCM',
  'A128CBC-HS256',
  'A192CBC-HS384',
  'A256CBC-HS512',
] as const
/** AES key wrap (RFC 7518 §4.4). */
export const KEY_WRAP_ALGS = ['A128KW', 'A192KW', 'A256KW'] as const
/** AES-GCM key wrap (RFC 7518 §4.7). */
export const GCM_KEY_WRAP_ALGS = ['A128GCMKW', 'A192GCMKW', 'A256GCMKW'] as const
/** RSA-OAEP key transport (RFC 7518 §4.3); RSA1_5 is deliberately absent. */
export const RSA_KEY_MANAGEMENT_ALGS = [
  'RSA-OAEP',
  'RSA-OAEP-256',
  'RSA-OAEP-384',
  'RSA-OAEP-512',
] as const
/** ECDH-ES key agreement, direct or with key wrap (RFC 7518 §4.6). */
export const ECDH_ALGS = ['ECDH-ES', 'ECDH-ES+A128KW', 'ECDH-ES+A192KW', 'ECDH-ES+A256KW'] as const
/** Password-based key wrap (RFC 7518 §4.8); off in tokengate unless listed. */
export const PBES2_ALGS = [
  'PBES2-HS256+A128KW',
  'PBES2-HS384+A192KW',
  'PBES2-HS512+A256KW',
] as const
/** The JWE key management algorithms tokengate decrypts by default lists (PBES2 aside). */
export const KEY_MANAGEMENT_ALGS = [
  'dir',
  ...KEY_WRAP_ALGS,
  ...GCM_KEY_WRAP_ALGS,
  ...RSA_KEY_MANAGEMENT_ALGS,
  ...ECDH_ALGS,
] as const

/** Key material for one algorithm: both halves, as CryptoKey/bytes, JWK and (for pairs) PEM. */
export interface TestKeys {
  /** The algorithm the keys are for. */
  alg: string
  /** The key id, also in both JWKs. */
  kid: string
  /** `'secret'` for HMAC, AES key wrap and `dir`; `'pair'` otherwise. */
  kind: 'secret' | 'pair'
  /** Signs (JWS) or decrypts (JWE). For a secret: the secret bytes. */
  privateKey: CryptoKey | Uint8Array
  /** Verifies (JWS) or encrypts (JWE). For a secret: the same bytes. */
  publicKey: CryptoKey | Uint8Array
  /** Set for HMAC, AES key wrap and `dir`. */
  secret?: Uint8Array
  /** The private half as a JWK (with `kid`, `alg`, `use`); the secret as an `oct` JWK. */
  privateJwk: JWK
  /** The public half as a JWK; the same `oct` JWK for a secret. */
  publicJwk: JWK
  /** PKCS#8 PEM of the private key (pairs only). */
  privatePem?: string
  /** SPKI PEM of the public key (pairs only). */
  publicPem?: string
}

/** Options of {@link makeKeys}. */
export interface KeyOptions {
  /** The key id. Default: made from the algorithm and a counter. */
  kid?: string
  /** For `dir`: the content encryption algorithm, which fixes the key size. Default A256GCM. */
  enc?: string
  /** Curve for ECDH-ES (P-256 default; P-384, P-521, X25519) or EdDSA (Ed25519). */
  crv?: string
  /** RSA modulus length. Default 2048. */
  modulusLength?: number
}

const ENC_KEY_BYTES: Record<string, number> = {
  A128GCM: 16,
  A192GCM: 24,
  A256GCM: 32,
  'A128CBC-HS256': 32,
  'A192CBC-HS384': 48,
  'A256CBC-HS512': 64,
}

/** Size in bytes of a proper secret for a symmetric algorithm, or undefined for an asymmetric one. */
export function secretLength(alg: string, enc = 'A256GCM'): number | undefined {
  if (alg === 'dir') return ENC_KEY_BYTES[enc]
  const hs = /^HS(256|384|512)$/.exec(alg)
  if (hs) return Number(hs[1]) / 8
  const kw = /^A(128|192|256)(GCM)?KW$/.exec(alg)
  if (kw) return Number(kw[1]) / 8
  return undefined
}

/** Random bytes of the proper size for `alg` (HS*, A*KW, A*GCMKW, or `dir` with `enc`). */
export function randomSecret(alg: string, enc?: string): Uint8Array {
  const length = secretLength(alg, enc)
  if (length === undefined) throw new TypeError(`testkit: ${alg} does not use a secret`)
  return new Uint8Array(randomBytes(length))
}

let counter = 0
function nextKid(alg: string): string {
  counter += 1
  return `${alg.toLowerCase().replace(/[^a-z0-9]/g, '')}-${counter}`
}

/** Fresh keys for `alg` (any JWS alg, or any JWE key management alg). Extractable, so JWK/PEM exist. */
export async function makeKeys(alg: string, options: KeyOptions = {}): Promise<TestKeys> {
  const kid = options.kid ?? nextKid(alg)
  const length = secretLength(alg, options.enc)
  if (length !== undefined) {
    const secret = randomSecret(alg, options.enc)
    const jwk: JWK = { kty: 'oct', k: b64url(secret), kid, alg }
    return {
      alg,
      kid,
      kind: 'secret',
      privateKey: secret,
      publicKey: secret,
      secret,
      privateJwk: jwk,
      publicJwk: jwk,
    }
  }
  const pairOptions: { extractable: true; crv?: string; modulusLength?: number } = {
    extractable: true,
  }
  if (options.crv !== undefined) pairOptions.crv = options.crv
  if (options.modulusLength !== undefined) pairOptions.modulusLength = options.modulusLength
  const { privateKey, publicKey } = await generateKeyPair(alg, pairOptions)
  const use = alg.startsWith('RSA-OAEP') || alg.startsWith('ECDH-ES') ? 'enc' : 'sig'
  const [privateJwk, publicJwk, privatePem, publicPem] = await Promise.all([
    exportJWK(privateKey),
    exportJWK(publicKey),
    exportPKCS8(privateKey),
    exportSPKI(publicKey),
  ])
  return {
    alg,
    kid,
    kind: 'pair',
    privateKey,
    publicKey,
    privateJwk: { ...privateJwk, kid, alg, use },
    publicJwk: { ...publicJwk, kid, alg, use },
    privatePem,
    publicPem,
  }
}

const memo = new Map<string, Promise<TestKeys>>()

/**
 * Memoised {@link makeKeys}: the same `(alg, options, label)` gives the same keys for the whole test
 * file, so tables stay fast (RSA generation is slow). Use a different `label` for a second key.
 */
export function keysFor(
  alg: string,
  options: KeyOptions & { label?: string } = {},
): Promise<TestKeys> {
  const { label = 'default', ...rest } = options
  const id = JSON.stringify([
    alg,
    label,
    rest.enc ?? null,
    rest.crv ?? null,
    rest.modulusLength ?? null,
    rest.kid ?? null,
  ])
  let keys = memo.get(id)
  if (!keys) {
    keys = makeKeys(alg, rest)
    memo.set(id, keys)
  }
  return keys
}

/** A JWKS (public members only) for a verifier. */
export function jwksOf(...keys: TestKeys[]): { keys: JWK[] } {
  return { keys: keys.map((k) => k.publicJwk) }
}
