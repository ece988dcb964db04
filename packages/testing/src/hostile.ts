// Hostile token builders: raw JOSE assembly for the attacks that jose itself refuses to produce.
//
// Everything here is for tests only. Signatures and encryption are done with node:crypto so that a
// header can say anything (alg "nOnE", a smuggled jwk, a huge p2c, an off-curve epk) and still be
// signed or encrypted exactly as an attacker would do it.
import {
  constants,
  createCipheriv,
  createHmac,
  generateKeyPairSync,
  KeyObject,
  publicEncrypt,
  randomBytes,
  sign as nodeSign,
} from 'node:crypto'
import { b64url, b64urlBytes, fromB64url } from './base64url.js'

const encoder = new TextEncoder()

function bytes(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? encoder.encode(input) : input
}

/** A token part given verbatim (a raw JSON text, or raw bytes), not through JSON.stringify. */
export class Raw {
  constructor(readonly value: string | Uint8Array) {}
}

/** Marks a header or payload as verbatim text or bytes: `raw('{"a":1,"a":2}')`. */
export function raw(value: string | Uint8Array): Raw {
  return new Raw(value)
}

/** A header or payload: any JSON value (stringified) or {@link Raw} text or bytes. */
export type Part = Raw | unknown

/** The base64url segment of a part. */
export function encodePart(part: Part): string {
  return b64url(part instanceof Raw ? part.value : JSON.stringify(part))
}

/** Keys an attacker signs with: a KeyObject or CryptoKey (RSA, EC, Ed25519) or an HMAC secret. */
export type SigningKey = KeyObject | CryptoKey | Uint8Array | string

function keyObject(key: KeyObject | CryptoKey): KeyObject {
  return key instanceof KeyObject ? key : KeyObject.from(key)
}

const HASH: Record<string, string> = { '256': 'sha256', '384': 'sha384', '512': 'sha512' }

/**
 * Signs `input` the way the JWS `alg` says (RFC 7518 §3), whatever the header claims.
 * For HS* the key may be any bytes: a public key's PEM text, for the algorithm-confusion attack.
 */
export function signatureFor(alg: string, key: SigningKey, input: string | Uint8Array): Uint8Array {
  const data = bytes(input)
  const bits = alg.slice(-3)
  const hash = HASH[bits]
  if (alg.startsWith('HS') && hash) {
    const secret =
      typeof key === 'string' || key instanceof Uint8Array ? bytes(key) : keyObject(key)
    return new Uint8Array(createHmac(hash, secret).update(data).digest())
  }
  if (typeof key === 'string' || key instanceof Uint8Array) {
    throw new TypeError(`hostile: ${alg} needs a KeyObject`)
  }
  key = keyObject(key)
  if (alg.startsWith('RS') && hash) return new Uint8Array(nodeSign(hash, data, key))
  if (alg.startsWith('PS') && hash) {
    return new Uint8Array(
      nodeSign(hash, data, {
        key,
        padding: constants.RSA_PKCS1_PSS_PADDING,
        saltLength: Number(bits) / 8,
      }),
    )
  }
  if (alg.startsWith('ES') && hash) {
    return new Uint8Array(nodeSign(hash, data, { key, dsaEncoding: 'ieee-p1363' }))
  }
  if (alg === 'EdDSA' || alg === 'Ed25519') return new Uint8Array(nodeSign(null, data, key))
  throw new TypeError(`hostile: cannot sign with ${alg}`)
}

/**
 * A compact JWS with full control over the header: `signJws('HS256', secret, header, payload)`.
 * `signAlg` chooses the real signing algorithm; the header's `alg` is whatever the caller wrote.
 */
export function signJws(signAlg: string, key: SigningKey, header: Part, payload: Part): string {
  const input = `${encodePart(header)}.${encodePart(payload)}`
  return `${input}.${b64url(signatureFor(signAlg, key, input))}`
}

/** `alg: none` in any spelling (RFC 7518 §3.6; RFC 8725 §3.1): header.payload. with no signature. */
export function unsecuredJws(
  payload: Part,
  alg = 'none',
  extraHeader: Record<string, unknown> = {},
): string {
  return `${encodePart({ alg, ...extraHeader })}.${encodePart(payload)}.`
}

/**
 * Algorithm confusion (CVE-2015-9235, CVE-2022-23541, CVE-2023-48223): an HMAC token whose secret
 * is the verifier's public key as text (PEM) or as its JWK JSON.
 */
export function hmacWithPublicKey(
  verifierKey: KeyObject | CryptoKey,
  form: 'pem' | 'jwk' | 'der',
  payload: Part,
  alg = 'HS256',
  extraHeader: Record<string, unknown> = {},
): string {
  const publicKey = keyObject(verifierKey)
  const secret: string | Uint8Array =
    form === 'pem'
      ? (publicKey.export({ type: 'spki', format: 'pem' }) as string)
      : form === 'der'
        ? new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }))
        : JSON.stringify(publicKey.export({ format: 'jwk' }))
  return signJws(alg, secret, { alg, typ: 'JWT', ...extraHeader }, payload)
}

/** Replaces segment `index` of a compact token. */
export function withSegment(token: string, index: number, segment: string): string {
  const parts = token.split('.')
  parts[index] = segment
  return parts.join('.')
}

/** Flips one bit in the middle byte of segment `index` (still valid base64url, wrong content). */
export function flipBit(token: string, index: number): string {
  const parts = token.split('.')
  const decoded = b64urlBytes(parts[index] ?? '')
  if (decoded.length === 0) throw new TypeError('hostile: cannot flip a bit in an empty segment')
  const copy = new Uint8Array(decoded)
  const at = Math.floor(copy.length / 2)
  copy[at] = (copy[at] ?? 0) ^ 0x01
  parts[index] = b64url(copy)
  return parts.join('.')
}

/** Re-encodes the protected header with extra members, keeping the rest (signature now wrong). */
export function withHeader(token: string, extra: Record<string, unknown>): string {
  const parts = token.split('.')
  const header = JSON.parse(fromB64url(parts[0] ?? '')) as object
  parts[0] = encodePart({ ...header, ...extra })
  return parts.join('.')
}

/** A JSON object whose one member is nested `depth` arrays deep (stack-exhaustion probe). */
export function deeplyNestedJson(depth: number, extra = ''): string {
  return `{"n":${'['.repeat(depth)}${']'.repeat(depth)}${extra}}`
}

/** JSON text with bytes that are not UTF-8 (RFC 8259 §8.1 requires UTF-8). */
export function invalidUtf8Json(members: Record<string, unknown>): Uint8Array {
  const head = encoder.encode('{"x":"')
  const bad = new Uint8Array([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80])
  const tail = encoder.encode(
    `"${Object.keys(members).length > 0 ? ',' : ''}${JSON.stringify(members).slice(1)}`,
  )
  const out = new Uint8Array(head.length + bad.length + tail.length)
  out.set(head, 0)
  out.set(bad, head.length)
  out.set(tail, head.length + bad.length)
  return out
}

// ---------------------------------------------------------------------------------------------
// Keys and certificates an attacker brings along (RFC 7515 §4.1.2-4.1.6: jku, jwk, x5u, x5c).

/** An attacker's own key pair and certificate, for tokens that bring their own key. */
export interface AttackerKeys {
  /** Signs the forged tokens. */
  privateKey: KeyObject
  /** Its public half. */
  publicKey: KeyObject
  /** The public key as a JWK (for a smuggled `jwk` header). */
  publicJwk: Record<string, unknown>
  /** A self-signed X.509 certificate for the key, DER (for a smuggled `x5c` header). */
  certificate: Uint8Array
}

/** An EC P-256 key pair with a self-signed certificate, made fresh for each test run. */
export function attackerKeys(): AttackerKeys {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    privateKey,
    publicKey,
    publicJwk: publicKey.export({ format: 'jwk' }) as Record<string, unknown>,
    certificate: selfSignedCertificate(privateKey, publicKey, 'tokengate attacker'),
  }
}

// Minimal DER (ITU-T X.690) for one self-signed ECDSA certificate (RFC 5280 §4.1).
function der(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = Buffer.concat(content)
  const n = body.length
  const length =
    n < 0x80
      ? [n]
      : n < 0x100
        ? [0x81, n]
        : n < 0x10000
          ? [0x82, n >> 8, n & 0xff]
          : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]
  return new Uint8Array(Buffer.concat([Buffer.from([tag, ...length]), body]))
}
const seq = (...c: Uint8Array[]) => der(0x30, ...c)
const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'))

function utcTime(date: Date): Uint8Array {
  const s = date.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z'
  return der(0x17, bytes(s))
}

function selfSignedCertificate(
  privateKey: KeyObject,
  publicKey: KeyObject,
  cn: string,
): Uint8Array {
  const ecdsaWithSha256 = seq(hex('06082a8648ce3d040302'))
  const name = seq(der(0x31, seq(hex('0603550403'), der(0x0c, bytes(cn)))))
  const now = Date.now()
  const tbs = seq(
    der(0xa0, hex('020102')),
    der(0x02, hex('01')),
    ecdsaWithSha256,
    name,
    seq(utcTime(new Date(now - 86_400_000)), utcTime(new Date(now + 86_400_000 * 365))),
    name,
    new Uint8Array(publicKey.export({ type: 'spki', format: 'der' })),
  )
  const signature = nodeSign('sha256', tbs, privateKey)
  return seq(tbs, ecdsaWithSha256, der(0x03, new Uint8Array([0]), signature))
}

/** Standard base64 (not url) of a certificate, as `x5c` wants (RFC 7515 §4.1.6). */
export function x5cValue(certificate: Uint8Array): string {
  return Buffer.from(certificate).toString('base64')
}

// ---------------------------------------------------------------------------------------------
// JWE (RFC 7516) parts that jose will not produce: RSA1_5, huge PBES2 counts, off-curve ECDH keys.

/** A compact JWE with a chosen protected header and random (well-sized) remaining parts. */
export function forgedJwe(
  header: Record<string, unknown>,
  sizes = { key: 24, iv: 12, ciphertext: 48, tag: 16 },
): string {
  return [
    encodePart(header),
    sizes.key > 0 ? b64url(randomBytes(sizes.key)) : '',
    b64url(randomBytes(sizes.iv)),
    b64url(randomBytes(sizes.ciphertext)),
    b64url(randomBytes(sizes.tag)),
  ].join('.')
}

function gcm(cek: Uint8Array, protectedB64: string, plaintext: Uint8Array) {
  const iv = randomBytes(12)
  const bitsName = `aes-${cek.length * 8}-gcm` as 'aes-128-gcm'
  const cipher = createCipheriv(bitsName, cek, iv)
  cipher.setAAD(Buffer.from(protectedB64, 'ascii'))
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return { iv, ciphertext, tag: cipher.getAuthTag() }
}

/**
 * A genuine RSA1_5 JWE (RFC 7518 §4.2), the padding-oracle-prone algorithm (RFC 8725 §3.2,
 * Bleichenbacher): encrypted to `publicKey`, so only an algorithm check can stop it.
 */
export function rsa15Jwe(
  publicKey: KeyObject | CryptoKey,
  plaintext: string | Uint8Array,
  extraHeader: Record<string, unknown> = {},
): string {
  const header = encodePart({ alg: 'RSA1_5', enc: 'A128GCM', ...extraHeader })
  const cek = randomBytes(16)
  const encryptedKey = publicEncrypt(
    { key: keyObject(publicKey), padding: constants.RSA_PKCS1_PADDING },
    cek,
  )
  const { iv, ciphertext, tag } = gcm(cek, header, bytes(plaintext))
  return [header, b64url(encryptedKey), b64url(iv), b64url(ciphertext), b64url(tag)].join('.')
}

/** A genuine `dir` + A*GCM JWE with any protected header (e.g. an unknown `crit`). */
export function dirJwe(
  cek: Uint8Array,
  plaintext: string | Uint8Array,
  header: Record<string, unknown> = {},
): string {
  const enc = `A${cek.length * 8}GCM`
  const protectedB64 = encodePart({ alg: 'dir', enc, ...header })
  const { iv, ciphertext, tag } = gcm(cek, protectedB64, bytes(plaintext))
  return [protectedB64, '', b64url(iv), b64url(ciphertext), b64url(tag)].join('.')
}

/** PBES2 with an attacker-chosen iteration count (RFC 7518 §4.8; CVE-2022-36083 class DoS). */
export function pbes2Jwe(p2c: number, alg = 'PBES2-HS256+A128KW', enc = 'A128GCM'): string {
  return forgedJwe({ alg, enc, p2c, p2s: b64url(randomBytes(16)) })
}

/**
 * ECDH-ES with an ephemeral key that is not on the curve (invalid-curve attack, RFC 8725 §3.4,
 * the 2017 JWE invalid-curve attack): (1, 1) is not a P-256 point.
 */
export function offCurveEcdhJwe(alg = 'ECDH-ES', enc = 'A128GCM'): string {
  const one = new Uint8Array(32)
  one[31] = 1
  const epk = { kty: 'EC', crv: 'P-256', x: b64url(one), y: b64url(one) }
  return forgedJwe(
    { alg, enc, epk },
    { key: alg === 'ECDH-ES' ? 0 : 24, iv: 12, ciphertext: 48, tag: 16 },
  )
}
