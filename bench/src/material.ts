// Keys and tokens generated at bench time: written once to a temp dir, read by servers and load generators.
import {
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { CompactEncrypt, importJWK, type JWK } from 'jose'
import { AUDIENCE, ISSUER, type Alg } from './config.js'

export type SigAlg = Exclude<Alg, 'JWE'>

export interface Material {
  /** The HS256 secret: 43 random base64url characters, used as a string by the peers, as its UTF-8 bytes by tokengate. */
  hs256: string
  rs256: { private: JWK; public: JWK }
  es256: { private: JWK; public: JWK }
  eddsa: { private: JWK; public: JWK }
  /** RSA-OAEP-256 decryption key of the nested JWE. */
  enc: { private: JWK; public: JWK }
}

const b64u = (data: Buffer | string): string => Buffer.from(data).toString('base64url')

function pair(kind: 'rsa' | 'ec' | 'ed25519', kid: string): { private: JWK; public: JWK } {
  const { privateKey, publicKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519')
  return {
    private: { ...(privateKey.export({ format: 'jwk' }) as JWK), kid },
    public: { ...(publicKey.export({ format: 'jwk' }) as JWK), kid },
  }
}

export function generateMaterial(): Material {
  return {
    hs256: b64u(randomBytes(32)),
    rs256: pair('rsa', 'rs-1'),
    es256: pair('ec', 'es-1'),
    eddsa: pair('ed25519', 'ed-1'),
    enc: pair('rsa', 'enc-1'),
  }
}

export const sigAlgOf = (alg: Alg): SigAlg => (alg === 'JWE' ? 'ES256' : alg)

/** The signature verification key in the form each library likes best. */
export function publicKeyObject(material: Material, alg: Alg): KeyObject {
  const a = sigAlgOf(alg)
  if (a === 'HS256') throw new Error('HS256 has no public key')
  const jwk =
    a === 'RS256'
      ? material.rs256.public
      : a === 'ES256'
        ? material.es256.public
        : material.eddsa.public
  return createPublicKey({ key: jwk as never, format: 'jwk' })
}

export function publicJwk(material: Material, alg: Alg): JWK {
  const a = sigAlgOf(alg)
  if (a === 'HS256') throw new Error('HS256 has no public key')
  return a === 'RS256'
    ? material.rs256.public
    : a === 'ES256'
      ? material.es256.public
      : material.eddsa.public
}

export const secretBytes = (material: Material): Uint8Array =>
  new TextEncoder().encode(material.hs256)

function privateKeyObject(material: Material, alg: SigAlg): KeyObject {
  const jwk =
    alg === 'RS256'
      ? material.rs256.private
      : alg === 'ES256'
        ? material.es256.private
        : material.eddsa.private
  return createPrivateKey({ key: jwk as never, format: 'jwk' })
}

const KIDS: Record<SigAlg, string | undefined> = {
  HS256: undefined,
  RS256: 'rs-1',
  ES256: 'es-1',
  EdDSA: 'ed-1',
}

/** A signer that builds compact JWS tokens with node:crypto (fast enough for a 20k pool of RS256). */
export function jwsSigner(material: Material, alg: SigAlg): (claims: object) => string {
  const kid = KIDS[alg]
  const header = b64u(JSON.stringify({ alg, typ: 'JWT', ...(kid && { kid }) }))
  const secret = Buffer.from(material.hs256, 'utf8')
  const key = alg === 'HS256' ? undefined : privateKeyObject(material, alg)
  return (claims) => {
    const input = `${header}.${b64u(JSON.stringify(claims))}`
    let sig: Buffer
    if (alg === 'HS256') sig = createHmac('sha256', secret).update(input).digest()
    else if (alg === 'RS256') sig = sign('sha256', Buffer.from(input), key!)
    else if (alg === 'ES256')
      sig = sign('sha256', Buffer.from(input), { key: key!, dsaEncoding: 'ieee-p1363' })
    else sig = sign(null, Buffer.from(input), key!)
    return `${input}.${b64u(sig)}`
  }
}

/** Claims every variant accepts: issuer, audience, an hour of life, a subject and scopes. */
export function claims(i: number, now = Math.floor(Date.now() / 1000)): object {
  return {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: `user-${i}`,
    iat: now,
    exp: now + 3600,
    scope: 'read:items write:items',
    jti: b64u(randomBytes(9)),
  }
}

/** `n` distinct tokens of one kind; index `n` is kept apart as the repeated token. */
export async function makeTokens(material: Material, alg: Alg, n: number): Promise<string[]> {
  const signer = jwsSigner(material, sigAlgOf(alg))
  const now = Math.floor(Date.now() / 1000)
  const out: string[] = new Array(n)
  if (alg !== 'JWE') {
    for (let i = 0; i < n; i++) out[i] = signer(claims(i, now))
    return out
  }
  const encKey = await importJWK(material.enc.public, 'RSA-OAEP-256')
  const enc = new TextEncoder()
  for (let i = 0; i < n; i++) {
    out[i] = await new CompactEncrypt(enc.encode(signer(claims(i, now))))
      .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: 'enc-1' })
      .encrypt(encKey)
  }
  return out
}

export const materialPath = (dir: string): string => join(dir, 'material.json')
export const tokensPath = (dir: string, alg: Alg): string => join(dir, `tokens-${alg}.json`)

export function writeMaterial(dir: string, material: Material): void {
  mkdirSync(dir, { recursive: true })
  writeFileSync(materialPath(dir), JSON.stringify(material))
}

export function readMaterial(dir: string): Material {
  return JSON.parse(readFileSync(materialPath(dir), 'utf8')) as Material
}

export function readTokens(dir: string, alg: Alg): string[] {
  return JSON.parse(readFileSync(tokensPath(dir, alg), 'utf8')) as string[]
}
