// Token issuing: a signed JWT (RFC 7519), or a nested JWT encrypted to the API (RFC 7519 §5.2), from options checked once.
import {
  calculateJwkThumbprint,
  CompactEncrypt,
  exportJWK,
  importPKCS8,
  SignJWT,
  type JWK,
  type JWTPayload,
} from 'jose'
import { parseDuration } from '../util/duration.js'
import { unknownOptionError } from '../util/options.js'
import * as v from '../util/validate.js'
import {
  DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS,
  ISSUING_KEY_MANAGEMENT_ALGS,
  JWS_ALGORITHM_NAMES,
  jweContentEncryption,
  jweKeyManagement,
  jwsAlgorithm,
  misfit,
  type KeyShape,
} from '../keys/algorithms.js'
import { describePrivateKey, type PrivateKey } from '../keys/private-key.js'
import { describeRecipientKey } from '../keys/recipient-key.js'
import type { Duration, KeyMaterial } from '../types.js'
import { resolveSigner, type TokenSigner } from './signer.js'

/** Options of {@link createTokenIssuer}. */
export interface TokenIssuerOptions {
  /**
   * Private key (PKCS#8 PEM, JWK, CryptoKey, KeyObject) or, for HS*, a secret of at least the hash
   * size. Give either this or {@link TokenIssuerOptions.signer}.
   */
  signingKey?: KeyMaterial
  /**
   * An external signer (HSM, cloud KMS) instead of `signingKey`: the private key never enters the
   * process. Its public key is checked against `alg` at start-up and its signatures against its
   * public key before it is trusted ({@link TokenSigner}).
   */
  signer?: TokenSigner
  /** JWS algorithm: HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA. */
  alg: string
  /** `kid` header; default the signing JWK's `kid`. */
  kid?: string
  /** The `iss` of every token. Default none. */
  issuer?: string
  /** The `aud` of every token (per token: {@link IssueOverrides.audience}). Default none. */
  audience?: string | string[]
  /** Lifetime (`exp` = now + expiresIn). Required: a token that never expires cannot be taken back. */
  expiresIn: Duration
  /**
   * The longest lifetime `expiresIn` (here or per token) may ask for. Default `'24h'`: a leaked
   * bearer token is usable until it expires, so a long one must be chosen on purpose.
   */
  maxLifetime?: Duration
  /** `nbf` = now + notBefore. */
  notBefore?: Duration
  /**
   * `typ` header. Default `'at+jwt'`: what this issuer mints are access tokens for an API, and
   * RFC 9068 §2.1 types them so they cannot be confused with ID tokens or other JWTs (RFC 8725 §3.11).
   * Give another media type for other tokens, or `false` to send none.
   */
  typ?: string | false
  /** Encrypt the signed token to this recipient (the API): a nested JWE with `cty: "JWT"`. */
  encryptTo?: {
    /** Public key (SPKI PEM, certificate, JWK, CryptoKey) or, for dir / A*KW / A*GCMKW, the shared secret. */
    key: KeyMaterial
    /** dir, A128KW..A256GCMKW, RSA-OAEP(-256/384/512), ECDH-ES(+A*KW). */
    alg: string
    /** Default A256GCM. */
    enc?: string
    kid?: string
  }
}

/** Per-token changes to the issuer's defaults. */
export interface IssueOverrides {
  /** At most the issuer's `maxLifetime`. */
  expiresIn?: Duration
  /** `nbf` = now + notBefore, instead of the issuer's. */
  notBefore?: Duration
  /** `aud` for this token, instead of the issuer's. */
  audience?: string | string[]
  /** Default: a random UUID. */
  jti?: string
}

/**
 * What {@link createTokenIssuer} returns: mints tokens with one key and the issuer's defaults.
 *
 * @example
 * const token = await issuer.issue({ sub: user.id, roles: ['admin'] }, { expiresIn: '15m' })
 */
export interface TokenIssuer {
  /** A compact JWS, or a nested JWE when `encryptTo` is set. Sets iss, aud, iat, nbf, exp and a random jti. */
  issue(claims?: JWTPayload, overrides?: IssueOverrides): Promise<string>
  /**
   * The JWK Set verifiers need (RFC 7517 §5): the signing key's public half with kid, alg and use,
   * for a `/.well-known/jwks.json` route. Rejects for an HMAC secret (nothing is publishable) and
   * for a non-extractable private CryptoKey (give its public key to `publicJwks()` of the package).
   */
  publicJwks(): Promise<{ keys: JWK[] }>
  /**
   * Resolves once the issuer can sign: keys imported and, with a `signer`, one probe signature
   * made and verified against its public key. Call it at start-up to fail before serving; rejects
   * with the reason (a {@link SignerError} for a signer).
   */
  ready(): Promise<void>
}

const SIGNING_ALGS = JWS_ALGORITHM_NAMES
const ENCRYPTION_ALGS = ISSUING_KEY_MANAGEMENT_ALGS
// Set by issue() from the options and overrides; claims that try to set them are a programming error.
const RESERVED = ['iss', 'aud', 'exp', 'nbf', 'iat', 'jti']
const DEFAULT_MAX_LIFETIME = 24 * 60 * 60
const DEFAULT_TYP = 'at+jwt'
// RFC 7517 §4.3: a recipient JWK that states key_ops must allow one of these to be encrypted to.
const ENCRYPTION_OPS = ['encrypt', 'wrapKey', 'deriveKey', 'deriveBits']

const present = (what: string) =>
  v.custom<unknown>((value) => value !== undefined && value !== null, `is required: ${what}`)
const duration = v.union(
  [v.number(), v.string()],
  "must be a number of seconds or a string such as '15m'",
)
const nonEmpty = () => v.string(undefined, v.minLength(1))
const stringOrList = v.union(
  [nonEmpty(), v.array(nonEmpty(), undefined, v.minLength(1))],
  'must be a non-empty string or list of strings',
)
// The rules of util/validate.ts, as in options.ts: no schema library in the core.
// Per-token overrides: the same rules as the options, checked on every issue() call.
const overridesSchema = v.object({
  expiresIn: v.optional(duration),
  notBefore: v.optional(duration),
  audience: v.optional(stringOrList),
  jti: v.optional(v.string(undefined, v.minLength(1, 'must be a non-empty string'))),
})
const schema = v.object({
  signingKey: v.optional(v.unknown()),
  signer: v.optional(v.unknown()),
  alg: v.string("is required, e.g. 'ES256'"),
  kid: v.optional(nonEmpty()),
  issuer: v.optional(nonEmpty()),
  audience: v.optional(stringOrList),
  expiresIn: duration,
  maxLifetime: v.optional(duration),
  notBefore: v.optional(duration),
  typ: v.optional(v.union([nonEmpty(), v.literal(false)], 'Invalid input')),
  encryptTo: v.optional(
    v.object({
      key: present("the recipient's public key, or the shared secret"),
      alg: v.string("is required, e.g. 'RSA-OAEP-256'"),
      enc: v.optional(v.string()),
      kid: v.optional(nonEmpty()),
    }),
  ),
})

/**
 * Validates the options once (bad ones throw a TypeError that says how to fix them) and returns an
 * issuer whose `issue(claims)` signs, and with `encryptTo` also encrypts, a fresh token.
 *
 * @example
 * const issuer = createTokenIssuer({ signingKey: privatePem, alg: 'ES256', kid: 'sig-1',
 *   issuer: 'https://auth.example.com', audience: 'api', expiresIn: '15m',
 *   encryptTo: { key: apiPublicJwk, alg: 'RSA-OAEP-256', enc: 'A256GCM' } })
 * const token = await issuer.issue({ sub: 'user-42', roles: ['admin'] })
 */
export function createTokenIssuer(options: TokenIssuerOptions): TokenIssuer {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('tokengate: createTokenIssuer options must be an object')
  const issue = v.firstIssue(schema, options)
  if (issue) {
    const where = ['options', ...issue.path.map(String)].join('.')
    if (issue.kind === 'unknown')
      throw unknownOptionError(
        (issue.keys ?? []).map((k) => `${where}.${k}`),
        'check the spelling against createTokenIssuer in the README of @tokengate/core',
      )
    throw new TypeError(
      `tokengate: createTokenIssuer ${where} ${issue.input === undefined ? 'is required' : issue.message}`,
    )
  }
  const o = options
  const alg = o.alg
  if (alg.toLowerCase() === 'none')
    throw new TypeError(
      "tokengate: createTokenIssuer options.alg must not be 'none': an unsigned token can be forged by anyone (RFC 8725 §3.2)",
    )
  if (!jwsAlgorithm(alg))
    throw new TypeError(
      `tokengate: createTokenIssuer options.alg '${alg}' is not supported; use one of ${SIGNING_ALGS.join(', ')}`,
    )
  const hasKey = o.signingKey !== undefined && o.signingKey !== null
  if (hasKey === (o.signer !== undefined && o.signer !== null))
    throw new TypeError(
      hasKey
        ? 'tokengate: createTokenIssuer options.signingKey and options.signer are both set; give one: the key, or a signer that keeps it in an HSM/KMS'
        : 'tokengate: createTokenIssuer options.signingKey is required: a private key (PKCS#8 PEM, JWK, CryptoKey) or an HMAC secret, or give options.signer',
    )
  const signer = hasKey ? undefined : resolveSigner(o.signer, alg, o.kid)
  const signingKey =
    o.signingKey === undefined || o.signingKey === null
      ? undefined
      : describePrivateKey(o.signingKey, 'options.signingKey')
  if (signingKey) checkSigningKey(signingKey.shape, signingKey.alg, signingKey.use, alg)
  const kid = o.kid ?? signingKey?.kid
  const maxLifetime =
    o.maxLifetime === undefined
      ? DEFAULT_MAX_LIFETIME
      : Math.round(parseDuration(o.maxLifetime, 'options.maxLifetime'))
  const expiresIn = lifetime(o.expiresIn, 'options.expiresIn', maxLifetime)
  const typ = o.typ === undefined ? DEFAULT_TYP : o.typ
  const notBefore =
    o.notBefore === undefined
      ? undefined
      : Math.round(parseDuration(o.notBefore, 'options.notBefore'))
  const encryption = o.encryptTo && resolveEncryptTo(o.encryptTo)
  signingKey?.load(alg).catch(() => undefined) // import now, once; a failure surfaces on the first issue()

  const sign = async (header: Record<string, unknown>, payload: JWTPayload): Promise<string> => {
    if (signer) return signer.sign({ ...header, kid: await signer.kid }, payload)
    const key = await (signingKey as PrivateKey).load(alg)
    return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(key)
  }

  return {
    async publicJwks() {
      if (signer) return { keys: [await signer.publicJwk] }
      return { keys: [await publicJwkOf(signingKey as PrivateKey, o.signingKey, alg, kid)] }
    },
    async ready() {
      if (signer) await signer.probe()
      else await (signingKey as PrivateKey).load(alg)
      if (encryption) await encryption.key
    },
    async issue(claims = {}, overrides = {}) {
      if (typeof claims !== 'object' || claims === null || Array.isArray(claims))
        throw new TypeError('tokengate: issue() claims must be an object')
      checkOverrides(overrides)
      // RFC 7519 §4.1.2: sub is a StringOrURI; a number or object would be compared loosely by some verifiers.
      if ('sub' in claims && (typeof claims.sub !== 'string' || claims.sub === ''))
        throw new TypeError('tokengate: issue() claims.sub must be a non-empty string')
      for (const name of RESERVED) {
        if (name in claims)
          throw new TypeError(
            `tokengate: issue() claims must not set "${name}": it comes from the issuer options or the overrides argument`,
          )
      }
      const now = Math.floor(Date.now() / 1000)
      const ttl =
        overrides.expiresIn === undefined
          ? expiresIn
          : lifetime(overrides.expiresIn, 'overrides.expiresIn', maxLifetime)
      const nbf =
        overrides.notBefore === undefined
          ? notBefore
          : Math.round(parseDuration(overrides.notBefore, 'overrides.notBefore'))
      const audience = overrides.audience ?? o.audience
      const payload: JWTPayload = {
        ...claims,
        ...(o.issuer !== undefined && { iss: o.issuer }),
        ...(audience !== undefined && { aud: audience }),
        iat: now,
        ...(nbf !== undefined && { nbf: now + nbf }),
        exp: now + ttl,
        jti: overrides.jti ?? crypto.randomUUID(),
      }
      const header = {
        alg,
        ...(typ !== false && { typ }),
        ...(kid !== undefined && { kid }),
      }
      const jws = await sign(header, payload)
      if (!encryption) return jws
      // RFC 7519 §5.2: cty "JWT" marks the plaintext as a nested JWT.
      return new CompactEncrypt(new TextEncoder().encode(jws))
        .setProtectedHeader({
          alg: encryption.alg,
          enc: encryption.enc,
          cty: 'JWT',
          ...(encryption.kid !== undefined && { kid: encryption.kid }),
        })
        .encrypt(await encryption.key)
    },
  }
}

function checkSigningKey(
  shape: KeyShape,
  jwkAlg: string | undefined,
  use: string | undefined,
  alg: string,
): void {
  const opt = 'tokengate: createTokenIssuer options.signingKey'
  if (use !== undefined && use !== 'sig')
    throw new TypeError(`${opt} is a JWK with use "${use}"; signing keys have use "sig"`)
  if (jwkAlg !== undefined && jwkAlg !== alg)
    throw new TypeError(`${opt} is a JWK for alg "${jwkAlg}", not options.alg '${alg}'`)
  // RFC 7518 §3.2: the HMAC key must be at least the hash size, in every form (a CryptoKey states
  // its length in bits; a KeyObject secret arrives here as an oct shape with its byte count).
  const hmacBytes = jwsAlgorithm(alg)?.minBytes
  if (shape.kty === 'CryptoKey' && shape.hmacBytes !== undefined && hmacBytes !== undefined) {
    if (!(shape.hmacBytes >= hmacBytes))
      throw new TypeError(
        `${opt} is a ${shape.hmacBytes}-byte HMAC CryptoKey; ${alg} needs at least ${hmacBytes} random bytes (RFC 7518 §3.2), e.g. crypto.getRandomValues(new Uint8Array(${hmacBytes}))`,
      )
  }
  if (misfit(shape, alg) === undefined) return
  if (shape.kty === 'oct' && hmacBytes !== undefined) {
    throw new TypeError(
      `${opt} is a ${shape.bytes}-byte secret; ${alg} needs at least ${hmacBytes} random bytes (RFC 7518 §3.2), e.g. crypto.getRandomValues(new Uint8Array(${hmacBytes}))`,
    )
  }
  throw new TypeError(
    `${opt} does not fit options.alg '${alg}' (key type, curve, or RSA under 2048 bits); generateKeys('${alg}') makes one that does`,
  )
}

function lifetime(value: Duration, option: string, max: number): number {
  const seconds = Math.round(parseDuration(value, option))
  if (seconds < 1)
    throw new TypeError(`tokengate: createTokenIssuer ${option} must be at least one second`)
  if (seconds > max)
    throw new TypeError(
      `tokengate: createTokenIssuer ${option} is ${seconds} s, over the ${max} s maximum lifetime: a leaked token stays usable until it expires. Shorten it, or raise options.maxLifetime on purpose`,
    )
  return seconds
}

function checkOverrides(overrides: unknown): void {
  if (typeof overrides !== 'object' || overrides === null || Array.isArray(overrides))
    throw new TypeError('tokengate: issue() overrides must be an object')
  const issue = v.firstIssue(overridesSchema, overrides)
  if (!issue) return
  if (issue.kind === 'unknown')
    throw new TypeError(
      `tokengate: issue() has unknown override(s) ${(issue.keys ?? []).join(', ')}`,
    )
  const [name] = issue.path.map(String)
  // A failed union reports one of its branches; one message says what an audience may be.
  const message =
    name === 'audience' ? 'must be a non-empty string or list of non-empty strings' : issue.message
  throw new TypeError(`tokengate: issue() overrides.${name} ${message}`)
}

function resolveEncryptTo(e: NonNullable<TokenIssuerOptions['encryptTo']>) {
  const opt = 'tokengate: createTokenIssuer options.encryptTo'
  if (e.alg === 'RSA1_5')
    throw new TypeError(
      `${opt}.alg 'RSA1_5' is not supported: it is open to Bleichenbacher's padding-oracle attack (RFC 8725 §3.2); use 'RSA-OAEP-256'`,
    )
  if (!jweKeyManagement(e.alg) || !ENCRYPTION_ALGS.includes(e.alg as never))
    throw new TypeError(
      `${opt}.alg '${e.alg}' is not supported; use one of ${ENCRYPTION_ALGS.join(', ')}`,
    )
  const enc = e.enc ?? 'A256GCM'
  if (!jweContentEncryption(enc))
    throw new TypeError(
      `${opt}.enc '${enc}' is not supported; use one of ${DEFAULT_CONTENT_ENCRYPTION_ALGORITHMS.join(', ')}`,
    )
  checkRecipientUse(e.key, opt)
  const { shape, kid, load } = describeRecipientKey(e.key, 'options.encryptTo.key')
  if (misfit(shape, e.alg, enc) !== undefined) {
    throw new TypeError(
      `${opt}.key does not fit alg '${e.alg}' with enc '${enc}' (key type, curve, RSA under 2048 bits, or a secret of the wrong size)`,
    )
  }
  const key = load(e.alg)
  key.catch(() => undefined) // imported once, now; a failure surfaces on the first issue()
  return { alg: e.alg, enc, kid: e.kid ?? kid, key }
}

// RFC 7517 §4.2-4.3: a JWK marked for signatures (use "sig", or key_ops without an encryption
// operation) must not be used to encrypt: one key, one purpose (RFC 8725 §3.12 on key reuse).
function checkRecipientUse(key: unknown, opt: string): void {
  if (typeof key !== 'object' || key === null || typeof (key as JWK).kty !== 'string') return
  const { use, key_ops: ops } = key as JWK
  if (use !== undefined && use !== 'enc')
    throw new TypeError(
      `${opt}.key is a JWK with use "${String(use)}"; a key tokens are encrypted to has use "enc"`,
    )
  if (ops !== undefined && (!Array.isArray(ops) || !ops.some((op) => ENCRYPTION_OPS.includes(op))))
    throw new TypeError(
      `${opt}.key is a JWK whose key_ops allow none of ${ENCRYPTION_OPS.join(', ')}; give the recipient's encryption key`,
    )
}

// The public half of a signing key given in process, for issuer.publicJwks().
async function publicJwkOf(
  key: PrivateKey,
  material: unknown,
  alg: string,
  kid: string | undefined,
): Promise<JWK> {
  if (
    key.shape.kty === 'oct' ||
    (key.shape.kty === 'CryptoKey' && key.shape.hmacBytes !== undefined)
  )
    throw new TypeError(
      `tokengate: issuer.publicJwks(): ${alg} signs with a shared secret, which has no public half and must never be published`,
    )
  let full: JWK | undefined = key.jwk
  if (!full) {
    const loaded = await key.load(alg)
    if (loaded instanceof Uint8Array)
      throw new TypeError('tokengate: issuer.publicJwks(): not a key pair')
    if (loaded.extractable) full = await exportJWK(loaded)
    else if (pkcs8Pem(material))
      // The app's own PEM, imported once more as extractable only to read its public members.
      full = await exportJWK(
        await importPKCS8(pkcs8Pem(material) as string, alg, { extractable: true }),
      )
    else
      throw new TypeError(
        'tokengate: issuer.publicJwks(): options.signingKey is a non-extractable CryptoKey; publish its public key with publicJwks([publicJwk])',
      )
  }
  const pub: JWK = { kty: full.kty }
  for (const m of ['n', 'e', 'crv', 'x', 'y'] as const) if (full[m] !== undefined) pub[m] = full[m]
  return { ...pub, kid: kid ?? (await calculateJwkThumbprint(pub)), alg, use: 'sig' }
}

function pkcs8Pem(material: unknown): string | undefined {
  const text = material instanceof Uint8Array ? new TextDecoder().decode(material) : material
  if (typeof text !== 'string') return undefined
  return /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(text)?.[0]
}
