// The one JWA registry (RFC 7518, RFC 8037, RFC 9864): every algorithm tokengate knows, what key it needs, and the fit check.
//
// Adding an algorithm is one entry in one of the three tables below: the allowlists, the defaults,
// the literal-union types, the key fit, the Web Crypto and node:crypto parameters and the exact
// signature length are all read from here.

/** The Web Crypto algorithm a CryptoKey is bound to (its `algorithm` member), as far as it matters. */
export interface CryptoKeyParams {
  readonly name: string
  readonly hash?: string
  readonly namedCurve?: string
  readonly length?: number
}

/** One JWS algorithm (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 §2). */
export interface JwsEntry {
  readonly kty: 'oct' | 'RSA' | 'EC' | 'OKP'
  /** HMAC: the minimum secret size in bytes, the hash size (RFC 7518 §3.2). */
  readonly minBytes?: number
  /** ECDSA and EdDSA: the one curve (RFC 7518 §3.4, RFC 8037 §3.1). */
  readonly crv?: string
  /** RSASSA-PSS (RFC 7518 §3.5): an RSASSA-PSS-only key (OID id-RSASSA-PSS) serves these. */
  readonly pss?: boolean
  /**
   * The exact signature size in bytes, or `'modulus'` for RSA (k octets, RFC 8017 §8.1.2, §8.2.2);
   * undefined for HMAC, whose check compares the whole MAC.
   */
  readonly signatureBytes?: number | 'modulus'
  /** Web Crypto: the CryptoKey algorithm that verifies it (jose imports keys with these). */
  readonly webCrypto: CryptoKeyParams
  /** node:crypto: the digest (null for EdDSA) and the kind of check (token/signature-check.node.ts). */
  readonly node: {
    readonly digest: 'sha256' | 'sha384' | 'sha512' | null
    readonly kind: 'hmac' | 'rsa' | 'pss' | 'ecdsa' | 'eddsa'
    /** RSASSA-PSS salt length: the hash size (RFC 7518 §3.5). */
    readonly saltLength?: number
  }
}

/** One JWE key management algorithm (RFC 7518 §4.1). */
export interface JweKeyManagementEntry {
  readonly family: 'dir' | 'aeskw' | 'aesgcmkw' | 'rsa-oaep' | 'ecdh-es' | 'pbes2'
  readonly kty: 'oct' | 'RSA' | 'EC/OKP'
  /** Exact size in bytes of a key-wrapping secret (A*KW, A*GCMKW; RFC 7518 §4.4, §4.7). */
  readonly keyBytes?: number
  /** The recipient's key is a public key (RFC 7518 §4.3, §4.6): anyone may encrypt to it. */
  readonly publicKey: boolean
  /** Direct encryption or direct key agreement: the JWE Encrypted Key is empty (RFC 7516 §5.2 step 10). */
  readonly direct: boolean
  /** ECDH-ES: the curves of the recipient's key (RFC 7518 §6.2.1.1, RFC 8037 §2). */
  readonly curves?: readonly string[]
  /** The CryptoKey algorithms that serve it; `dir` takes its `enc`'s instead. */
  readonly webCrypto: readonly CryptoKeyParams[]
}

/** One JWE content encryption algorithm (RFC 7518 §5.1). */
export interface JweContentEncryptionEntry {
  /** The CEK size in bytes; a `dir` key must have exactly this size. */
  readonly cekBytes: number
  /** The CryptoKey a `dir` key may be given as (none for AES-CBC-HMAC, a composite key). */
  readonly webCrypto?: CryptoKeyParams
}

const hmac = (bits: 256 | 384 | 512) =>
  ({
    kty: 'oct',
    minBytes: bits / 8,
    webCrypto: { name: 'HMAC', hash: `SHA-${bits}` },
    node: { digest: `sha${bits}`, kind: 'hmac' },
  }) as const satisfies JwsEntry
const rsa = (bits: 256 | 384 | 512) =>
  ({
    kty: 'RSA',
    signatureBytes: 'modulus',
    webCrypto: { name: 'RSASSA-PKCS1-v1_5', hash: `SHA-${bits}` },
    node: { digest: `sha${bits}`, kind: 'rsa' },
  }) as const satisfies JwsEntry
const pss = (bits: 256 | 384 | 512) =>
  ({
    kty: 'RSA',
    pss: true,
    signatureBytes: 'modulus',
    webCrypto: { name: 'RSA-PSS', hash: `SHA-${bits}` },
    node: { digest: `sha${bits}`, kind: 'pss', saltLength: bits / 8 },
  }) as const satisfies JwsEntry
// RFC 7518 §3.4: r || s, each the size of the curve order (32, 48, 66 octets).
const ecdsa = (crv: string, bits: 256 | 384 | 512, signatureBytes: number) =>
  ({
    kty: 'EC',
    crv,
    signatureBytes,
    webCrypto: { name: 'ECDSA', namedCurve: crv },
    node: { digest: `sha${bits}`, kind: 'ecdsa' },
  }) as const satisfies JwsEntry
// RFC 8032 §5.1.6: an Ed25519 signature is 64 octets.
const ed25519 = {
  kty: 'OKP',
  crv: 'Ed25519',
  signatureBytes: 64,
  webCrypto: { name: 'Ed25519' },
  node: { digest: null, kind: 'eddsa' },
} as const satisfies JwsEntry

/** The JWS algorithms tokengate verifies, signs and generates keys for, in the order messages list them. */
export const JWS_ALGORITHMS = {
  HS256: hmac(256),
  HS384: hmac(384),
  HS512: hmac(512),
  RS256: rsa(256),
  RS384: rsa(384),
  RS512: rsa(512),
  PS256: pss(256),
  PS384: pss(384),
  PS512: pss(512),
  ES256: ecdsa('P-256', 256, 64),
  ES384: ecdsa('P-384', 384, 96),
  ES512: ecdsa('P-521', 512, 132),
  EdDSA: ed25519,
  // RFC 9864 §2: the fully specified name of EdDSA over Ed25519.
  Ed25519: ed25519,
} as const satisfies Record<string, JwsEntry>

const aesKw = (bits: 128 | 192 | 256) =>
  ({
    family: 'aeskw',
    kty: 'oct',
    keyBytes: bits / 8,
    publicKey: false,
    direct: false,
    webCrypto: [{ name: 'AES-KW', length: bits }],
  }) as const satisfies JweKeyManagementEntry
const aesGcmKw = (bits: 128 | 192 | 256) =>
  ({
    family: 'aesgcmkw',
    kty: 'oct',
    keyBytes: bits / 8,
    publicKey: false,
    direct: false,
    webCrypto: [{ name: 'AES-GCM', length: bits }],
  }) as const satisfies JweKeyManagementEntry
const rsaOaep = (hash: string) =>
  ({
    family: 'rsa-oaep',
    kty: 'RSA',
    publicKey: true,
    direct: false,
    webCrypto: [{ name: 'RSA-OAEP', hash }],
  }) as const satisfies JweKeyManagementEntry
const ECDH_CURVES = ['P-256', 'P-384', 'P-521', 'X25519'] as const
const ecdhEs = (direct: boolean) =>
  ({
    family: 'ecdh-es',
    kty: 'EC/OKP',
    publicKey: true,
    direct,
    curves: ECDH_CURVES,
    webCrypto: [{ name: 'ECDH' }, { name: 'X25519' }],
  }) as const satisfies JweKeyManagementEntry
const pbes2 = {
  family: 'pbes2',
  kty: 'oct',
  publicKey: false,
  direct: false,
  webCrypto: [{ name: 'PBKDF2' }],
} as const satisfies JweKeyManagementEntry

/**
 * The JWE key management algorithms tokengate decrypts (and, but PBES2, encrypts to). RSA1_5 is
 * absent on purpose: Bleichenbacher's padding oracle (RFC 8725 §3.2).
 */
export const JWE_KEY_MANAGEMENT_ALGORITHMS = {
  dir: {
    family: 'dir',
    kty: 'oct',
    publicKey: false,
    direct: true,
    webCrypto: [],
  },
  A128KW: aesKw(128),
  A192KW: aesKw(192),
  A256KW: aesKw(256),
  A128GCMKW: aesGcmKw(128),
  A192GCMKW: aesGcmKw(192),
  A256GCMKW: aesGcmKw(256),
  'RSA-OAEP': rsaOaep('SHA-1'),
  'RSA-OAEP-256': rsaOaep('SHA-256'),
  'RSA-OAEP-384': rsaOaep('SHA-384'),
  'RSA-OAEP-512': rsaOaep('SHA-512'),
  'ECDH-ES': ecdhEs(true),
  'ECDH-ES+A128KW': ecdhEs(false),
  'ECDH-ES+A192KW': ecdhEs(false),
  'ECDH-ES+A256KW': ecdhEs(false),
  'PBES2-HS256+A128KW': pbes2,
  'PBES2-HS384+A192KW': pbes2,
  'PBES2-HS512+A256KW': pbes2,
} as const satisfies Record<string, JweKeyManagementEntry>

/** The JWE content encryption algorithms (RFC 7518 §5.1): AES-GCM and AES-CBC-HMAC. */
export const JWE_CONTENT_ENCRYPTION_ALGORITHMS = {
  A128GCM: { cekBytes: 16, webCrypto: { name: 'AES-GCM', length: 128 } },
  A192GCM: { cekBytes: 24, webCrypto: { name: 'AES-GCM', length: 192 } },
  A256GCM: { cekBytes: 32, webCrypto: { name: 'AES-GCM', length: 256 } },
  'A128CBC-HS256': { cekBytes: 32 },
  'A192CBC-HS384': { cekBytes: 48 },
  'A256CBC-HS512': { cekBytes: 64 },
} as const satisfies Record<string, JweContentEncryptionEntry>

/** A JWS `alg` tokengate supports: a typo in an `algorithms` literal is a type error. */
export type JwsAlgorithm = keyof typeof JWS_ALGORITHMS
/** A JWE key management `alg` tokengate supports. */
export type JweKeyManagementAlgorithm = keyof typeof JWE_KEY_MANAGEMENT_ALGORITHMS
/** A JWE content encryption `enc` tokengate supports. */
export type JweContentEncryptionAlgorithm = keyof typeof JWE_CONTENT_ENCRYPTION_ALGORITHMS

type KeysWhere<T, Match> = { [K in keyof T]: T[K] extends Match ? K : never }[keyof T]
/** The JWS algorithms of a public key (what a DPoP proof may use, RFC 9449 §4.2). */
export type AsymmetricJwsAlgorithm = KeysWhere<typeof JWS_ALGORITHMS, { kty: 'RSA' | 'EC' | 'OKP' }>
/** The algorithms whose key is one shared secret (generateKeys returns a secret). */
export type SecretKeyAlgorithm =
  | KeysWhere<typeof JWS_ALGORITHMS, { kty: 'oct' }>
  | KeysWhere<
      typeof JWE_KEY_MANAGEMENT_ALGORITHMS,
      { kty: 'oct'; family: 'dir' | 'aeskw' | 'aesgcmkw' }
    >
/** The algorithms whose key is a private/public pair (generateKeys returns a pair). */
export type KeyPairAlgorithm =
  AsymmetricJwsAlgorithm | KeysWhere<typeof JWE_KEY_MANAGEMENT_ALGORITHMS, { publicKey: true }>

// Own members only: an `alg` is attacker-chosen or app-typed, and `'toString' in {}` is true.
const own = <T extends object>(table: T, name: string): T[keyof T] | undefined =>
  Object.hasOwn(table, name) ? table[name as keyof T] : undefined

/** The registry entry of a JWS alg, or undefined when tokengate does not support it. */
export const jwsAlgorithm = (alg: string): JwsEntry | undefined => own(JWS_ALGORITHMS, alg)
/** The registry entry of a JWE key management alg, or undefined. */
export const jweKeyManagement = (alg: string): JweKeyManagementEntry | undefined =>
  own(JWE_KEY_MANAGEMENT_ALGORITHMS, alg)
/** The registry entry of a JWE content encryption alg, or undefined. */
export const jweContentEncryption = (enc: string): JweContentEncryptionEntry | undefined =>
  own(JWE_CONTENT_ENCRYPTION_ALGORITHMS, enc)

const names = <T extends object>(table: T) => Object.keys(table) as Array<keyof T & string>
const sizes = <T extends object>(table: T, size: (entry: T[keyof T]) => number | undefined) =>
  Object.fromEntries(
    names(table).flatMap((alg) => {
      const bytes = size(table[alg])
      return bytes === undefined ? [] : [[alg, bytes]]
    }),
  ) as Readonly<Record<string, number>>

/** Every supported JWS alg, in registry order (the default allowlist of nothing: apps list theirs). */
export const JWS_ALGORITHM_NAMES: readonly JwsAlgorithm[] = names(JWS_ALGORITHMS)
/**
 * The JWS algorithms verified with a public key (every one but HMAC), in the registry's order:
 * what a JWKS URL can serve.
 *
 * @example
 * createAuthenticator({ algorithms: [...ASYMMETRIC_JWS_ALGORITHMS], key: { jwksUri }, issuer })
 */
export const ASYMMETRIC_JWS_ALGORITHMS: readonly JwsAlgorithm[] = JWS_ALGORITHM_NAMES.filter(
  (alg) => JWS_ALGORITHMS[alg].kty !== 'oct',
)
/** HMAC minimum secret size per alg (RFC 7518 §3.2). */
export const HMAC_BYTES = sizes(JWS_ALGORITHMS, (e: JwsEntry) => e.minBytes)
/** Key-wrapping secret size per alg (RFC 7518 §4.4, §4.7). */
export const KW_BYTES = sizes(
  JWE_KEY_MANAGEMENT_ALGORITHMS,
  (e: JweKeyManagementEntry) => e.keyBytes,
)
/** Content encryption key size per `enc` (RFC 7518 §5.1). A `dir` key must have exactly this size. */
export const CEK_BYTES = sizes(JWE_CONTENT_ENCRYPTION_ALGORITHMS, (e) => e.cekBytes)
/** JWE key management with a public recipient key (RFC 7518 §4.3, §4.6). */
export const PUBLIC_KEY_KM_ALGS: readonly JweKeyManagementAlgorithm[] = names(
  JWE_KEY_MANAGEMENT_ALGORITHMS,
).filter((alg) => JWE_KEY_MANAGEMENT_ALGORITHMS[alg].publicKey)
/** Every supported JWE key management alg (what options.decrypt.keyManagementAlgorithms may list). */
export const JWE_KEY_MANAGEMENT_NAMES: readonly JweKeyManagementAlgorithm[] = names(
  JWE_KEY_MANAGEMENT_ALGORITHMS,
)
/** What an issuer may encrypt to: every key management alg but PBES2 (a password is no recipient key). */
export const ISSUING_KEY_MANAGEMENT_ALGS: readonly JweKeyManagementAlgorithm[] =
  JWE_KEY_MANAGEMENT_NAMES.filter((alg) => JWE_KEY_MANAGEMENT_ALGORITHMS[alg].family !== 'pbes2')
/** Default `enc` allowlist: the AES-GCM and AES-CBC-HMAC families (RFC 7518 §5.1). */
export const DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS: JweContentEncryptionAlgorithm[] = names(
  JWE_CONTENT_ENCRYPTION_ALGORITHMS,
)
/** RFC 9449 §4.2: asymmetric algorithms only; these are the defaults of `dpop.algorithms`. */
export const DEFAULT_DPOP_ALGORITHMS = [
  'ES256',
  'ES384',
  'EdDSA',
  'RS256',
  'PS256',
] as const satisfies readonly JwsAlgorithm[]

/** RFC 7518 §3.3, §3.5, §4.2, §4.3: RSA keys of 2048 bits or larger, for every RSA algorithm. */
export const MIN_RSA_BITS = 2048

/**
 * What a key is, as far as choosing an algorithm goes; known synchronously at start-up from any
 * accepted form (secret, PEM, JWK, KeyObject, CryptoKey). A CryptoKey is bound to one Web Crypto
 * algorithm, hence to the algs (and, for `dir`, the encs) listed.
 */
export type KeyShape =
  | { kty: 'oct'; bytes: number }
  | { kty: 'RSA'; bits: number; pssOnly: boolean }
  | { kty: 'EC' | 'OKP'; crv: string }
  | {
      kty: 'CryptoKey'
      algs: readonly string[]
      encs?: readonly string[]
      label: string
      /** An HMAC CryptoKey's size in bytes (RFC 7518 §3.2 sets a minimum per alg). */
      hmacBytes?: number
    }

const matches = (a: CryptoKeyParams, want: CryptoKeyParams): boolean =>
  a.name === want.name &&
  (want.hash === undefined || a.hash === want.hash) &&
  (want.namedCurve === undefined || a.namedCurve === want.namedCurve) &&
  (want.length === undefined || a.length === want.length)

/**
 * The shape of a CryptoKey: the algorithms of the registry its Web Crypto algorithm serves. An RSA
 * CryptoKey under {@link MIN_RSA_BITS} serves none.
 *
 * @example
 * cryptoKeyShape(p256VerifyKey) // { kty: 'CryptoKey', algs: ['ES256'], label: 'ECDSA/P-256' }
 */
export function cryptoKeyShape(key: CryptoKey): KeyShape & { kty: 'CryptoKey' } {
  const a = key.algorithm as KeyAlgorithm & {
    hash?: { name: string }
    namedCurve?: string
    length?: number
    modulusLength?: number
  }
  const params: CryptoKeyParams = {
    name: a.name,
    ...(a.hash && { hash: a.hash.name }),
    ...(a.namedCurve !== undefined && { namedCurve: a.namedCurve }),
    ...(a.length !== undefined && { length: a.length }),
  }
  const label = `${a.name}/${a.hash?.name ?? a.namedCurve ?? ''}`.replace(/\/$/, '')
  if (a.modulusLength !== undefined && a.modulusLength < MIN_RSA_BITS)
    return { kty: 'CryptoKey', algs: [], label }
  // HMAC keys of any length are listed: their size is checked where the length is known to matter.
  const algs: string[] = names(JWS_ALGORITHMS).filter((alg) =>
    matches(params, JWS_ALGORITHMS[alg].webCrypto),
  )
  const encs = names(JWE_CONTENT_ENCRYPTION_ALGORITHMS).filter((enc) => {
    const want: CryptoKeyParams | undefined = jweContentEncryption(enc)?.webCrypto
    return want !== undefined && matches(params, want)
  })
  for (const alg of names(JWE_KEY_MANAGEMENT_ALGORITHMS)) {
    const entry: JweKeyManagementEntry = JWE_KEY_MANAGEMENT_ALGORITHMS[alg]
    if (entry.family === 'dir' ? encs.length > 0 : entry.webCrypto.some((w) => matches(params, w)))
      algs.push(alg)
  }
  return {
    kty: 'CryptoKey',
    algs,
    ...(encs.length > 0 && { encs }),
    label,
    ...(a.name === 'HMAC' && { hmacBytes: (a.length ?? 0) / 8 }),
  }
}

/**
 * Why a key of this shape cannot serve `alg` (and, for `dir`, `enc`), or undefined when it can:
 * the one fit check, for verification, decryption, signing and encryption keys alike.
 *
 * @example
 * misfit({ kty: 'oct', bytes: 16 }, 'HS256') // 'it is a 16-byte secret, and HS256 needs at least 32 bytes (RFC 7518 §3.2)'
 */
export function misfit(shape: KeyShape, alg: string, enc?: string): string | undefined {
  const jws = jwsAlgorithm(alg)
  if (jws) return jwsMisfit(shape, alg, jws)
  const km = jweKeyManagement(alg)
  if (km) return jweMisfit(shape, alg, km, enc)
  return `${alg} is not a supported algorithm`
}

function jwsMisfit(shape: KeyShape, alg: string, info: JwsEntry): string | undefined {
  if (shape.kty === 'CryptoKey') {
    if (shape.hmacBytes !== undefined && shape.hmacBytes < (info.minBytes ?? 0))
      return `it is a ${shape.hmacBytes}-byte HMAC CryptoKey, and ${alg} needs at least ${info.minBytes} bytes (RFC 7518 §3.2)`
    return shape.algs.includes(alg)
      ? undefined
      : `it is a CryptoKey (${shape.label}) that can only verify ${shape.algs.filter((a) => jwsAlgorithm(a)).join(' or ') || 'no JWS algorithm'}`
  }
  const what = describe(shape)
  if (shape.kty !== info.kty) return `it is ${what}, and ${alg} needs ${needs(info)}`
  if (shape.kty === 'oct' && shape.bytes < (info.minBytes ?? 0)) {
    return `it is a ${shape.bytes}-byte secret, and ${alg} needs at least ${info.minBytes} bytes (RFC 7518 §3.2)`
  }
  if (shape.kty === 'RSA' && shape.bits < MIN_RSA_BITS)
    return `it is a ${shape.bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`
  if (shape.kty === 'RSA' && shape.pssOnly && !info.pss)
    return `it is an RSASSA-PSS key, which cannot verify ${alg}`
  if ((shape.kty === 'EC' || shape.kty === 'OKP') && shape.crv !== info.crv)
    return `it is ${what}, and ${alg} needs ${needs(info)}`
  return undefined
}

function jweMisfit(
  shape: KeyShape,
  alg: string,
  info: JweKeyManagementEntry,
  enc: string | undefined,
): string | undefined {
  if (shape.kty === 'CryptoKey') {
    if (!shape.algs.includes(alg))
      return `it is a CryptoKey (${shape.label}) that cannot serve ${alg}`
    if (info.family === 'dir' && enc !== undefined && !shape.encs?.includes(enc))
      return `it is a CryptoKey (${shape.label}) that cannot serve dir with ${enc}`
    return undefined
  }
  const fits =
    info.kty === 'EC/OKP' ? shape.kty === 'EC' || shape.kty === 'OKP' : shape.kty === info.kty
  if (!fits)
    return `it is ${describe(shape)}, and ${alg} needs ${info.kty === 'EC/OKP' ? 'an EC or OKP' : `a ${info.kty}`} key`
  if (shape.kty === 'oct') {
    if (info.family === 'dir') {
      const cek = enc === undefined ? undefined : jweContentEncryption(enc)?.cekBytes
      const ok =
        enc === undefined ? Object.values(CEK_BYTES).includes(shape.bytes) : cek === shape.bytes
      return ok
        ? undefined
        : `it is a ${shape.bytes}-byte secret, and dir needs the exact size of enc`
    }
    if (info.keyBytes !== undefined && shape.bytes !== info.keyBytes)
      return `it is a ${shape.bytes}-byte secret, and ${alg} needs exactly ${info.keyBytes} bytes`
    if (shape.bytes === 0) return `it is an empty secret`
    return undefined
  }
  if (shape.kty === 'RSA') {
    if (shape.bits < MIN_RSA_BITS)
      return `it is a ${shape.bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`
    return shape.pssOnly ? `it is an RSASSA-PSS key, which cannot serve ${alg}` : undefined
  }
  if (shape.kty === 'EC' || shape.kty === 'OKP')
    return info.curves?.includes(shape.crv)
      ? undefined
      : `it is ${describe(shape)}, which ${alg} cannot use`
  return undefined
}

function describe(shape: KeyShape): string {
  switch (shape.kty) {
    case 'oct':
      return 'a shared secret'
    case 'RSA':
      return 'an RSA public key'
    case 'EC':
      return `a ${shape.crv} EC public key`
    case 'OKP':
      return `an ${shape.crv} public key`
    default:
      return 'a CryptoKey'
  }
}

function needs(info: JwsEntry): string {
  if (info.kty === 'oct') return `a secret of at least ${info.minBytes} bytes`
  if (info.kty === 'RSA') return `an RSA public key of at least ${MIN_RSA_BITS} bits`
  return info.kty === 'EC' ? `a ${info.crv} EC public key` : `an ${info.crv} public key`
}
