// Token builders: well-formed JWS/JWE via jose, and raw/hostile shapes built by hand.
import { CompactEncrypt, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose'
import { createHmac } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { b64url, fromB64url } from './base64url.js'
import type { TestKeys } from './keys.js'

type KeyLike = CryptoKey | Uint8Array | KeyObject | JWK | TestKeys

const encoder = new TextEncoder()

/** Seconds since the epoch. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000)
}

function isTestKeys(key: KeyLike): key is TestKeys {
  return typeof key === 'object' && key !== null && 'kind' in key && 'privateJwk' in key
}

function isJwk(key: KeyLike): key is JWK {
  return (
    typeof key === 'object' &&
    !(key instanceof Uint8Array) &&
    !(typeof CryptoKey !== 'undefined' && key instanceof CryptoKey) &&
    'kty' in key
  )
}

async function material(key: KeyLike, half: 'private' | 'public', alg: string) {
  if (isTestKeys(key)) return half === 'private' ? key.privateKey : key.publicKey
  if (isJwk(key)) return importJWK(key, alg)
  return key
}

/** Options of {@link signToken}. */
export interface SignOptions {
  /** The JWS algorithm. */
  alg: string
  /** Signing key; a {@link TestKeys} also supplies the `kid`. */
  key: KeyLike
  /** `kid` header; `null` omits it even when the key has one. */
  kid?: string | null
  /** `typ` header. Default: none. */
  typ?: string
  /** Extra or overriding protected header members. */
  header?: Record<string, unknown>
  /** Clock for the defaults. Default: now. */
  now?: number
  /** `iat` default: now; `false` omits it. A value in `claims` wins. */
  iat?: number | false
  /** `exp` default: now + 3600; `false` omits it. A value in `claims` wins. */
  exp?: number | false
}

/**
 * A compact JWS built with jose's SignJWT. Defaults: `iat` now, `exp` now + 1 h, `kid` from TestKeys.
 *
 * @example
 * const keys = await keysFor('ES256')
 * const token = await signToken({ sub: 'alice' }, { alg: 'ES256', key: keys })
 */
export async function signToken(claims: JWTPayload, options: SignOptions): Promise<string> {
  const now = options.now ?? nowSeconds()
  const payload: JWTPayload = {}
  if (options.iat !== false) payload.iat = options.iat ?? now
  if (options.exp !== false) payload.exp = options.exp ?? now + 3600
  Object.assign(payload, claims)
  const kid =
    options.kid === null
      ? undefined
      : (options.kid ?? (isTestKeys(options.key) ? options.key.kid : undefined))
  const header: Record<string, unknown> = { alg: options.alg }
  if (kid !== undefined) header.kid = kid
  if (options.typ !== undefined) header.typ = options.typ
  Object.assign(header, options.header)
  const key = await material(options.key, 'private', options.alg)
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key)
}

/**
 * A compact token from raw parts, no cryptography: `header.payload.signature`. For hostile shapes
 * (alg none, arbitrary headers, non-JSON payloads). A string header is used verbatim (duplicate keys...).
 */
export function rawToken(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string | Uint8Array,
  signature: string | Uint8Array = '',
): string {
  const sig = typeof signature === 'string' ? signature : b64url(signature)
  return `${b64url(header)}.${b64url(payload)}.${sig}`
}

/**
 * An HS256/384/512 JWS computed by hand, with any header and payload and any secret bytes: the
 * classic key-confusion forgery signs with the verifier's public key PEM as the HMAC secret.
 */
export function hmacSign(
  header: Record<string, unknown> | string,
  payload: Record<string, unknown> | string | Uint8Array,
  secret: Uint8Array | string,
): string {
  const alg =
    typeof header === 'string' ? (JSON.parse(header) as { alg?: unknown }).alg : header.alg
  const bits = typeof alg === 'string' ? (/^HS(256|384|512)$/.exec(alg)?.[1] ?? '256') : '256'
  const input = `${b64url(header)}.${b64url(payload)}`
  const mac = createHmac(`sha${bits}`, secret).update(input).digest()
  return `${input}.${b64url(new Uint8Array(mac))}`
}

/** Options of {@link encryptToken}. */
export interface EncryptOptions {
  /** Key management algorithm (`dir`, `A256KW`, `RSA-OAEP-256`, `ECDH-ES`, ...). */
  alg: string
  /** Content encryption algorithm. Default A256GCM. */
  enc?: string
  /** Encryption key (the recipient's public key, or the secret); a TestKeys also supplies `kid`. */
  key: KeyLike
  /** `kid` header; `null` omits it. */
  kid?: string | null
  /** `cty` header (`'JWT'` for a nested token, RFC 7519 §5.2); omitted by default. */
  cty?: string
  /** `zip` header: jose then DEFLATEs the plaintext (tokengate must refuse it). */
  zip?: string
  /** Extra or overriding protected header members (`crit`, `typ`, anything). */
  header?: Record<string, unknown>
  /** PBES2 iteration count. */
  p2c?: number
}

/**
 * A compact JWE built with jose's CompactEncrypt, with any alg/enc/kid/cty/zip header.
 * An object plaintext is JSON-encoded (an encrypted-only token); a string is taken as is (a nested JWS).
 *
 * @example
 * const enc = await keysFor('RSA-OAEP-256')
 * const jwe = await encryptToken(await signToken(claims, sig), { alg: 'RSA-OAEP-256', key: enc, cty: 'JWT' })
 */
export async function encryptToken(
  plaintext: string | Uint8Array | Record<string, unknown>,
  options: EncryptOptions,
): Promise<string> {
  const bytes =
    typeof plaintext === 'string'
      ? encoder.encode(plaintext)
      : plaintext instanceof Uint8Array
        ? plaintext
        : encoder.encode(JSON.stringify(plaintext))
  const kid =
    options.kid === null
      ? undefined
      : (options.kid ?? (isTestKeys(options.key) ? options.key.kid : undefined))
  const header: Record<string, unknown> = { alg: options.alg, enc: options.enc ?? 'A256GCM' }
  if (kid !== undefined) header.kid = kid
  if (options.cty !== undefined) header.cty = options.cty
  if (options.zip !== undefined) header.zip = options.zip
  Object.assign(header, options.header)
  const key = await material(options.key, 'public', options.alg)
  const jwe = new CompactEncrypt(bytes).setProtectedHeader(header as { alg: string; enc: string })
  if (options.p2c !== undefined) jwe.setKeyManagementParameters({ p2c: options.p2c })
  return jwe.encrypt(key)
}

/** A nested JWT: a JWS (see {@link signToken}) encrypted into a JWE with `cty: "JWT"` by default. */
export async function nestedToken(
  claims: JWTPayload,
  sign: SignOptions,
  encrypt: EncryptOptions,
): Promise<string> {
  return encryptToken(await signToken(claims, sign), { cty: 'JWT', ...encrypt })
}

/**
 * Replace one segment of a compact token (0-based), or apply `mutate` to it. With no replacement the
 * segment's first base64url character is changed, which changes the decoded bytes (tampering).
 */
export function tamper(
  token: string,
  index: number,
  mutate?: string | ((segment: string) => string),
): string {
  const parts = token.split('.')
  const segment = parts[index]
  if (segment === undefined) throw new RangeError(`testkit: token has no segment ${index}`)
  if (typeof mutate === 'string') parts[index] = mutate
  else if (mutate) parts[index] = mutate(segment)
  else parts[index] = flipFirstChar(segment)
  return parts.join('.')
}

function flipFirstChar(segment: string): string {
  if (segment.length === 0) return 'AAAA'
  const first = segment[0] === 'A' ? 'B' : 'A'
  return first + segment.slice(1)
}

/** Decode a compact token's protected header (segment 0), without verifying anything. */
export function decodeHeader(token: string): Record<string, unknown> {
  return JSON.parse(fromB64url(token.split('.')[0] ?? '')) as Record<string, unknown>
}
