// Tokens built by node-jose, a second JOSE implementation, for interoperability tests.
// The reference makes the typings visible to every project that compiles this file (core, adapters).
// eslint-disable-next-line @typescript-eslint/triple-slash-reference
/// <reference path="./node-jose.d.ts" />
import nodeJose from 'node-jose'
import type { JWK, JWTPayload } from 'jose'
import { nowSeconds } from '@tokengate/testing'

export interface ForeignSignOptions {
  alg: string
  /** Private JWK (a TestKeys' `privateJwk`). */
  jwk: JWK
  kid?: string | null
  typ?: string
  header?: Record<string, unknown>
  /** Adds `iat` now and `exp` now + 1 h unless present in the claims. Default true. */
  defaults?: boolean
}

/**
 * A compact JWS signed by node-jose.
 *
 * @example
 * const token = await foreignSign({ sub: 'bob' }, { alg: 'RS256', jwk: keys.privateJwk })
 */
export async function foreignSign(
  claims: JWTPayload,
  options: ForeignSignOptions,
): Promise<string> {
  const now = nowSeconds()
  const payload = options.defaults === false ? claims : { iat: now, exp: now + 3600, ...claims }
  const key = await nodeJose.JWK.asKey({ ...options.jwk, alg: options.alg })
  const fields: Record<string, unknown> = { alg: options.alg, ...options.header }
  if (options.typ !== undefined) fields.typ = options.typ
  const kid = options.kid === null ? undefined : (options.kid ?? options.jwk.kid)
  if (kid !== undefined) fields.kid = kid
  // node-jose always adds the key's kid; `reference: false` stops it so `kid: null` means none.
  return nodeJose.JWS.createSign(
    { format: 'compact', fields },
    { key, reference: kid === undefined ? false : 'kid', header: {} },
  )
    .update(JSON.stringify(payload), 'utf8')
    .final()
}

export interface ForeignEncryptOptions {
  /** Key management algorithm. */
  alg: string
  /** Content encryption algorithm. Default A256GCM. */
  enc?: string
  /** The recipient's public JWK, or the oct JWK for dir / A*KW. */
  jwk: JWK
  kid?: string | null
  /** `cty`: e.g. `'JWT'`, `'at+jwt'` (oidc-provider), or undefined for none. */
  cty?: string
  header?: Record<string, unknown>
}

/**
 * A compact JWE encrypted by node-jose (nested when `plaintext` is a JWS).
 *
 * @example
 * const jwe = await foreignEncrypt(jws, { alg: 'RSA-OAEP-256', jwk: enc.publicJwk, cty: 'at+jwt' })
 */
export async function foreignEncrypt(
  plaintext: string | Record<string, unknown>,
  options: ForeignEncryptOptions,
): Promise<string> {
  const enc = options.enc ?? 'A256GCM'
  // node-jose encrypts the content with a `dir` key only when the key's own alg is the enc.
  const key = await nodeJose.JWK.asKey({
    ...options.jwk,
    alg: options.alg === 'dir' ? enc : options.alg,
  })
  const fields: Record<string, unknown> = { alg: options.alg, ...options.header }
  if (options.cty !== undefined) fields.cty = options.cty
  const kid = options.kid === null ? undefined : (options.kid ?? options.jwk.kid)
  if (kid !== undefined) fields.kid = kid
  const text = typeof plaintext === 'string' ? plaintext : JSON.stringify(plaintext)
  return nodeJose.JWE.createEncrypt(
    { format: 'compact', contentAlg: enc, fields, protect: '*' },
    { key, header: { alg: options.alg }, reference: kid === undefined ? false : 'kid' },
  )
    .update(text, 'utf8')
    .final()
}
