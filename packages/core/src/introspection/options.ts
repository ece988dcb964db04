// options.introspection (RFC 7662): checked and resolved once, at start-up, with messages that say how to fix.
import { jwsAlgorithm, misfit, type KeyShape } from '../keys/algorithms.js'
import type { KeySource } from '../keys/public-key.js'
import { describePrivateKey, type PrivateKey } from '../keys/private-key.js'
import { checkRemoteUrl } from '../keys/remote-jwks.js'
import type { KeyMaterial } from '../types.js'
import { parseDuration } from '../util/duration.js'
import { rejectUnknownOptions } from '../util/options.js'

/** How the resource server authenticates to the introspection endpoint (RFC 7662 §2.1). */
export type ClientAuth =
  | { method: 'client_secret_basic' | 'client_secret_post'; id: string; secret: string }
  | { method: 'private_key_jwt'; id: string; key: PrivateKey; alg: string; kid: string | undefined }

/** options.introspection, resolved. */
export interface IntrospectionConfig {
  /** The endpoint, or undefined when it is read from the issuer's discovery document. */
  endpoint: string | undefined
  /** The issuer to discover the endpoint from (options.key.discovery). */
  discovery: string | undefined
  /** The authorization server's issuer identifier, when known (discovery, or one options.issuer). */
  asIssuer: string | undefined
  client: ClientAuth
  /** `token_type_hint` (RFC 7662 §2.1), or undefined to send none. */
  tokenTypeHint: string | undefined
  /** Ask for a signed answer (RFC 9701), verified with these keys and algorithms. */
  jwtResponse: { keys: KeySource; algorithms: ReadonlySet<string> } | undefined
  /** The resource server's own identifiers, one of which a JWT answer's `aud` must name (RFC 9701 §5). */
  audiences: readonly string[]
  mode: 'opaque' | 'always'
  timeoutMs: number
  /** Undefined when caching is off. */
  cache: { maxAgeMs: number; negativeTtlMs: number; max: number; maxBytes: number } | undefined
}

/** What the rest of the options contribute: the keys, the issuer, the audience. */
export interface IntrospectionContext {
  keys: KeySource
  algorithms: ReadonlySet<string>
  discovery: string | undefined
  issuers: readonly string[] | undefined
  audiences: readonly string[] | undefined
  multiIssuer: boolean
}

const PATH = 'options.introspection'
const MEMBERS = ['endpoint', 'client', 'tokenTypeHint', 'jwtResponse', 'mode', 'cache', 'timeout']
const CLIENT_MEMBERS = ['id', 'secret', 'auth', 'key', 'alg', 'kid']
const CACHE_MEMBERS = ['maxAge', 'negativeTtl', 'max', 'maxBytes']
const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt']

/** Defaults: a revoked token is refused at most 30 s after the authorization server revoked it. */
export const DEFAULT_MAX_AGE_S = 30
export const DEFAULT_NEGATIVE_TTL_S = 10
export const DEFAULT_TIMEOUT_S = 5
export const DEFAULT_CACHE_MAX = 10_000
export const DEFAULT_CACHE_MAX_BYTES = 16 * 1024 * 1024

/**
 * Resolves `options.introspection`; undefined when it is not set. Throws a TypeError naming the
 * member and the fix; secrets and keys are never quoted.
 *
 * @example
 * resolveIntrospection({ client: { id: 'api', secret } }, { keys, algorithms, discovery: issuer, ... })
 */
export function resolveIntrospection(
  value: unknown,
  context: IntrospectionContext,
): IntrospectionConfig | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(
      `tokengate: ${PATH} must be an object such as { client: { id, secret } } (the endpoint comes from discovery or ${PATH}.endpoint)`,
    )
  rejectUnknownOptions(
    value,
    MEMBERS,
    PATH,
    `${PATH} takes { endpoint?, client, tokenTypeHint?, jwtResponse?, mode?, cache?, timeout? }`,
  )
  if (context.multiIssuer)
    throw new TypeError(
      `tokengate: ${PATH} cannot be combined with options.issuers: introspection asks one authorization server; create one authenticator per authorization server`,
    )
  const o = value as Record<string, unknown>
  const endpoint = resolveEndpoint(o.endpoint, context.discovery)
  const asIssuer =
    context.discovery ?? (context.issuers?.length === 1 ? context.issuers[0] : undefined)
  const client = resolveClient(o.client)
  if (o.jwtResponse !== undefined && typeof o.jwtResponse !== 'boolean')
    throw new TypeError(`tokengate: ${PATH}.jwtResponse must be true or false`)
  if (o.jwtResponse === true && asIssuer === undefined)
    throw new TypeError(
      `tokengate: ${PATH}.jwtResponse needs the authorization server's issuer to check the answer's iss (RFC 9701 §5): set options.issuer to it (one value), or use key: { discovery }`,
    )
  if (o.mode !== undefined && o.mode !== 'opaque' && o.mode !== 'always')
    throw new TypeError(
      `tokengate: ${PATH}.mode must be 'opaque' (default: only tokens that are not a JWS or JWE are introspected) or 'always'`,
    )
  let tokenTypeHint: string | undefined = 'access_token'
  if (o.tokenTypeHint === false) tokenTypeHint = undefined
  else if (o.tokenTypeHint !== undefined) {
    if (typeof o.tokenTypeHint !== 'string' || !/^[\x21-\x7e]{1,64}$/.test(o.tokenTypeHint))
      throw new TypeError(
        `tokengate: ${PATH}.tokenTypeHint must be a token type such as 'access_token' (the default), or false to send none`,
      )
    tokenTypeHint = o.tokenTypeHint
  }
  return {
    endpoint,
    discovery: endpoint === undefined ? context.discovery : undefined,
    asIssuer,
    client,
    tokenTypeHint,
    jwtResponse:
      o.jwtResponse === true ? { keys: context.keys, algorithms: context.algorithms } : undefined,
    audiences: [client.id, ...(context.audiences ?? [])],
    mode: (o.mode as 'opaque' | 'always' | undefined) ?? 'opaque',
    timeoutMs: milliseconds(o.timeout ?? DEFAULT_TIMEOUT_S, `${PATH}.timeout`, 1),
    cache: resolveCache(o.cache),
  }
}

function resolveEndpoint(value: unknown, discovery: string | undefined): string | undefined {
  if (value === undefined) {
    if (discovery === undefined)
      throw new TypeError(
        `tokengate: ${PATH}.endpoint is required (the authorization server's introspection URL), unless options.key is { discovery } and its document lists introspection_endpoint`,
      )
    return undefined
  }
  if (typeof value !== 'string')
    throw new TypeError(`tokengate: ${PATH}.endpoint must be an https URL string`)
  const url = checkRemoteUrl(value, `${PATH}.endpoint`, false, PATH)
  // Credentials go in the Authorization header or the body, never in a URL that may be logged.
  if (url.username !== '' || url.password !== '')
    throw new TypeError(
      `tokengate: ${PATH}.endpoint must not carry credentials in the URL: put them in ${PATH}.client`,
    )
  if (url.hash !== '')
    throw new TypeError(`tokengate: ${PATH}.endpoint must not have a fragment (#...)`)
  return url.href
}

function resolveClient(value: unknown): ClientAuth {
  const where = `${PATH}.client`
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(
      `tokengate: ${where} is required: { id, secret } (client_secret_basic), { id, secret, auth: 'client_secret_post' } or { id, auth: 'private_key_jwt', key }`,
    )
  rejectUnknownOptions(
    value,
    CLIENT_MEMBERS,
    where,
    `${where} takes { id, secret?, auth?, key?, alg?, kid? }`,
  )
  const c = value as Record<string, unknown>
  if (typeof c.id !== 'string' || c.id === '')
    throw new TypeError(
      `tokengate: ${where}.id must be the client id registered at the authorization server (a non-empty string)`,
    )
  const auth = c.auth ?? (c.key !== undefined ? 'private_key_jwt' : 'client_secret_basic')
  if (typeof auth !== 'string' || !AUTH_METHODS.includes(auth))
    throw new TypeError(`tokengate: ${where}.auth must be one of ${AUTH_METHODS.join(', ')}`)
  if (auth !== 'private_key_jwt') {
    // The value of a secret is never quoted, only whether it is there.
    if (typeof c.secret !== 'string' || c.secret === '')
      throw new TypeError(
        `tokengate: ${where}.secret is required for ${auth}: the client secret (a non-empty string)`,
      )
    for (const member of ['key', 'alg', 'kid'])
      if (c[member] !== undefined)
        throw new TypeError(
          `tokengate: ${where}.${member} is for auth: 'private_key_jwt' only; remove it or set auth: 'private_key_jwt'`,
        )
    return {
      method: auth as 'client_secret_basic' | 'client_secret_post',
      id: c.id,
      secret: c.secret,
    }
  }
  if (c.secret !== undefined)
    throw new TypeError(
      `tokengate: ${where}.secret must not be set with auth: 'private_key_jwt' (the client signs an assertion with ${where}.key instead)`,
    )
  if (c.key === undefined || c.key === null)
    throw new TypeError(
      `tokengate: ${where}.key is required for private_key_jwt: the client's private key (a PKCS#8 PEM, a private JWK or a CryptoKey)`,
    )
  const key = describePrivateKey(c.key as KeyMaterial, `${where}.key`)
  if (key.shape.kty === 'oct')
    throw new TypeError(
      `tokengate: ${where}.key must be a private key, not a secret: private_key_jwt signs with an asymmetric key (RFC 7523); for a shared secret use client_secret_basic`,
    )
  if (c.kid !== undefined && typeof c.kid !== 'string')
    throw new TypeError(
      `tokengate: ${where}.kid must be a string (the kid registered in the client's JWKS)`,
    )
  const alg = c.alg ?? key.alg ?? defaultAlg(key.shape)
  if (typeof alg !== 'string' || !jwsAlgorithm(alg) || jwsAlgorithm(alg)?.kty === 'oct')
    throw new TypeError(
      `tokengate: ${where}.alg must name an asymmetric JWS algorithm the key can sign with, e.g. 'RS256', 'PS256', 'ES256' or 'EdDSA'`,
    )
  const why = misfit(key.shape, alg)
  if (why) throw new TypeError(`tokengate: ${where}.key cannot sign ${alg}: ${why}`)
  return {
    method: 'private_key_jwt',
    id: c.id,
    key,
    alg,
    kid: (c.kid as string | undefined) ?? key.kid,
  }
}

/** The algorithm a key's type implies, when the JWK names none. */
function defaultAlg(shape: KeyShape): string | undefined {
  if (shape.kty === 'RSA') return shape.pssOnly ? 'PS256' : 'RS256'
  if (shape.kty === 'EC')
    return ({ 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as Record<string, string>)[
      shape.crv
    ]
  if (shape.kty === 'OKP') return 'EdDSA'
  if (shape.kty === 'CryptoKey') return shape.algs[0]
  return undefined
}

function resolveCache(value: unknown): IntrospectionConfig['cache'] {
  const where = `${PATH}.cache`
  if (value === false) return undefined
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value)))
    throw new TypeError(
      `tokengate: ${where} must be false or { maxAge?, negativeTtl?, max?, maxBytes? }`,
    )
  const c = (value ?? {}) as Record<string, unknown>
  rejectUnknownOptions(
    c,
    CACHE_MEMBERS,
    where,
    `${where} takes { maxAge?, negativeTtl?, max?, maxBytes? }`,
  )
  const max = c.max ?? DEFAULT_CACHE_MAX
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1)
    throw new TypeError(
      `tokengate: ${where}.max must be a positive integer (default ${DEFAULT_CACHE_MAX})`,
    )
  const maxBytes = c.maxBytes ?? DEFAULT_CACHE_MAX_BYTES
  if (typeof maxBytes !== 'number' || !Number.isInteger(maxBytes) || maxBytes < 1024 * 1024)
    throw new TypeError(
      `tokengate: ${where}.maxBytes must be an integer of at least 1048576 (1 MiB); the default is 16 MiB`,
    )
  return {
    maxAgeMs: milliseconds(c.maxAge ?? DEFAULT_MAX_AGE_S, `${where}.maxAge`, 0),
    negativeTtlMs: milliseconds(c.negativeTtl ?? DEFAULT_NEGATIVE_TTL_S, `${where}.negativeTtl`, 0),
    max,
    maxBytes,
  }
}

/** A duration in ms, from `min` ms to 2^31-1 ms (longer timers fire at once). */
function milliseconds(value: unknown, where: string, min: number): number {
  const ms = Math.round(parseDuration(value as string | number, where) * 1000)
  if (ms < min || ms > 2 ** 31 - 1)
    throw new TypeError(
      `tokengate: ${where} must be from ${min === 0 ? '0' : '1ms'} to 24 days, e.g. '5s'`,
    )
  return ms
}
