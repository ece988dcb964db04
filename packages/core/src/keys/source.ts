// Key sources: the `key` option resolved at start-up into the keys a token may be verified with.
import { AuthError } from '../errors.js'
import { checkRemoteUrl, RemoteKeySource } from './remote-jwks.js'
import {
  fittingAlgorithms,
  importFor,
  isSignatureJwk,
  MAX_CANDIDATES,
  prepareJwk,
  prepareKey,
  type KeyDescription,
  type KeySource,
  type PreparedKey,
} from './public-key.js'
import { jwsAlgorithm, misfit } from './algorithms.js'
import { parseDuration } from '../util/duration.js'
import { unknownOptionError } from '../util/options.js'
import type { KeyMaterial } from '../types.js'

/**
 * Resolves `options.key` (or an issuers entry's `key`: `owner` names where it is) against the
 * allowlist: throws a configuration error when a key cannot verify an allowed algorithm (RFC 8725 §3.1), and returns the source the pipeline asks per token.
 *
 * @example
 * const keys = resolveKeys({ jwksUri: 'https://idp.example/jwks' }, ['RS256'])
 */
export function resolveKeys(
  key: unknown,
  algorithms: readonly string[],
  owner = 'options',
): KeySource {
  // Where the options live: `options`, or an entry of `options.issuers`, named in every message.
  const keyPath = `${owner}.key`
  const algorithmsPath = `${owner}.algorithms`
  const symmetric = jwsAlgorithm(algorithms[0] as string)?.kty === 'oct'
  if (typeof key === 'object' && key !== null && ('jwksUri' in key || 'discovery' in key)) {
    const remote = key as {
      jwksUri?: unknown
      discovery?: unknown
      timeout?: unknown
      cooldown?: unknown
      cacheMaxAge?: unknown
      headers?: unknown
      allowHttp?: unknown
      allowJwksOrigins?: unknown
    }
    const name = 'jwksUri' in key ? `${keyPath}.jwksUri` : `${keyPath}.discovery`
    const extra = Object.keys(key).filter(
      (k) =>
        ![
          'jwksUri',
          'discovery',
          'timeout',
          'cooldown',
          'cacheMaxAge',
          'allowHttp',
          ...(name.endsWith('.jwksUri') ? ['headers'] : ['allowJwksOrigins']),
        ].includes(k),
    )
    if ('jwksUri' in key && 'discovery' in key)
      throw new TypeError(`tokengate: ${keyPath} takes either jwksUri or discovery, not both`)
    if (extra.length > 0)
      throw unknownOptionError(
        extra.map((k) => `${keyPath}.${k}`),
        `a remote key takes { ${name.slice(keyPath.length + 1)}, timeout?, cooldown?, cacheMaxAge?, allowHttp?${name.endsWith('.jwksUri') ? ', headers?' : ', allowJwksOrigins?'} }`,
      )
    const uri = remote.jwksUri ?? remote.discovery
    if (typeof uri !== 'string')
      throw new TypeError(`tokengate: ${name} must be an https URL string`)
    if (remote.allowHttp !== undefined && typeof remote.allowHttp !== 'boolean')
      throw new TypeError(`tokengate: ${keyPath}.allowHttp must be true or false`)
    const allowHttp = remote.allowHttp === true
    checkRemoteUrl(uri, name, allowHttp, keyPath)
    if (symmetric)
      throw new TypeError(
        `tokengate: ${name} cannot be used with HMAC algorithms (${algorithms.join(', ')}): a key set from a URL holds public keys; use RS256, ES256, EdDSA, ...`,
      )
    if (
      remote.headers !== undefined &&
      (typeof remote.headers !== 'object' || remote.headers === null)
    )
      throw new TypeError(
        `tokengate: ${keyPath}.headers must be a record of header names to values`,
      )
    const allowJwksOrigins = jwksOrigins(remote.allowJwksOrigins, uri, keyPath)
    return new RemoteKeySource({
      ...(typeof remote.jwksUri === 'string' ? { jwksUri: remote.jwksUri } : { discovery: uri }),
      ...remoteTimings(remote, keyPath),
      ...(remote.headers !== undefined && { headers: remote.headers as Record<string, string> }),
      algorithms,
      allowHttp,
      ...(allowJwksOrigins && { allowJwksOrigins }),
    })
  }
  if (typeof key === 'object' && key !== null && 'jwks' in key) {
    const jwks = (key as { jwks: unknown }).jwks
    const list = (jwks as { keys?: unknown } | null)?.keys
    if (!Array.isArray(list))
      throw new TypeError(
        `tokengate: ${keyPath}.jwks must be a JWK Set: { keys: [...] } (RFC 7517 §5)`,
      )
    const entries: Array<{ prepared: PreparedKey; kid: string | undefined; algs: string[] }> = []
    const misfits: Array<{ prepared: PreparedKey; kid: string | undefined; i: number }> = []
    for (const [i, jwk] of list.entries()) {
      // Encryption keys and the like share sets with signing keys: skip them. A signing key that
      // is private or cannot be imported fails here, naming its kid, not at every request.
      if (!isSignatureJwk(jwk)) continue
      const prepared = prepareJwk(jwk, `${keyPath}.jwks.keys.${i}`)
      const algs = fittingAlgorithms(prepared, algorithms)
      const kid = typeof jwk.kid === 'string' ? jwk.kid : undefined
      if (algs.length > 0) entries.push({ prepared, kid, algs })
      else misfits.push({ prepared, kid, i })
    }
    for (const alg of algorithms) {
      if (!entries.some((e) => e.algs.includes(alg))) {
        // Say why the nearest key does not fit (too small, say), rather than only that none does.
        const near = misfits.find(
          (m) => m.prepared.desc.kty === jwsAlgorithm(alg)?.kty && misfit(m.prepared.desc, alg),
        )
        const why = near
          ? ` (${keyPath}.jwks.keys.${near.i}${near.kid === undefined ? '' : ` with kid ${JSON.stringify(near.kid.slice(0, 64))}`}: ${misfit(near.prepared.desc, alg)})`
          : ''
        throw new TypeError(
          `tokengate: ${algorithmsPath} lists ${alg}, but no key in ${keyPath}.jwks can verify it${why}; remove ${alg} or add a fitting key`,
        )
      }
    }
    return new StaticKeySource(entries, true)
  }
  let prepared: PreparedKey
  try {
    prepared = prepareKey(key as KeyMaterial, keyPath, algorithmsPath)
  } catch (err) {
    // A private or PKCS#1 PEM given for HS*: say the HMAC fix too, not only the PEM one.
    const text = typeof key === 'string' || key instanceof Uint8Array
    if (symmetric && text && err instanceof TypeError && !err.message.includes('random secret'))
      throw new TypeError(
        `${err.message}. Key material is never an HMAC secret (RFC 8725 §3.1): for ${algorithms.join(', ')} use a random secret of at least 32 bytes, or list an asymmetric algorithm (RS256, ES256, EdDSA, ...) to verify with a public key`,
        { cause: err },
      )
    throw err
  }
  if (prepared.form === 'spki' || prepared.form === 'x509' ? symmetric : false) {
    throw new TypeError(
      `tokengate: ${keyPath} is a public-key PEM, and ${algorithms.join(', ')} needs a shared secret: a public key must never be used as an HMAC secret (RFC 8725 §3.1): anyone holding it could forge tokens. List an asymmetric algorithm (RS256, ES256, EdDSA, ...) in ${algorithmsPath} to verify with this key, or use a random secret of at least 32 bytes`,
    )
  }
  for (const alg of algorithms) {
    const why = misfit(prepared.desc, alg)
    if (why)
      throw new TypeError(
        `tokengate: ${keyPath} cannot verify ${alg}: ${why}; change ${algorithmsPath} or ${keyPath}`,
      )
    if (prepared.form === 'jwk' && prepared.jwkAlg !== undefined && prepared.jwkAlg !== alg) {
      throw new TypeError(
        `tokengate: ${keyPath} is a JWK for alg ${prepared.jwkAlg}, so it cannot verify ${alg}; change ${algorithmsPath}`,
      )
    }
  }
  return new StaticKeySource([{ prepared, kid: undefined, algs: [...algorithms] }], false)
}

/** Longest timer the runtimes honour (2^31 - 1 ms); a longer one fires at once in Node. */
const MAX_TIMER_MS = 2_147_483_647

/**
 * The remote timings, refused at start-up when they can never work: a zero timeout aborts every
 * fetch, a zero cooldown lets a flood of unknown `kid`s become a flood of fetches, and keys cannot
 * be refreshed more often than once per cooldown, so a smaller `cacheMaxAge` could not be honoured.
 */
function remoteTimings(
  remote: { timeout?: unknown; cooldown?: unknown; cacheMaxAge?: unknown },
  keyPath: string,
): {
  timeoutMs: number
  cooldownMs: number
  cacheMaxAgeMs: number
} {
  const ms = (value: unknown, fallback: number, option: string) =>
    parseDuration((value ?? fallback) as string | number, option) * 1000
  const timeoutMs = ms(remote.timeout, 5, `${keyPath}.timeout`)
  const cooldownMs = ms(remote.cooldown, 30, `${keyPath}.cooldown`)
  const cacheMaxAgeMs = ms(remote.cacheMaxAge, 600, `${keyPath}.cacheMaxAge`)
  if (timeoutMs < 1 || timeoutMs > MAX_TIMER_MS)
    throw new TypeError(
      `tokengate: ${keyPath}.timeout must be between 1ms and ${MAX_TIMER_MS / 1000}s (a fetch with no time at all always fails); the default is '5s'`,
    )
  if (cooldownMs < 1000)
    throw new TypeError(
      `tokengate: ${keyPath}.cooldown must be at least '1s': it bounds how often an unknown kid or a failing server triggers a fetch; the default is '30s'`,
    )
  if (cacheMaxAgeMs < cooldownMs)
    throw new TypeError(
      `tokengate: ${keyPath}.cacheMaxAge must be at least ${keyPath}.cooldown: keys are fetched at most once per cooldown; raise cacheMaxAge (default 10m) or lower cooldown`,
    )
  return { timeoutMs, cooldownMs, cacheMaxAgeMs }
}

/** `allowJwksOrigins`: https origins (no path) a discovered `jwks_uri` may name besides the issuer's. */
function jwksOrigins(value: unknown, uri: string, keyPath: string): string[] | undefined {
  if (value === undefined) return undefined
  const how = "list https origins such as ['https://keys.example.com'] (scheme and host, no path)"
  if (!Array.isArray(value))
    throw new TypeError(`tokengate: ${keyPath}.allowJwksOrigins must be a list: ${how}`)
  return value.map((origin, i) => {
    const where = `${keyPath}.allowJwksOrigins.${i}`
    if (typeof origin !== 'string')
      throw new TypeError(`tokengate: ${where} must be a string: ${how}`)
    const url = checkRemoteUrl(origin, where, false, keyPath)
    if (url.protocol !== 'https:' || url.href !== `${url.origin}/` || origin.endsWith('/'))
      throw new TypeError(`tokengate: ${where} must be an https origin: ${how}`)
    if (url.origin === new URL(uri).origin)
      throw new TypeError(
        `tokengate: ${where} is the issuer's own origin, which is always allowed; remove it`,
      )
    return url.origin
  })
}

/** A key source over keys known at start-up: one key (any `kid` accepted) or a local JWKS (by `kid`). */
export class StaticKeySource implements KeySource {
  readonly #entries: ReadonlyArray<{
    prepared: PreparedKey
    kid: string | undefined
    algs: string[]
  }>
  readonly #byKid: boolean
  #table: Map<string, Array<{ kid: string | undefined; key: CryptoKey }>> | undefined
  readonly #singles = new Map<string, readonly CryptoKey[]>()
  #loading: Promise<Map<string, Array<{ kid: string | undefined; key: CryptoKey }>>> | undefined
  readonly #broken = new Map<string, Array<{ kid: string | undefined; cause: unknown }>>()

  constructor(
    entries: ReadonlyArray<{ prepared: PreparedKey; kid: string | undefined; algs: string[] }>,
    byKid: boolean,
  ) {
    this.#entries = entries
    this.#byKid = byKid
  }

  /** The configured keys by `kid` and algorithms, for explain mode. */
  describe(): KeyDescription[] {
    return this.#entries.map((e) => ({ kid: e.kid, algorithms: e.algs }))
  }

  select(
    alg: string,
    kid: string | undefined,
  ): readonly CryptoKey[] | Promise<readonly CryptoKey[]> {
    const table = this.#table
    if (table) return this.#pick(table, alg, kid)
    this.#loading ??= this.#load()
    return this.#loading.then((t) => this.#pick(t, alg, kid))
  }

  #pick(
    table: Map<string, Array<{ kid: string | undefined; key: CryptoKey }>>,
    alg: string,
    kid: string | undefined,
  ): readonly CryptoKey[] {
    const list = table.get(alg)
    // One configured key: the token's kid is irrelevant (there is nothing to choose between).
    if (!this.#byKid) {
      const single = this.#singles.get(alg)
      if (single) return single
    }
    const keys: CryptoKey[] = []
    for (const entry of list ?? []) {
      if (kid !== undefined ? entry.kid === kid : keys.length < MAX_CANDIDATES) keys.push(entry.key)
    }
    if (keys.length === 0) {
      const broken = this.#broken.get(alg)?.find((b) => kid === undefined || b.kid === kid)
      if (broken)
        throw new AuthError(
          'keys_unavailable',
          'a configured verification key could not be imported',
          {
            // The kid goes to the operator (in cause), not into the response to the client.
            cause: new Error(
              `tokengate: the key${broken.kid === undefined ? '' : ` with kid ${JSON.stringify(broken.kid)}`} in options.key cannot be imported for ${alg}; fix or remove it`,
              { cause: broken.cause },
            ),
          },
        )
      throw new AuthError(
        'key_not_found',
        kid === undefined ? `no key for alg ${alg}` : 'no key matches the token kid',
      )
    }
    return keys
  }

  async #load(): Promise<Map<string, Array<{ kid: string | undefined; key: CryptoKey }>>> {
    const table = new Map<string, Array<{ kid: string | undefined; key: CryptoKey }>>()
    for (const { prepared, kid, algs } of this.#entries) {
      for (const alg of algs) {
        let key: CryptoKey
        try {
          key = await importFor(prepared, alg)
        } catch (cause) {
          // Start-up checks make this unreachable for known runtimes; should one still refuse a key,
          // the other keys keep working and a token for this one is 503, never a 500 (RFC 6750 §3.1).
          this.#broken.set(alg, [...(this.#broken.get(alg) ?? []), { kid, cause }])
          continue
        }
        const list = table.get(alg) ?? []
        list.push({ kid, key })
        table.set(alg, list)
        if (!this.#singles.has(alg)) this.#singles.set(alg, [key])
      }
    }
    this.#table = table
    return table
  }
}
