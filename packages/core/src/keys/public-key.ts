// Verification keys: checks at start-up that each key fits the allowed algorithms, imports it once per algorithm.
import { importJWK, importSPKI, importX509, type JWK } from 'jose'
import { bitLength, decodeJwkMember, jwkDefect } from './check.js'
import { keyForm } from './forms.js'
import { looksLikePem, readPem, type KeyType } from './der.js'
import type { KeyMaterial } from '../types.js'

interface AlgInfo {
  readonly kty: 'oct' | 'RSA' | 'EC' | 'OKP'
  /** HMAC: minimum secret size in bytes (RFC 7518 §3.2); ECDSA/EdDSA: the curve. */
  readonly bytes?: number
  readonly crv?: string
  readonly pss?: boolean
  readonly hash?: string
}

/** The JWS algorithms tokengate verifies (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864). */
export const JWS_ALGORITHMS: Readonly<Record<string, AlgInfo>> = {
  HS256: { kty: 'oct', bytes: 32, hash: 'SHA-256' },
  HS384: { kty: 'oct', bytes: 48, hash: 'SHA-384' },
  HS512: { kty: 'oct', bytes: 64, hash: 'SHA-512' },
  RS256: { kty: 'RSA' },
  RS384: { kty: 'RSA' },
  RS512: { kty: 'RSA' },
  PS256: { kty: 'RSA', pss: true },
  PS384: { kty: 'RSA', pss: true },
  PS512: { kty: 'RSA', pss: true },
  ES256: { kty: 'EC', crv: 'P-256' },
  ES384: { kty: 'EC', crv: 'P-384' },
  ES512: { kty: 'EC', crv: 'P-521' },
  EdDSA: { kty: 'OKP', crv: 'Ed25519' },
  Ed25519: { kty: 'OKP', crv: 'Ed25519' },
}

/** RFC 7518 §3.3 / §3.5: RSA keys of 2048 bits or larger. */
const MIN_RSA_BITS = 2048
/** Without a `kid`, at most this many fitting keys of a set are tried (bounds the work per token). */
export const MAX_CANDIDATES = 5

/** Finds the keys to try for one token; throws AuthError `key_not_found` / `keys_unavailable`. */
export interface KeySource {
  select(alg: string, kid: string | undefined): readonly CryptoKey[] | Promise<readonly CryptoKey[]>
}

/** What a key is, for fitting algorithms: a secret, a typed public key, or a CryptoKey bound to one alg. */
export type KeyDescription =
  | { kty: 'oct'; bytes: number }
  | KeyType
  | { kty: 'CryptoKey'; algs: readonly string[]; label: string }

/** A key in the form jose imports, with its description. */
export type PreparedKey =
  | { form: 'secret'; secret: Uint8Array; desc: KeyDescription }
  | { form: 'jwk'; jwk: JWK; desc: KeyDescription; jwkAlg?: string }
  | { form: 'spki' | 'x509'; pem: string; desc: KeyDescription }
  | { form: 'crypto'; key: CryptoKey; desc: KeyDescription }

/** Why `desc` cannot verify `alg`, or undefined when it can. */
export function misfit(desc: KeyDescription, alg: string): string | undefined {
  const info = JWS_ALGORITHMS[alg]
  if (!info) return `${alg} is not a supported algorithm`
  if (desc.kty === 'CryptoKey') {
    return desc.algs.includes(alg)
      ? undefined
      : `it is a CryptoKey (${desc.label}) that can only verify ${desc.algs.join(' or ') || 'no JWS algorithm'}`
  }
  const what = describe(desc)
  if (desc.kty !== info.kty) return `it is ${what}, and ${alg} needs ${needs(info)}`
  if (desc.kty === 'oct' && desc.bytes < (info.bytes ?? 0)) {
    return `it is a ${desc.bytes}-byte secret, and ${alg} needs at least ${info.bytes} bytes (RFC 7518 §3.2)`
  }
  if (desc.kty === 'RSA' && desc.bits < MIN_RSA_BITS)
    return `it is a ${desc.bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`
  if (desc.kty === 'RSA' && desc.pssOnly && !info.pss)
    return `it is an RSASSA-PSS key, which cannot verify ${alg}`
  if ((desc.kty === 'EC' || desc.kty === 'OKP') && desc.crv !== info.crv)
    return `it is ${what}, and ${alg} needs ${needs(info)}`
  return undefined
}

function describe(desc: KeyDescription): string {
  switch (desc.kty) {
    case 'oct':
      return 'a shared secret'
    case 'RSA':
      return 'an RSA public key'
    case 'EC':
      return `a ${desc.crv} EC public key`
    case 'OKP':
      return `an ${desc.crv} public key`
    default:
      return 'a CryptoKey'
  }
}

function needs(info: AlgInfo): string {
  if (info.kty === 'oct') return `a secret of at least ${info.bytes} bytes`
  if (info.kty === 'RSA') return `an RSA public key of at least ${MIN_RSA_BITS} bits`
  return info.kty === 'EC' ? `a ${info.crv} EC public key` : `an ${info.crv} public key`
}

const encoder = new TextEncoder()

/** Public members per key type (RFC 7518 §6): private parts of a JWK are never imported. */
const PUBLIC_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['n', 'e'],
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
  oct: ['k'],
}

/**
 * Normalises one key given in options (secret, PEM, JWK, CryptoKey or KeyObject); throws a config error
 * when it cannot be a JWS verification key.
 */
export function prepareKey(
  key: KeyMaterial,
  optionName: string,
  algorithmsPath = 'options.algorithms',
): PreparedKey {
  if (typeof key === 'string' || key instanceof Uint8Array) {
    if (typeof key === 'string' && looksLikePem(key)) {
      const pem = readPem(key, optionName)
      return { form: pem.format, pem: key.trim(), desc: pem.key }
    }
    const form = keyForm(key)
    if (form?.kind === 'pem') {
      // A PEM block after a comment line, or read as bytes: the key it holds, never a secret.
      const pem = readPem(form.pem, optionName)
      return { form: pem.format, pem: form.pem, desc: pem.key }
    }
    if (form) throw notASecret(optionName, form.what, form.private, algorithmsPath)
    const secret = typeof key === 'string' ? encoder.encode(key) : key.slice()
    return { form: 'secret', secret, desc: { kty: 'oct', bytes: secret.length } }
  }
  if (isCryptoKey(key)) return prepareCryptoKey(key, optionName)
  if (isKeyObject(key)) {
    if (key.type === 'private')
      throw new TypeError(
        `tokengate: ${optionName} is a private KeyObject: give the public key (createPublicKey(privateKey))`,
      )
    const jwk = key.export({ format: 'jwk' }) as JWK
    if (key.type === 'secret') {
      // createSecretKey(readFileSync('public.pem')) is the same mistake as the bytes themselves.
      const form = keyForm(decodeJwkMember(jwk.k ?? '') ?? new Uint8Array())
      if (form)
        throw notASecret(
          optionName,
          form.kind === 'pem' ? `a PEM ${form.label}` : form.what,
          form.kind === 'other' && form.private,
          algorithmsPath,
        )
    }
    return prepareJwk(jwk, optionName)
  }
  if (typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string')
    return prepareJwk(key as JWK, optionName)
  throw new TypeError(
    `tokengate: ${optionName} must be a secret (string or Uint8Array), a PEM public key or certificate, a JWK, a CryptoKey, { jwks }, { jwksUri } or { discovery }`,
  )
}

/**
 * The start-up refusal of key material given as a secret (RFC 8725 §3.1): whoever holds a public
 * key could sign tokens with it as the HMAC secret (CVE-2016-10555, CVE-2022-29217, CVE-2023-48223).
 */
export function notASecret(
  optionName: string,
  what: string,
  isPrivate: boolean,
  algorithmsPath = 'options.algorithms',
): TypeError {
  return new TypeError(
    `tokengate: ${optionName} is ${what}, not a secret: key material must never be used as an HMAC secret, or anyone holding the public key could forge tokens (RFC 8725 §3.1). ` +
      (isPrivate
        ? `Give the public key instead (a PEM string, a JWK object or a KeyObject) and list an asymmetric algorithm (RS256, ES256, EdDSA, ...) in ${algorithmsPath}; `
        : `To verify with this key, list an asymmetric algorithm (RS256, ES256, EdDSA, ...) in ${algorithmsPath} and give it as a PEM string, a JWK object or a KeyObject; `) +
      'for HS256/384/512, use a random secret of at least 32 bytes instead.',
  )
}

/**
 * Whether a JWK of a set is meant to verify signatures at all (RFC 7517 §4.2, §4.3): others, such
 * as encryption keys sharing the set, are skipped; a signing key that is broken is refused.
 */
export function isSignatureJwk(jwk: JWK): boolean {
  return (
    PUBLIC_MEMBERS[jwk.kty as string] !== undefined &&
    (jwk.use === undefined || jwk.use === 'sig') &&
    (!Array.isArray(jwk.key_ops) || jwk.key_ops.includes('verify'))
  )
}

/** A JWK reduced to its public members; throws a config error when it is not a usable signature key. */
export function prepareJwk(jwk: JWK, optionName: string): PreparedKey & { form: 'jwk' } {
  const members = PUBLIC_MEMBERS[jwk.kty as string]
  if (!members)
    throw new TypeError(
      `tokengate: ${optionName} has unsupported JWK kty '${String(jwk.kty)}' (use RSA, EC, OKP or oct)`,
    )
  if (jwk.use !== undefined && jwk.use !== 'sig')
    throw new TypeError(
      `tokengate: ${optionName} is a JWK with use '${jwk.use}': only signature keys (use 'sig') verify tokens`,
    )
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify'))
    throw new TypeError(`tokengate: ${optionName} is a JWK whose key_ops do not include 'verify'`)
  // A private JWK is accepted with only its public members kept (RFC 7518 §6): `d` is never imported.
  const pub: Record<string, unknown> = { kty: jwk.kty }
  for (const m of members) {
    if (typeof (jwk as Record<string, unknown>)[m] !== 'string')
      throw new TypeError(`tokengate: ${optionName} is a ${jwk.kty} JWK without its '${m}' member`)
    pub[m] = (jwk as Record<string, unknown>)[m]
  }
  // Checked now, so that the import at first use cannot fail (a broken key would fail every request).
  const defect = jwkDefect(pub)
  if (defect)
    throw new TypeError(
      `tokengate: ${optionName}${kidLabel(jwk)} is a ${jwk.kty} JWK that cannot be imported: ${defect}; export the key again from its source`,
    )
  let desc: KeyDescription
  // Sizes count the decoded bytes, leading zero octets of a modulus not counted (RFC 7518 §6.3.1.1).
  if (jwk.kty === 'oct') desc = { kty: 'oct', bytes: decodedLength(jwk.k as string) }
  else if (jwk.kty === 'RSA')
    desc = { kty: 'RSA', bits: bitLength(decodedMember(jwk.n as string)), pssOnly: false }
  else desc = { kty: jwk.kty as 'EC' | 'OKP', crv: jwk.crv as string }
  return {
    form: 'jwk',
    jwk: pub as JWK,
    desc,
    ...(typeof jwk.alg === 'string' && { jwkAlg: jwk.alg }),
  }
}

// A CryptoKey is bound to one Web Crypto algorithm (and hash or curve), hence to these JWS algs.
const CRYPTO_KEY_ALGS: Readonly<Record<string, readonly string[]>> = {
  'HMAC/SHA-256': ['HS256'],
  'HMAC/SHA-384': ['HS384'],
  'HMAC/SHA-512': ['HS512'],
  'RSASSA-PKCS1-v1_5/SHA-256': ['RS256'],
  'RSASSA-PKCS1-v1_5/SHA-384': ['RS384'],
  'RSASSA-PKCS1-v1_5/SHA-512': ['RS512'],
  'RSA-PSS/SHA-256': ['PS256'],
  'RSA-PSS/SHA-384': ['PS384'],
  'RSA-PSS/SHA-512': ['PS512'],
  'ECDSA/P-256': ['ES256'],
  'ECDSA/P-384': ['ES384'],
  'ECDSA/P-521': ['ES512'],
  'Ed25519/': ['EdDSA', 'Ed25519'],
}

function prepareCryptoKey(key: CryptoKey, optionName: string): PreparedKey {
  if (key.type === 'private')
    throw new TypeError(`tokengate: ${optionName} is a private CryptoKey: give the public key`)
  if (!key.usages.includes('verify'))
    throw new TypeError(`tokengate: ${optionName} is a CryptoKey without the 'verify' usage`)
  const a = key.algorithm as KeyAlgorithm & {
    hash?: { name: string }
    namedCurve?: string
    length?: number
    modulusLength?: number
  }
  const label = `${a.name}/${a.hash?.name ?? a.namedCurve ?? ''}`
  const algs = CRYPTO_KEY_ALGS[label] ?? []
  const hmacBytes = JWS_ALGORITHMS[algs[0] ?? '']?.bytes
  if (a.name === 'HMAC' && hmacBytes !== undefined && (a.length ?? 0) / 8 < hmacBytes) {
    throw new TypeError(
      `tokengate: ${optionName} is an HMAC CryptoKey of ${(a.length ?? 0) / 8} bytes; ${algs[0]} needs at least ${hmacBytes} (RFC 7518 §3.2)`,
    )
  }
  if (a.modulusLength !== undefined && a.modulusLength < MIN_RSA_BITS)
    throw new TypeError(
      `tokengate: ${optionName} is a ${a.modulusLength}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`,
    )
  return { form: 'crypto', key, desc: { kty: 'CryptoKey', algs, label: label.replace(/\/$/, '') } }
}

/** Imports a prepared key for one algorithm (once, at first use). */
export async function importFor(prepared: PreparedKey, alg: string): Promise<CryptoKey> {
  switch (prepared.form) {
    case 'crypto':
      return prepared.key
    case 'secret':
      return importHmac(prepared.secret, alg)
    case 'spki':
      return importSPKI(prepared.pem, alg)
    case 'x509':
      return importX509(prepared.pem, alg)
    case 'jwk':
      if (prepared.jwk.kty === 'oct') return importHmac(b64uDecode(prepared.jwk.k as string), alg)
      return (await importJWK(prepared.jwk, alg)) as CryptoKey
  }
}

function importHmac(secret: Uint8Array, alg: string): Promise<CryptoKey> {
  const hash = JWS_ALGORITHMS[alg]?.hash as string
  return crypto.subtle.importKey('raw', secret as BufferSource, { name: 'HMAC', hash }, false, [
    'verify',
  ])
}

/** Fitting algorithms of a prepared key among the allowlist (a JWK's own `alg` narrows it). */
export function fittingAlgorithms(prepared: PreparedKey, algorithms: readonly string[]): string[] {
  const jwkAlg = prepared.form === 'jwk' ? prepared.jwkAlg : undefined
  return algorithms.filter(
    (alg) => (jwkAlg === undefined || jwkAlg === alg) && misfit(prepared.desc, alg) === undefined,
  )
}

function isCryptoKey(key: unknown): key is CryptoKey {
  return typeof CryptoKey !== 'undefined' && key instanceof CryptoKey
}

interface KeyObjectLike {
  type: 'secret' | 'public' | 'private'
  export(options: { format: 'jwk' }): unknown
}

function isKeyObject(key: unknown): key is KeyObjectLike {
  return (
    typeof key === 'object' &&
    key !== null &&
    (key as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] === 'KeyObject'
  )
}

// The kid names the key to fix in a set of several (and in a single JWK it helps find it).
function kidLabel(jwk: JWK): string {
  return typeof jwk.kid === 'string' ? ` (kid ${JSON.stringify(jwk.kid.slice(0, 64))})` : ''
}

function decodedMember(value: string): Uint8Array {
  return decodeJwkMember(value) ?? new Uint8Array()
}

function decodedLength(value: string): number {
  return decodedMember(value).length
}

/** base64url (RFC 4648 §5) to bytes, without padding checks (callers check shape first). */
export function b64uDecode(value: string): Uint8Array {
  const b64 = value.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4))
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
