// Verification keys: checks at start-up that each key fits the allowed algorithms, imports it once per algorithm.
import { importJWK, importSPKI, importX509, type JWK } from 'jose'
import {
  cryptoKeyShape,
  jwsAlgorithm,
  MIN_RSA_BITS,
  misfit,
  type JwsEntry,
  type KeyShape,
} from './algorithms.js'
import { bitLength, decodeJwkMember, isCryptoKey, isKeyObject, jwkDefect } from './check.js'
import { keyForm } from './forms.js'
import { looksLikePem, readPem } from './der.js'
import type { KeyMaterial } from '../types.js'

/** Without a `kid`, at most this many fitting keys of a set are tried (bounds the work per token). */
export const MAX_CANDIDATES = 5

/** Finds the keys to try for one token; throws AuthError `key_not_found` / `keys_unavailable`. */
export interface KeySource {
  select(alg: string, kid: string | undefined): readonly CryptoKey[] | Promise<readonly CryptoKey[]>
  /** The configured keys by `kid` and algorithms, for explain mode (issue 16); never key material. */
  describe?(): KeyDescription[]
}

/** A configured key as explain mode lists it: its `kid` and the algorithms it may verify. */
export interface KeyDescription {
  kid: string | undefined
  algorithms: readonly string[]
}

/** A key in the form jose imports, with its description. */
export type PreparedKey =
  | { form: 'secret'; secret: Uint8Array; desc: KeyShape }
  | { form: 'jwk'; jwk: JWK; desc: KeyShape; jwkAlg?: string }
  | { form: 'spki' | 'x509'; pem: string; desc: KeyShape }
  | { form: 'crypto'; key: CryptoKey; desc: KeyShape }

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
  let desc: KeyShape
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
  const desc = cryptoKeyShape(key)
  const algs = desc.algs.filter((alg) => jwsAlgorithm(alg))
  const hmacBytes = jwsAlgorithm(algs[0] ?? '')?.minBytes
  if (a.name === 'HMAC' && hmacBytes !== undefined && (a.length ?? 0) / 8 < hmacBytes) {
    throw new TypeError(
      `tokengate: ${optionName} is an HMAC CryptoKey of ${(a.length ?? 0) / 8} bytes; ${algs[0]} needs at least ${hmacBytes} (RFC 7518 §3.2)`,
    )
  }
  if (a.modulusLength !== undefined && a.modulusLength < MIN_RSA_BITS)
    throw new TypeError(
      `tokengate: ${optionName} is a ${a.modulusLength}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`,
    )
  return { form: 'crypto', key, desc }
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
      if (prepared.jwk.kty === 'oct')
        return importHmac(decodedMember(prepared.jwk.k as string), alg)
      return (await importJWK(prepared.jwk, alg)) as CryptoKey
  }
}

function importHmac(secret: Uint8Array, alg: string): Promise<CryptoKey> {
  const params = (jwsAlgorithm(alg) as JwsEntry).webCrypto
  return crypto.subtle.importKey('raw', secret as BufferSource, params, false, ['verify'])
}

/** Fitting algorithms of a prepared key among the allowlist (a JWK's own `alg` narrows it). */
export function fittingAlgorithms(prepared: PreparedKey, algorithms: readonly string[]): string[] {
  const jwkAlg = prepared.form === 'jwk' ? prepared.jwkAlg : undefined
  return algorithms.filter(
    (alg) => (jwkAlg === undefined || jwkAlg === alg) && misfit(prepared.desc, alg) === undefined,
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
