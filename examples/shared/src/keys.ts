// The examples' keys: an ES256 signing pair and a P-256 encryption pair, given as private JWKs or generated.
import { generateKeys } from '@tokengate/core'
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose'

export interface KeyPair {
  privateKey: CryptoKey
  publicKey: CryptoKey
  /** The public half as a JWK, with `kid`, `alg` and `use`. */
  publicJwk: JWK
  kid: string
}

export interface ExampleKeys {
  signing: KeyPair
  encryption: KeyPair
  /** True when at least one pair was generated here (so it dies with the process). */
  generated: boolean
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'])

/**
 * Imports the given private JWKs, generating whichever is missing.
 *
 * @example
 * const keys = await loadKeys({ signingJwk: JSON.parse(process.env.TOKENGATE_SIGNING_JWK!) })
 */
export async function loadKeys(given: {
  signingJwk?: JWK
  encryptionJwk?: JWK
}): Promise<ExampleKeys> {
  const signing = await keyPair(given.signingJwk, 'ES256', 'sig', 'signingJwk')
  const encryption = await keyPair(given.encryptionJwk, 'ECDH-ES+A256KW', 'enc', 'encryptionJwk')
  return { signing, encryption, generated: !given.signingJwk || !given.encryptionJwk }
}

async function keyPair(
  jwk: JWK | undefined,
  alg: 'ES256' | 'ECDH-ES+A256KW',
  use: 'sig' | 'enc',
  option: string,
): Promise<KeyPair> {
  if (jwk === undefined) {
    // Never exported, so not exportable: the private half stays inside Web Crypto.
    const generated = await generateKeys(alg, { extractable: false })
    return {
      privateKey: generated.privateKey,
      publicKey: generated.publicKey,
      publicJwk: generated.publicJwk,
      kid: generated.kid,
    }
  }
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') {
    // Never echo the JWK: it is a private key.
    throw new TypeError(
      `${option} must be a private P-256 EC JWK (kty "EC", crv "P-256", with "d") for ${alg}.`,
    )
  }
  const publicJwk = Object.fromEntries(
    Object.entries(jwk).filter(([name]) => !PRIVATE_MEMBERS.has(name)),
  ) as JWK
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk))
  return {
    privateKey: (await importJWK({ ...jwk, alg }, alg)) as CryptoKey,
    publicKey: (await importJWK({ ...publicJwk, alg }, alg)) as CryptoKey,
    publicJwk: { ...publicJwk, kid, alg, use },
    kid,
  }
}

/**
 * Parses a private JWK given as JSON text (an env var, a secret, a file). Errors name `source`,
 * never the content: it is a private key.
 *
 * @example
 * const jwk = parsePrivateJwk(env.TOKENGATE_SIGNING_JWK, 'TOKENGATE_SIGNING_JWK')
 */
export function parsePrivateJwk(text: string, source: string): JWK {
  let jwk: unknown
  try {
    jwk = JSON.parse(text)
  } catch {
    throw new TypeError(`${source} must hold a private JWK as JSON.`)
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk) || !('d' in jwk)) {
    throw new TypeError(`${source} must hold a private JWK (a JSON object with "d").`)
  }
  return jwk as JWK
}
