// Token introspection (RFC 7662): which tokens go to the authorization server, the call, its cache.
import { sha256 } from '@noble/hashes/sha2'
import { Lru } from '../util/lru.js'
import { AuthError } from '../errors.js'
import type { SignatureCheck } from '../token/jws.js'
import { encode } from '../util/base64url.js'
import { joinWithin } from '../util/deadline.js'
import { discoverEndpoint, EndpointError, postIntrospection } from './http.js'
import type { IntrospectionConfig } from './options.js'
import { JWT_MEDIA_TYPE, readAnswer, type Answer } from './response.js'

export { checkAccessToken } from './response.js'
export { resolveIntrospection, type IntrospectionConfig } from './options.js'

/** Seconds a client is told to wait after the endpoint failed (`Retry-After`). */
export const RETRY_AFTER_S = 5

// A compact JWS (three segments) or JWE (five), as token/compact.ts tells them apart.
const JOSE_SHAPE = /^[^.]+\.[^.]*\.[^.]*(?:\.[^.]*\.[^.]*)?$/

/**
 * Asks the authorization server about tokens it alone can read (RFC 7662), and remembers answers:
 * an active answer until the token's `exp` or `cache.maxAge`, whichever is first; an inactive one
 * for `cache.negativeTtl`; both in bounded LRUs of their own, so a flood of junk tokens never
 * evicts the answers of good ones. Concurrent requests for one token share one call. The cache key
 * is the SHA-256 of the token, so the cache holds no bearer token (a heap dump shows none) and
 * every key has the same small size.
 *
 * @example
 * const introspector = new Introspector(config.introspection, signatureCheck)
 * if (introspector.applies(token)) claims = await introspector.introspect(token)
 */
export class Introspector {
  readonly #config: IntrospectionConfig
  readonly #checkSignature: SignatureCheck
  readonly #active: Lru<string, { answer: Answer; notAfter: number; bytes: number }> | undefined
  /** Epoch ms until which the token is known inactive. */
  readonly #inactive: Lru<string, number> | undefined
  readonly #inflight = new Map<string, Promise<Answer>>()
  #endpoint: Promise<string> | undefined
  /** Calls made to the endpoint (for tests and metrics). */
  calls = 0

  constructor(config: IntrospectionConfig, checkSignature: SignatureCheck) {
    this.#config = config
    this.#checkSignature = checkSignature
    const cache = config.cache
    // Each entry carries its own end (epoch ms from Date.now: bounds come from exp), checked on
    // every read, as token/cache.ts does; the LRUs only bound the count and the size.
    if (cache && cache.maxAgeMs > 0)
      // The answer's JSON text and its decoded objects: a few bytes of heap per byte of text.
      this.#active = new Lru(cache.max, cache.maxBytes, (entry) => 256 + 4 * entry.bytes)
    if (cache && cache.negativeTtlMs > 0)
      this.#inactive = new Lru(cache.max, Number.POSITIVE_INFINITY, () => 0)
  }

  /** Whether the token goes to introspection: always, or (default) when it is no JWS or JWE. */
  applies(token: string): boolean {
    return this.#config.mode === 'always' || !JOSE_SHAPE.test(token)
  }

  /**
   * The active token's claims, shaped like a JWT's (`iss`, `aud`, `exp`, `scope`, `cnf`...), for
   * the same claim rules, guards, revocation and binding. Throws 401 `token_inactive` for
   * `active: false`, 503 `introspection_unavailable` when the endpoint fails or answers garbage.
   */
  async introspect(token: string): Promise<Readonly<Record<string, unknown>>> {
    const key = hashKey(token)
    const answer = this.#cached(key) ?? (await this.#ask(key, token))
    if (!answer.active)
      throw new AuthError(
        'token_inactive',
        'the authorization server reports the token as not active (RFC 7662 §2.2)',
      )
    return answer.claims
  }

  /** One call per token at a time: concurrent requests for the same token wait for the same answer. */
  #ask(key: string, token: string): Promise<Answer> {
    const joined = this.#inflight.get(key)
    if (joined) return this.#join(key, joined)
    const pending = this.#call(token).then((answer) => {
      this.#remember(key, answer)
      return answer
    })
    const shared = pending.finally(() => {
      if (this.#inflight.get(key) === pending) this.#inflight.delete(key)
    })
    // The rejection is handled by each waiting request; this copy only cleans up.
    shared.catch(() => undefined)
    this.#inflight.set(key, pending)
    return pending
  }

  /**
   * A request that joins another's call waits at most the timeout, on a timer of its own. On Workers
   * a fetch belongs to the request that started it: when that request ends first (a timeout
   * middleware answered, the client went away), the runtime cancels its I/O and the shared promise
   * never settles, so every later request for the token would hang on it (issue 21 item 1, as
   * keys/remote-jwks.ts `#join`). Past the deadline the stuck call is dropped; the next request
   * starts a fresh one.
   */
  #join(key: string, pending: Promise<Answer>): Promise<Answer> {
    return joinWithin(pending, this.#config.timeoutMs, () => {
      if (this.#inflight.get(key) === pending) this.#inflight.delete(key)
      return unavailable(new EndpointError('no answer within the timeout'))
    })
  }

  async #call(token: string): Promise<Answer> {
    const config = this.#config
    const signal = AbortSignal.timeout(config.timeoutMs)
    try {
      const endpoint = await this.#endpointUrl(signal)
      this.calls += 1
      const raw = await postIntrospection(
        endpoint,
        token,
        config.tokenTypeHint,
        config.client,
        config.asIssuer ?? endpoint,
        config.jwtResponse ? JWT_MEDIA_TYPE : 'application/json',
        signal,
      )
      return await readAnswer(raw, config, this.#checkSignature)
    } catch (cause) {
      // Never 401 and never an accept: the token may be fine, the server could not say.
      // The cause names the failure only (no token, no client credentials: http.ts).
      throw unavailable(
        cause instanceof EndpointError || signal.aborted
          ? cause
          : new EndpointError('the introspection failed', { cause }),
      )
    }
  }

  /** The configured endpoint, or the discovered one (fetched once; a failure is retried next time). */
  #endpointUrl(signal: AbortSignal): Promise<string> {
    if (this.#config.endpoint !== undefined) return Promise.resolve(this.#config.endpoint)
    let found = this.#endpoint
    if (!found) {
      const discovery = discoverEndpoint(this.#config.discovery as string, signal)
      found = discovery
      this.#endpoint = discovery
      discovery.catch(() => {
        if (this.#endpoint === discovery) this.#endpoint = undefined
      })
    }
    const shared = found
    // A discovery started by another request may never settle on Workers (see #join): this call
    // waits no longer than its own deadline, and a stuck discovery is dropped for the next request.
    return new Promise<string>((resolve, reject) => {
      const onAbort = () => {
        if (this.#endpoint === shared) this.#endpoint = undefined
        reject(signal.reason)
      }
      if (signal.aborted) return onAbort()
      signal.addEventListener('abort', onAbort, { once: true })
      shared.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
  }

  #cached(key: string): Answer | undefined {
    if (this.#active === undefined && this.#inactive === undefined) return undefined
    const now = Date.now()
    const entry = this.#active?.get(key)
    if (entry !== undefined) {
      if (now < entry.notAfter) return entry.answer
      this.#active!.delete(key)
    }
    const inactiveUntil = this.#inactive?.get(key)
    if (inactiveUntil !== undefined) {
      if (now < inactiveUntil) return INACTIVE
      this.#inactive!.delete(key)
    }
    return undefined
  }

  #remember(key: string, answer: Answer): void {
    const cache = this.#config.cache
    if (!cache) return
    if (!answer.active) {
      this.#inactive?.set(key, Date.now() + cache.negativeTtlMs)
      return
    }
    // Never past the token's exp (RFC 7662 §4: a cached answer must not outlive the token).
    const now = Date.now()
    const exp = answer.claims.exp
    let ttl = cache.maxAgeMs
    if (typeof exp === 'number' && Number.isFinite(exp))
      ttl = Math.min(ttl, Math.floor(exp * 1000 - now))
    if (ttl > 0) this.#active?.set(key, { answer, notAfter: now + ttl, bytes: answer.bytes })
  }
}

const INACTIVE: Answer = { active: false }

/**
 * base64url(SHA-256(token)): the cache key, so no bearer token is kept in memory by the cache.
 * Synchronous (@noble/hashes, about a microsecond for a token): Web Crypto's digest is a promise
 * that Node settles on its thread pool, measured at 34 µs on an idle machine and ten times that
 * under load (bench/README.md, "Introspection"), for a cache hit that otherwise costs a few µs.
 */
function hashKey(token: string): string {
  return encode(sha256(encoder.encode(token)))
}
const encoder = new TextEncoder()

const introspectors = new WeakMap<object, Introspector>()

/** Internal (not exported by index.ts): lets tests read an authenticator's introspector. */
export function registerIntrospector(authenticator: object, introspector: Introspector): void {
  introspectors.set(authenticator, introspector)
}

/** The introspector of an authenticator made by createAuthenticator, for tests. */
export function introspectorOf(authenticator: object): Introspector | undefined {
  return introspectors.get(authenticator)
}

/** 503 `introspection_unavailable`: never 401 and never an accept, the server could not say. */
function unavailable(cause: unknown): AuthError {
  return new AuthError('introspection_unavailable', 'the token cannot be introspected right now', {
    cause,
    retryAfter: RETRY_AFTER_S,
  })
}
