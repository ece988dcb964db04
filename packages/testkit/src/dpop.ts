// DPoP proof builders (RFC 9449 §4.2): well-formed proofs, and every field broken on request.
import { createHash, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, type JWK } from 'jose'
import { signJws, type SigningKey, type TestKeys } from '@tokengate/testing'

/** Public members per key type (RFC 7638 §3.2): what a client puts in the proof's `jwk`. */
const REQUIRED: Record<string, readonly string[]> = {
  EC: ['kty', 'crv', 'x', 'y'],
  OKP: ['kty', 'crv', 'x'],
  RSA: ['kty', 'n', 'e'],
}

/** The bare public JWK of a key pair, as a DPoP client sends it. */
export function proofJwk(keys: TestKeys): JWK {
  const jwk = keys.publicJwk as Record<string, unknown>
  const members = REQUIRED[jwk.kty as string] ?? []
  return Object.fromEntries(members.map((m) => [m, jwk[m]])) as JWK
}

/** RFC 7638 SHA-256 thumbprint of a key pair's public key: the `cnf.jkt` of a token bound to it. */
export function jktOf(keys: TestKeys): Promise<string> {
  return calculateJwkThumbprint(proofJwk(keys), 'sha256')
}

/** RFC 9449 §4.2 `ath`: base64url(SHA-256(ASCII(access token))). */
export function athOf(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url')
}

export interface DpopProofOptions {
  /** The client's key pair: signs the proof, and its public half goes in `jwk`. */
  key: TestKeys
  htm: string
  htu: string
  /** The access token the proof accompanies: sets `ath`. */
  accessToken?: string
  /** Default: now (seconds). */
  iat?: number
  /** Default: a random UUID. */
  jti?: string
  /** Header members to set (`undefined` removes one: `{ typ: undefined }`). Default typ dpop+jwt, alg of the key, jwk. */
  header?: Record<string, unknown>
  /** Claims to set (`undefined` removes one: `{ ath: undefined }`). */
  claims?: Record<string, unknown>
  /** Sign with another algorithm or key than the header says (forgeries). */
  signAlg?: string
  signKey?: SigningKey
}

/**
 * A DPoP proof JWT, signed with node:crypto so that any header or claim can be wrong on purpose.
 *
 * @example
 * const proof = dpopProof({ key, htm: 'GET', htu: 'https://api.example.com/me', accessToken })
 */
export function dpopProof(options: DpopProofOptions): string {
  const header = withoutUndefined({
    typ: 'dpop+jwt',
    alg: options.key.alg,
    jwk: proofJwk(options.key),
    ...options.header,
  })
  const claims = withoutUndefined({
    jti: options.jti ?? randomUUID(),
    htm: options.htm,
    htu: options.htu,
    iat: options.iat ?? Math.floor(Date.now() / 1000),
    ...(options.accessToken !== undefined && { ath: athOf(options.accessToken) }),
    ...options.claims,
  })
  return signJws(
    options.signAlg ?? options.key.alg,
    options.signKey ?? (options.key.privateKey as CryptoKey),
    header,
    claims,
  )
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined))
}
