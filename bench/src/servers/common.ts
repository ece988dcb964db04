// What every bench server shares: its configuration from the environment, the key material, the
// thin jose middleware's verify function, tokengate's options, and how a server reports its port.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import { compactDecrypt, importJWK, jwtVerify, type CryptoKey, type JWTPayload } from 'jose'
import { AUDIENCE, ISSUER, type Alg, type Variant } from '../config.js'
import { publicJwk, readMaterial, secretBytes, sigAlgOf, type Material } from '../material.js'

export interface ServerConfig {
  variant: Variant
  alg: Alg
  material: Material
}

export function serverConfig(): ServerConfig {
  const dir = process.env.BENCH_DIR
  const variant = process.env.BENCH_VARIANT as Variant | undefined
  const alg = process.env.BENCH_ALG as Alg | undefined
  if (!dir || !variant || !alg)
    throw new Error('bench server: BENCH_DIR, BENCH_VARIANT and BENCH_ALG are required')
  return { variant, alg, material: readMaterial(dir) }
}

// A clean exit on SIGTERM, so that `--cpu-prof` (BENCH_PROFILE=1) gets to write its profile.
process.on('SIGTERM', () => process.exit(0))

/** The parent waits for this line before it starts the load. */
export function reportListening(server: Server | { address(): AddressInfo | string | null }): void {
  const address = server.address()
  if (address === null || typeof address === 'string')
    throw new Error('bench server: no TCP address')
  process.stdout.write(`LISTENING ${address.port}\n`)
}

export const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i

/**
 * The thin hand-written jose middleware: Bearer parsing, `jwtVerify` with issuer, audience and the
 * algorithm, and for the nested JWE `compactDecrypt` first. Keys imported once.
 */
export async function joseVerifier(
  material: Material,
  alg: Alg,
): Promise<(authorization: string | undefined) => Promise<JWTPayload>> {
  const sigAlg = sigAlgOf(alg)
  const key: CryptoKey | Uint8Array =
    sigAlg === 'HS256'
      ? secretBytes(material)
      : ((await importJWK(publicJwk(material, alg), sigAlg)) as CryptoKey)
  const options = { algorithms: [sigAlg], issuer: ISSUER, audience: AUDIENCE }
  const decoder = new TextDecoder()
  const encKey = alg === 'JWE' ? await importJWK(material.enc.private, 'RSA-OAEP-256') : undefined
  return async (authorization) => {
    const match = authorization === undefined ? null : BEARER.exec(authorization)
    if (!match) throw new Error('no bearer token')
    let token = match[1]!
    if (encKey) {
      const { plaintext } = await compactDecrypt(token, encKey, {
        keyManagementAlgorithms: ['RSA-OAEP-256'],
        contentEncryptionAlgorithms: ['A256GCM'],
      })
      token = decoder.decode(plaintext)
    }
    return (await jwtVerify(token, key, options)).payload
  }
}

/** tokengate's options for one algorithm, the same checks as every other variant. */
export function tokengateOptions(material: Material, alg: Alg, cache: boolean) {
  const sigAlg = sigAlgOf(alg)
  return {
    algorithms: [sigAlg] as const,
    key: sigAlg === 'HS256' ? secretBytes(material) : publicJwk(material, alg),
    issuer: ISSUER,
    audience: AUDIENCE,
    ...(cache ? {} : { cache: false as const }),
    ...(alg === 'JWE' && {
      decrypt: {
        keys: material.enc.private,
        keyManagementAlgorithms: ['RSA-OAEP-256'] as const,
        contentEncryptionAlgorithms: ['A256GCM'] as const,
        required: true,
      },
    }),
  }
}

/** The Web Crypto key hono/jwt is fastest with (a string or JWK is imported on every request). */
export async function webCryptoPublicKey(material: Material, alg: Alg): Promise<CryptoKey> {
  const sigAlg = sigAlgOf(alg)
  if (sigAlg === 'HS256')
    return crypto.subtle.importKey(
      'raw',
      secretBytes(material) as BufferSource,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    )
  const params =
    sigAlg === 'RS256'
      ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : sigAlg === 'ES256'
        ? { name: 'ECDSA', namedCurve: 'P-256' }
        : { name: 'Ed25519' }
  return crypto.subtle.importKey('jwk', publicJwk(material, alg) as JsonWebKey, params, false, [
    'verify',
  ])
}

/**
 * fast-jwt (the fastest verifier library on npm) behind a thin hand-written middleware: Bearer
 * parsing and its synchronous verifier with the algorithm, `iss` and `aud`; the key as a KeyObject
 * made once (a PEM or secret string would be parsed again per token). Its own result cache stays
 * off, as for every other variant but tokengate's cache-on row.
 */
export async function fastJwtVerifier(
  material: Material,
  alg: Alg,
): Promise<(authorization: string | undefined) => Record<string, unknown>> {
  const { createVerifier } = await import('fast-jwt')
  const { publicKeyObject } = await import('../material.js')
  const sigAlg = sigAlgOf(alg)
  const key =
    sigAlg === 'HS256'
      ? // fast-jwt 6 takes a string or a Buffer, not a KeyObject ("The public key must be a string
        // or a buffer"); a Buffer made once is its fastest form (no per-token string conversion).
        Buffer.from(material.hs256)
      : publicKeyObject(material, alg).export({ type: 'spki', format: 'pem' }).toString()
  const verify = createVerifier({
    key: key as never,
    algorithms: [sigAlg as never],
    allowedIss: ISSUER,
    allowedAud: AUDIENCE,
  }) as (token: string) => Record<string, unknown>
  return (authorization) => {
    const match = authorization === undefined ? null : BEARER.exec(authorization)
    if (!match) throw new Error('no bearer token')
    return verify(match[1]!)
  }
}
