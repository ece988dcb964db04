// Remote keys: a JWKS fetched from `jwksUri` or found through discovery, cached, refreshed with a cooldown.
import type { JWK } from 'jose'
import { AuthError } from '../errors.js'
import { KeyFailureError, type KeyFetchEvent } from '../events.js'
import { joinWithin } from '../util/deadline.js'
import { describeFetchFailure, safeUrl } from './fetch-failure.js'
import {
  fittingAlgorithms,
  importFor,
  MAX_CANDIDATES,
  type KeyDescription,
  prepareJwk,
  type KeySource,
  type PreparedKey,
} from './public-key.js'

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
  /** Origins (https) besides the issuer's own that a discovered `jwks_uri` may name. */
  allowJwksOrigins?: readonly string[]
  /** Internal seam for tests: the import of one key (default: public-key.ts importFor). */
  importKey?: (prepared: PreparedKey, alg: string) => Promise<CryptoKey>
}

interface RemoteEntry {
  kid: string | undefined
  prepared: PreparedKey
  algs: readonly string[]
  imported: Map<string, Promise<CryptoKey | undefined>>
  /** The JWK's members, canonical: tells a kept key from a removed or replaced one across refreshes. */
  identity: string
}

/** One fetched key set. Everything derived from it lives on it, so nothing outlives it by accident. */
interface RemoteSet {
  readonly entries: readonly RemoteEntry[]
  readonly fetchedAt: number
  /** Imported keys per `alg` or `alg kid`, for this set only. */
  readonly resolved: Map<string, readonly CryptoKey[]>
}

/**
 * Remote key set with the resilience rules of docs/ARCHITECTURE.md: one in-flight fetch shared by
 * all requests, a hard deadline, capped bodies, keys past `cacheMaxAge` served at once while a
 * refresh runs in the background (stale-while-revalidate, RFC 5861 §3) and kept when it fails
 * (stale-if-error, §4), unknown `kid`s refetch at most once per cooldown, and 503
 * `keys_unavailable` only when nothing was ever fetched.
 */
export class RemoteKeySource implements KeySource {
  readonly #config: RemoteKeysConfig
  #set: RemoteSet | undefined
  /**
   * Counts refreshes that removed or replaced a key. A verified-token cache entry records it (see
   * cache.ts): an entry from an earlier generation may rest on a key the issuer has withdrawn.
   */
  #generation = 0
  #lastAttempt = Number.NEGATIVE_INFINITY
  #lastError: unknown
  #inflight: Promise<void> | undefined
  #jwksUri: string | undefined
  /** onKeyFetch listeners (issue 16): every authenticator observing this source. */
  readonly #fetchListeners = new Set<(event: KeyFetchEvent) => void>()

  constructor(config: RemoteKeysConfig) {
    this.#config = config
    this.#jwksUri = config.jwksUri
  }

  /** Reports every fetch (ok or failed, background refreshes included) to `listener`. */
  onFetch(listener: (event: KeyFetchEvent) => void): void {
    this.#fetchListeners.add(listener)
  }

  /** The keys of the current set (none before the first fetch), for explain mode. */
  describe(): KeyDescription[] {
    return (this.#set?.entries ?? []).map((e) => ({ kid: e.kid, algorithms: e.algs }))
  }

  /** The current generation: read it before a verification, store it with the cached result. */
  get generation(): number {
    return this.#generation
  }

  /**
   * Whether a result verified at `generation` may still be served from the cache: no key was
   * removed or replaced since. Keys past `cacheMaxAge` start a background refresh (the hit is
   * served meanwhile, as a request verified with the stale keys would be); once that refresh shows
   * a key gone, every entry of the earlier generation is refused and re-verified.
   */
  stillValid(generation: number): boolean {
    if (generation !== this.#generation) return false
    if (this.#isStale()) this.#revalidate()
    return true
  }

  async select(alg: string, kid: string | undefined): Promise<readonly CryptoKey[]> {
    let set = this.#set
    if (set === undefined) {
      await this.#refresh().catch(() => undefined)
      set = this.#set
    } else if (this.#isStale()) {
      // Stale-while-revalidate: a slow key server never stalls a request that has keys to use.
      this.#revalidate()
    }
    if (set === undefined) {
      const wait = Math.max(
        1,
        Math.ceil((this.#lastAttempt + this.#config.cooldownMs - Date.now()) / 1000),
      )
      throw new AuthError('keys_unavailable', 'the verification keys cannot be fetched right now', {
        retryAfter: wait,
        cause: this.#lastError,
      })
    }
    const lookup = kid === undefined ? alg : `${alg} ${kid}`
    const known = set.resolved.get(lookup)
    if (known) return known
    let matches = match(set, alg, kid)
    if (matches.length === 0 && Date.now() - this.#lastAttempt >= this.#config.cooldownMs) {
      // An unknown kid may mean the issuer rotated its keys: refetch once per cooldown.
      await this.#refresh().catch(() => undefined)
      set = this.#set as RemoteSet
      matches = match(set, alg, kid)
    }
    if (matches.length === 0) {
      const description =
        kid === undefined
          ? `no key in the key set for alg ${alg}`
          : 'no key in the key set matches the token kid'
      throw new AuthError('key_not_found', description, {
        cause: new KeyFailureError('no_matching_key', description, {
          ...(this.#jwksUri !== undefined && { url: safeUrl(this.#jwksUri) }),
        }),
      })
    }
    const importKey = this.#config.importKey ?? importFor
    const keys: CryptoKey[] = []
    for (const entry of matches) {
      let imported = entry.imported.get(alg)
      if (!imported) {
        imported = importKey(entry.prepared, alg).catch(() => undefined)
        entry.imported.set(alg, imported)
      }
      const key = await imported
      if (key) keys.push(key)
    }
    if (keys.length === 0) {
      const description = 'the matching key in the key set cannot be used'
      throw new AuthError('key_not_found', description, {
        cause: new KeyFailureError('unusable_key', description, {
          ...(this.#jwksUri !== undefined && { url: safeUrl(this.#jwksUri) }),
        }),
      })
    }
    // Into the table of the set the keys came from: when a refresh replaced it while the import
    // ran, this table is already unreachable, so a removed key never re-enters the current set.
    // Bounded: only kids present in the set (times the allowed algs) ever get an entry.
    set.resolved.set(lookup, keys)
    return keys
  }

  #isStale(): boolean {
    return this.#set !== undefined && Date.now() - this.#set.fetchedAt >= this.#config.cacheMaxAgeMs
  }

  /** A refresh nobody waits for: bounded by the cooldown, and its failure is handled here. */
  #revalidate(): void {
    this.#refresh().catch(() => undefined)
  }

  /** Starts (or joins) the one fetch in flight; respects the cooldown after a failure. */
  #refresh(): Promise<void> {
    if (this.#inflight) return this.#join(this.#inflight)
    // At most one attempt per cooldown, also when a refresh of stale keys fails: meanwhile the stale
    // keys are used (stale-if-error) instead of sending every request to a failing server.
    if (Date.now() - this.#lastAttempt < this.#config.cooldownMs) {
      return this.#set === undefined
        ? Promise.reject(new Error('cooling down after a failed fetch'))
        : Promise.resolve()
    }
    this.#lastAttempt = Date.now()
    const signal = AbortSignal.timeout(this.#config.timeoutMs)
    const started = this.#fetchListeners.size > 0 ? Date.now() : 0
    const inflight = this.#load(signal)
      .then(
        (count) => this.#report(started, { result: 'ok', status: 200, keys: count }),
        (err: unknown) => {
          // The cause of every keys_unavailable until the next attempt: always a KeyFailureError.
          const failure = describeFetchFailure(
            err,
            signal,
            safeUrl(this.#jwksUri ?? this.#config.discovery ?? ''),
          )
          this.#lastError = failure
          this.#report(started, { result: failure.reason, failure: failure.toJSON() })
          throw failure
        },
      )
      .finally(() => {
        this.#inflight = undefined
      })
    this.#inflight = inflight
    return inflight
  }

  /**
   * A request that joins another's fetch waits at most the fetch timeout, on a timer of its own.
   * On Workers a fetch belongs to the request that started it: when that request ends first (a
   * timeout middleware answered, the client went away), the runtime cancels its I/O and the shared
   * promise never settles, so every later request would hang on it (issue 21 item 1). Past the
   * deadline the stuck fetch is dropped, and the next request starts a fresh one.
   */
  #join(inflight: Promise<void>): Promise<void> {
    return joinWithin(inflight, this.#config.timeoutMs, () => {
      if (this.#inflight === inflight) {
        this.#inflight = undefined
        // Not a failure of the key server (nothing came back at all): no cooldown.
        this.#lastAttempt = Number.NEGATIVE_INFINITY
        this.#lastError = new KeyFailureError('timeout', 'no answer within the timeout', {
          url: safeUrl(this.#jwksUri ?? this.#config.discovery ?? ''),
        })
      }
      return this.#lastError
    })
  }

  /** Tells the onKeyFetch listeners; a throwing listener changes nothing (observe/observer.ts). */
  #report(started: number, event: Omit<KeyFetchEvent, 'url' | 'durationMs'>): void {
    if (this.#fetchListeners.size === 0) return
    const url = safeUrl(this.#jwksUri ?? this.#config.discovery ?? '')
    const full: KeyFetchEvent = { ...event, url, durationMs: Date.now() - started }
    for (const listener of this.#fetchListeners) {
      try {
        listener(full)
      } catch {
        // A listener's bug must not turn a key fetch into a failure; observe/ reports it.
      }
    }
  }

  /** Fetches and installs the key set; resolves to the number of usable keys. */
  async #load(signal: AbortSignal): Promise<number> {
    this.#jwksUri ??= await discoverJwksUri(this.#config.discovery as string, signal, this.#config)
    const body = await fetchJson(this.#jwksUri, signal, this.#config.headers)
    const keys = (body as { keys?: unknown } | undefined)?.keys
    if (!Array.isArray(keys))
      throw new KeyFailureError('not_a_jwks', 'the response is not a JWK Set (RFC 7517 §5)', {
        url: safeUrl(this.#jwksUri),
      })
    const entries: RemoteEntry[] = []
    for (const jwk of keys) {
      const entry = toEntry(jwk, this.#config.algorithms)
      if (entry) entries.push(entry)
    }
    const previous = this.#set
    if (previous) {
      const kept = new Set(entries.map((e) => e.identity))
      if (previous.entries.some((e) => !kept.has(e.identity))) this.#generation += 1
    }
    this.#set = { entries, fetchedAt: Date.now(), resolved: new Map() }
    this.#lastError = undefined
    return entries.length
  }
}

function match(set: RemoteSet, alg: string, kid: string | undefined): RemoteEntry[] {
  const out: RemoteEntry[] = []
  for (const entry of set.entries) {
    if (!entry.algs.includes(alg)) continue
    if (kid !== undefined ? entry.kid === kid : out.length < MAX_CANDIDATES) out.push(entry)
  }
  return out
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
  // Member order is the server's choice, not the key's: sort before comparing.
  const identity = JSON.stringify(jwk, Object.keys(jwk).sort())
  return { kid, prepared, algs, imported: new Map(), identity }
}

/**
 * OpenID Connect Discovery 1.0 §4, then RFC 8414 §3; the document's issuer must equal ours exactly
 * (OIDC Discovery §4.3, RFC 8414 §3.3), which defeats a document served for another issuer. Its
 * `jwks_uri` must pass the rules of a configured URL and be on the issuer's own origin, or on one
 * listed in `allowJwksOrigins` (https only): whoever controls the document (or the issuer's web
 * server, path by path) must not point the key fetch at any host, a metadata service included.
 */
async function discoverJwksUri(
  issuer: string,
  signal: AbortSignal,
  config: Pick<RemoteKeysConfig, 'allowHttp' | 'allowJwksOrigins'>,
): Promise<string> {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  const candidates = [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`,
  ]
  let failure: unknown
  let refused: unknown // a document found but failing a check says more than a 404 after it
  for (const candidate of candidates) {
    let doc: { issuer?: unknown; jwks_uri?: unknown } | undefined
    try {
      doc = (await fetchJson(candidate, signal)) as typeof doc
      const where = { url: safeUrl(candidate) }
      if (doc?.issuer !== issuer)
        throw new KeyFailureError('discovery', 'the discovery document names another issuer', where)
      if (typeof doc.jwks_uri !== 'string')
        throw new KeyFailureError('discovery', 'the discovery document has no jwks_uri', where)
      try {
        checkDiscoveredJwksUri(doc.jwks_uri, url.origin, config)
      } catch (err) {
        throw new KeyFailureError('discovery', (err as Error).message, where)
      }
      return doc.jwks_uri
    } catch (err) {
      failure = err
      if (doc !== undefined) refused ??= err
      if (signal.aborted) break
    }
  }
  throw refused ?? failure
}

/** The origin rule for a discovered `jwks_uri`; throws an Error that ends up as the 503's cause. */
export function checkDiscoveredJwksUri(
  value: string,
  issuerOrigin: string,
  config: Pick<RemoteKeysConfig, 'allowHttp' | 'allowJwksOrigins'>,
): void {
  let url: URL
  try {
    url = checkRemoteUrl(value, 'the discovered jwks_uri', config.allowHttp)
  } catch (err) {
    throw new Error((err as Error).message)
  }
  if (url.origin === issuerOrigin) return
  if (url.protocol === 'https:' && config.allowJwksOrigins?.includes(url.origin)) return
  throw new Error(
    `tokengate: the discovered jwks_uri is on ${url.origin}, not on the issuer's origin ${issuerOrigin}; if the issuer really publishes its keys there, list that origin in options.key.allowJwksOrigins (https only)`,
  )
}

/**
 * Remote keys must come over https: whoever can change them in transit can mint tokens.
 * http is accepted for literal loopback addresses (127.0.0.0/8, [::1]) and the name `localhost`
 * itself, and elsewhere only with an explicit `allowHttp` (a private test network). `*.localhost`
 * is not loopback here: RFC 6761 §6.3 asks resolvers to answer it locally, but Node hands such
 * names to the system resolver, which may ask DNS (see docs/ARCHITECTURE.md). Link-local
 * addresses (169.254.0.0/16, fe80::/10: cloud metadata services) and unspecified addresses are
 * refused outright.
 */
export function checkRemoteUrl(
  value: string,
  name: string,
  allowHttp = false,
  keyPath = 'options.key',
): URL {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    throw new TypeError(`tokengate: ${name} must be an absolute https URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new TypeError(`tokengate: ${name} must be an https URL`)
  if (isLinkLocalOrUnspecified(url.hostname))
    throw new TypeError(
      `tokengate: ${name} must not name a link-local or unspecified address (169.254.0.0/16, fe80::/10, 0.0.0.0, [::]): name the key server by a routable host`,
    )
  if (url.protocol === 'https:') return url
  if (allowHttp || isLoopback(url.hostname)) return url
  throw new TypeError(
    `tokengate: ${name} must use https (http is accepted only for loopback hosts, or for a private network with ${keyPath}.allowHttp: true); loopback means 127.0.0.0/8, [::1] or localhost, not *.localhost`,
  )
}

/** Hostnames as the WHATWG URL parser normalises them (IPv4 in dotted decimal, IPv6 in brackets). */
function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)
}

function isLinkLocalOrUnspecified(hostname: string): boolean {
  if (/^169\.254(\.\d{1,3}){2}$/.test(hostname) || hostname === '0.0.0.0') return true
  if (!hostname.startsWith('[')) return false
  const v6 = hostname.slice(1, -1)
  // fe80::/10 (RFC 4291 §2.5.6), ::, and IPv4-mapped 169.254.x.x (::ffff:a9fe:xxxx after parsing).
  return /^fe[89ab][0-9a-f]:/.test(v6) || v6 === '::' || /^::ffff:a9fe:/.test(v6)
}

async function fetchJson(
  url: string,
  signal: AbortSignal,
  headers?: Record<string, string>,
): Promise<unknown> {
  const where = safeUrl(url)
  let response: Response
  try {
    response = await fetch(url, {
      signal,
      redirect: 'manual',
      headers: { accept: 'application/json', ...headers },
    })
  } catch (err) {
    throw describeFetchFailure(err, signal, where)
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined)
    const redirect =
      response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''
    throw new KeyFailureError(
      'http_status',
      `unexpected HTTP status ${response.status}${redirect}`,
      {
        status: response.status,
        url: where,
      },
    )
  }
  const declared = Number(response.headers.get('content-length') ?? 0)
  if (declared > MAX_BODY_BYTES) {
    await response.body?.cancel().catch(() => undefined)
    throw new KeyFailureError('too_large', 'response too large', { url: where })
  }
  let text: string
  try {
    text = await readCapped(response)
  } catch (err) {
    throw describeFetchFailure(err, signal, where)
  }
  try {
    return JSON.parse(text)
  } catch (err) {
    // No parser message: it may quote the body.
    throw new KeyFailureError('bad_json', 'the response is not JSON', { url: where, cause: err })
  }
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
      throw new KeyFailureError('too_large', 'response too large')
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.length
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (err) {
    throw new KeyFailureError('bad_json', 'the response is not UTF-8 text', { cause: err })
  }
}
