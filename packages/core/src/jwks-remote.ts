// Remote keys: a JWKS fetched from `jwksUri` or found through discovery, cached, refreshed with a cooldown.
import type { JWK } from 'jose'
import { AuthError } from './errors.js'
import {
  fittingAlgorithms,
  importFor,
  MAX_CANDIDATES,
  prepareJwk,
  type KeySource,
  type PreparedKey,
} from './keys.js'

/** Bodies larger than this (JWKS or discovery document) are refused: a key set is a few KiB. */
export const MAX_BODY_BYTES = 512 * 1024

export interface RemoteKeysConfig {
  /** Either the JWKS URL, or the issuer to discover it from (OpenID Connect Discovery 1.0 / RFC 8414). */
  jwksUri?: string
  discovery?: string
  timeoutMs: number
  cooldownMs: number
  cacheMaxAgeMs: number
  headers?: Record<string, string>
  algorithms: readonly string[]
  /** Accept http URLs for hosts that are not loopback (a private test network). */
  allowHttp?: boolean
}

interface RemoteEntry {
  kid: string | undefined
  prepared: PreparedKey
  algs: readonly string[]
  imported: Map<string, Promise<CryptoKey | undefined>>
}

/**
 * Remote key set with the resilience rules of DESIGN.md: one in-flight fetch shared by all requests,
 * a hard deadline, capped bodies, stale keys kept when the server fails (stale-if-error), unknown
 * `kid`s refetch at most once per cooldown, and 503 `keys_unavailable` only when nothing was ever fetched.
 */
export class RemoteKeySource implements KeySource {
  readonly #config: RemoteKeysConfig
  #entries: RemoteEntry[] | undefined
  #fetchedAt = Number.NEGATIVE_INFINITY
  #lastAttempt = Number.NEGATIVE_INFINITY
  #inflight: Promise<void> | undefined
  /** Imported keys per `alg` or `alg kid`, for the current set only (cleared when it is replaced). */
  readonly #resolved = new Map<string, readonly CryptoKey[]>()
  #jwksUri: string | undefined

  constructor(config: RemoteKeysConfig) {
    this.#config = config
    this.#jwksUri = config.jwksUri
  }

  async select(alg: string, kid: string | undefined): Promise<readonly CryptoKey[]> {
    const { cooldownMs, cacheMaxAgeMs } = this.#config
    if (this.#entries === undefined || Date.now() - this.#fetchedAt >= cacheMaxAgeMs) {
      await this.#refresh().catch(() => undefined)
    } else {
      // Hot path: keys already imported for this (alg, kid) in the current set.
      const known = this.#resolved.get(kid === undefined ? alg : `${alg} ${kid}`)
      if (known) return known
    }
    if (this.#entries === undefined) {
      const wait = Math.max(1, Math.ceil((this.#lastAttempt + cooldownMs - Date.now()) / 1000))
      throw new AuthError('keys_unavailable', 'the verification keys cannot be fetched right now', {
        retryAfter: wait,
      })
    }
    let matches = this.#match(alg, kid)
    if (matches.length === 0 && Date.now() - this.#lastAttempt >= cooldownMs) {
      // An unknown kid may mean the issuer rotated its keys: refetch once per cooldown.
      await this.#refresh().catch(() => undefined)
      matches = this.#match(alg, kid)
    }
    if (matches.length === 0) {
      throw new AuthError(
        'key_not_found',
        kid === undefined
          ? `no key in the key set for alg ${alg}`
          : 'no key in the key set matches the token kid',
      )
    }
    const keys: CryptoKey[] = []
    for (const entry of matches) {
      let imported = entry.imported.get(alg)
      if (!imported) {
        imported = importFor(entry.prepared, alg).catch(() => undefined)
        entry.imported.set(alg, imported)
      }
      const key = await imported
      if (key) keys.push(key)
    }
    if (keys.length === 0)
      throw new AuthError('key_not_found', 'the matching key in the key set cannot be used')
    // Bounded: only kids present in the set (times the allowed algs) ever get an entry.
    this.#resolved.set(kid === undefined ? alg : `${alg} ${kid}`, keys)
    return keys
  }

  #match(alg: string, kid: string | undefined): RemoteEntry[] {
    const out: RemoteEntry[] = []
    for (const entry of this.#entries ?? []) {
      if (!entry.algs.includes(alg)) continue
      if (kid !== undefined ? entry.kid === kid : out.length < MAX_CANDIDATES) out.push(entry)
    }
    return out
  }

  /** Starts (or joins) the one fetch in flight; respects the cooldown after a failure. */
  #refresh(): Promise<void> {
    if (this.#inflight) return this.#inflight
    // At most one attempt per cooldown, also when a refresh of stale keys fails: meanwhile the stale
    // keys are used (stale-if-error) instead of sending every request to a failing server.
    if (Date.now() - this.#lastAttempt < this.#config.cooldownMs) {
      return this.#entries === undefined
        ? Promise.reject(new Error('cooling down after a failed fetch'))
        : Promise.resolve()
    }
    this.#lastAttempt = Date.now()
    const inflight = this.#load(AbortSignal.timeout(this.#config.timeoutMs)).finally(() => {
      this.#inflight = undefined
    })
    this.#inflight = inflight
    return inflight
  }

  async #load(signal: AbortSignal): Promise<void> {
    this.#jwksUri ??= await discoverJwksUri(
      this.#config.discovery as string,
      signal,
      this.#config.allowHttp,
    )
    const body = await fetchJson(this.#jwksUri, signal, this.#config.headers)
    const keys = (body as { keys?: unknown } | undefined)?.keys
    if (!Array.isArray(keys)) throw new Error('the response is not a JWK Set (RFC 7517 §5)')
    const entries: RemoteEntry[] = []
    for (const jwk of keys) {
      const entry = toEntry(jwk, this.#config.algorithms)
      if (entry) entries.push(entry)
    }
    this.#entries = entries
    this.#resolved.clear()
    this.#fetchedAt = Date.now()
  }
}

function toEntry(jwk: unknown, algorithms: readonly string[]): RemoteEntry | undefined {
  if (typeof jwk !== 'object' || jwk === null || (jwk as JWK).kty === 'oct') return undefined // secrets never come from a URL
  let prepared: PreparedKey
  try {
    prepared = prepareJwk(jwk as JWK, 'remote JWK')
  } catch {
    return undefined // an encryption key, an unsupported type, a broken key: not usable, not fatal
  }
  const algs = fittingAlgorithms(prepared, algorithms)
  const kid = (jwk as JWK).kid
  if (algs.length === 0 || (kid !== undefined && typeof kid !== 'string')) return undefined
  return { kid, prepared, algs, imported: new Map() }
}

/**
 * OpenID Connect Discovery 1.0 §4, then RFC 8414 §3; the document's issuer must equal ours exactly
 * (OIDC Discovery §4.3, RFC 8414 §3.3), which defeats a document served for another issuer.
 */
async function discoverJwksUri(
  issuer: string,
  signal: AbortSignal,
  allowHttp = false,
): Promise<string> {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  const candidates = [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ]
  let failure: unknown
  for (const candidate of candidates) {
    try {
      const doc = (await fetchJson(candidate, signal)) as
        { issuer?: unknown; jwks_uri?: unknown } | undefined
      if (doc?.issuer !== issuer) throw new Error('the discovery document names another issuer')
      if (typeof doc.jwks_uri !== 'string')
        throw new Error('the discovery document has no jwks_uri')
      checkRemoteUrl(doc.jwks_uri, 'the discovered jwks_uri', allowHttp)
      return doc.jwks_uri
    } catch (err) {
      failure = err
      if (signal.aborted) break
    }
  }
  throw failure
}

/**
 * Remote keys must come over https: whoever can change them in transit can mint tokens.
 * http is accepted for loopback hosts (127.0.0.0/8, [::1], localhost and *.localhost, RFC 6761 §6.3),
 * and elsewhere only with an explicit `allowHttp` (a private test network).
 */
export function checkRemoteUrl(value: string, name: string, allowHttp = false): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`tokengate: ${name} must be an absolute https URL`)
  }
  if (url.protocol === 'https:') return url
  if (url.protocol === 'http:' && (allowHttp || isLoopback(url.hostname))) return url
  throw new TypeError(
    url.protocol === 'http:'
      ? `tokengate: ${name} must use https (http is accepted only for loopback hosts, or for a private network with options.key.allowHttp: true)`
      : `tokengate: ${name} must be an https URL`,
  )
}

function isLoopback(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname.endsWith('.localhost') ||
    hostname === '[::1]' ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  )
}

async function fetchJson(
  url: string,
  signal: AbortSignal,
  headers?: Record<string, string>,
): Promise<unknown> {
  const response = await fetch(url, {
    signal,
    redirect: 'manual',
    headers: { accept: 'application/json', ...headers },
  })
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined)
    throw new Error(`unexpected HTTP status ${response.status}`)
  }
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined)
    throw new Error('response too large')
  }
  return JSON.parse(await readCapped(response))
}

async function readCapped(response: Response): Promise<string> {
  if (!response.body) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.length
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined)
      throw new Error('response too large')
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
}
