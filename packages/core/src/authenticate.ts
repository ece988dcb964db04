// The pipeline: extract -> csrf -> DPoP proof -> cache -> open (decrypt, verify) -> claims ->
// context -> revocation -> cache -> certificate binding -> DPoP binding.
import { signatureCheck } from '#signature-check'
import type { JWSHeaderParameters, JWTPayload } from 'jose'
import { registerCache, TokenCache, type KeyBinding } from './token/cache.js'
import {
  applySchema,
  checkClaims,
  parsePayload,
  readPath,
  toRoles,
  toScopes,
  type ClaimRules,
} from './token/claims.js'
import { checkCsrf } from './request/csrf.js'
import { interpretPlaintext } from './token/jwe.js'
import type { CheckedProof } from './dpop/index.js'
import { AuthError, isAuthError } from './errors.js'
import { extractToken, type Extracted } from './request/extract.js'
import { RemoteKeySource } from './keys/remote-jwks.js'
import { resolveOptions } from './options.js'
import { revocationAnswer } from './policy/revocation.js'
import { isPreflight } from './request/skip.js'
import type {
  AuthAttempt,
  AuthContext,
  Authenticator,
  AuthenticatorOptions,
  RequestLike,
  TokenSource,
} from './types.js'
import { tokenShape } from './token/compact.js'
import { Observer, resolveObserveOptions, type IssuerView, type Trace } from './observe/observer.js'
import { checkJws, type VerifiedJws } from './token/jws.js'
import type { SignatureCheck } from './token/signature-check.js'
import { checkAccessToken, Introspector, registerIntrospector } from './introspection/index.js'

/**
 * Validates the options once (throwing a TypeError that names the option and the fix), prepares
 * the keys, and returns the per-request authenticator. The claims type follows the zod schema.
 *
 * @example
 * const authenticator = createAuthenticator({ algorithms: ['ES256'], key: { jwksUri }, issuer, audience })
 * const ctx = await authenticator.authenticate({ method: 'GET', url: '/me', headers })
 */
export function createAuthenticator<Claims = JWTPayload>(
  options: AuthenticatorOptions<Claims>,
): Authenticator<Claims> {
  return createAuthenticatorWith(options, signatureCheck)
}

/**
 * {@link createAuthenticator} with its JWS signature check chosen (tests run both paths side by
 * side); createAuthenticator takes `#signature-check`'s. Internal: not exported by index.ts.
 */
export function createAuthenticatorWith<Claims = JWTPayload>(
  options: AuthenticatorOptions<Claims>,
  checkSignature: SignatureCheck,
): Authenticator<Claims> {
  const config = resolveOptions(options as AuthenticatorOptions<unknown>)
  const cache = config.cache ? new TokenCache(config.cache) : undefined
  const realm = config.realm
  // Hot path: no awaits (each a microtask) for hooks that are not configured.
  const revocationChecks = config.isRevoked !== undefined || config.revocation !== undefined
  // Introspection (RFC 7662): the answer stands in for a verified payload. No typ rule (an opaque
  // token has no header); its own cache, since an answer may be reused for cache.maxAge only.
  const introspector = config.introspection
    ? new Introspector(config.introspection, checkSignature)
    : undefined
  const introspectedRules: ClaimRules = { ...config.claims, typ: undefined }
  // observe (issue 16): an Observer only when someone listens or explains; without one, run() gets
  // no Trace and each `if (trace)` below is a skipped branch: no event object, no clock read.
  const observe = resolveObserveOptions(options as unknown as Record<string, unknown>)
  const observer = observe.onDecision || observe.explain ? new Observer(observe, config) : undefined
  const onKeyFetch = observe.onKeyFetch

  // "claims" is the verified payload, the only input to every rule (claims, revocation, DPoP
  // binding, the cache); "payload" is what the app sees in ctx.payload (its schema's output).
  //
  // A cache hit with nothing asynchronous to check (no DPoP, revocation, binding or introspection)
  // is answered without a promise: run() returns the context itself, so an adapter can call the
  // framework's next() in the same turn as a no-op middleware would (perf, issue 17: the promise,
  // its reactions and the microtask hop were most of a hit's cost through Express). It may throw
  // synchronously; started() gives the promise every public entry returns.
  function run(
    request: RequestLike,
    trace?: Trace,
  ): AuthContext<Claims> | null | Promise<AuthContext<Claims> | null> {
    // idioms (issue 15): a CORS preflight and a skipped request are not authenticated at all.
    // (A request that is not an object is extractToken's 400.)
    if (
      typeof request === 'object' &&
      request !== null &&
      ((config.preflight && isPreflight(request)) || config.skip?.(request) === true)
    )
      return null
    const found = extractToken(request, config.extract)
    if (found === undefined) {
      if (config.optional || config.passthrough) return null
      throw new AuthError('token_missing', 'the request has no bearer token')
    }
    const { token, source } = found
    if (trace) {
      trace.source = source as TokenSource
      trace.token = token
      if (source === 'cookie' && config.csrf) trace.step = 'csrf'
    }
    // Cheap, and before any cryptography: a cross-site request never gets as far as a verification.
    if (source === 'cookie' && config.csrf) checkCsrf(request, config.csrf)
    if (trace && config.dpop) trace.step = 'dpop'
    // RFC 9449 §4.3: a DPoP proof is checked before the token, its binding to the token after.
    if (config.dpop)
      return config.dpop
        .checkProof(request, found)
        .then((proof) => proven(request, found, proof, trace))
    return proven(request, found, undefined, trace)
  }

  /** run() once the DPoP proof, if any, is checked: introspection, the cache, or verification. */
  function proven(
    request: RequestLike,
    found: Extracted,
    proof: CheckedProof | undefined,
    trace: Trace | undefined,
  ): AuthContext<Claims> | Promise<AuthContext<Claims>> {
    const { token, source } = found
    if (introspector?.applies(token))
      return introspected(request, token, source as TokenSource, proof, trace)

    const hit = cache?.get(token)
    if (hit) {
      if (trace) {
        trace.cacheHit = true
        trace.claims = hit.claims
        trace.step = revocationChecks ? 'revocation' : 'cache'
      }
      const ctx = hit.ctx.source === source ? hit.ctx : Object.freeze({ ...hit.ctx, source })
      // As on the fresh path: no bind() (an async call, two microtasks) when it would change nothing.
      if (!revocationChecks && !needsBinding(hit.claims)) return ctx as AuthContext<Claims>
      return checkHit(request, ctx, hit.claims, proof, trace)
    }
    return verified(request, found, proof, trace)
  }

  /** A cache hit's per-request checks: revocation, then the sender constraints. */
  async function checkHit(
    request: RequestLike,
    ctx: AuthContext<unknown>,
    claims: Readonly<Record<string, unknown>>,
    proof: CheckedProof | undefined,
    trace: Trace | undefined,
  ): Promise<AuthContext<Claims>> {
    if (revocationChecks) await checkRevoked(ctx, claims)
    return senderBound(request, ctx, claims, proof, trace)
  }

  /** A token not in the cache: opened (decrypted, verified), its claims checked, then cached. */
  async function verified(
    request: RequestLike,
    found: Extracted,
    proof: CheckedProof | undefined,
    trace: Trace | undefined,
  ): Promise<AuthContext<Claims>> {
    const { token, source } = found
    const pending = openToken(token, found.jwsShaped === true, trace)
    const opened = pending instanceof Promise ? await pending : pending
    const claims = opened.claims
    if (trace) {
      trace.claims = claims
      trace.step = 'claims'
    }
    const notAfter = checkClaims(
      claims,
      opened.protectedHeader.typ,
      opened.rules,
      Date.now() / 1000,
    )
    const payload = config.schema ? await applySchema(config.schema, claims) : claims
    const ctx = contextOf(token, source as TokenSource, payload, opened)
    // Revocation before the DPoP binding, on purpose: the binding records the proof in the replay
    // store last (RFC 9449 §11.1, dpop/index.ts), so a proof sent with a revoked token is not burnt.
    if (trace && revocationChecks) trace.step = 'revocation'
    if (revocationChecks) await checkRevoked(ctx, claims)
    cache?.set(token, { ctx, claims, keys: opened.keyBinding }, notAfter)
    return senderBound(request, ctx, claims, proof, trace)
  }

  /** The introspection path: the server's answer, then the same steps as a verified payload's. */
  async function introspected(
    request: RequestLike,
    token: string,
    source: TokenSource,
    proof: CheckedProof | undefined,
    trace: Trace | undefined,
  ): Promise<AuthContext<Claims>> {
    if (trace) trace.step = 'introspection'
    const claims = await introspector!.introspect(token)
    if (trace) {
      trace.claims = claims
      trace.step = 'claims'
    }
    checkAccessToken(claims)
    checkClaims(claims, undefined, introspectedRules, Date.now() / 1000)
    const payload = config.schema ? await applySchema(config.schema, claims) : claims
    const ctx = freeze<AuthContext<unknown>>({
      token,
      source,
      payload,
      protectedHeader: {},
      scopes: toScopes(claims),
      roles: toRoles(readPath(claims, config.rolesClaim.path, config.rolesClaim.segments)),
      introspected: true,
    })
    if (trace && revocationChecks) trace.step = 'revocation'
    if (revocationChecks) await checkRevoked(ctx, claims)
    return senderBound(request, ctx, claims, proof, trace)
  }

  /**
   * Decrypts (a JWE, RFC 7516) and verifies (the JWS, RFC 7515) in one step: a JWS is verified; a
   * JWE is decrypted, then its nested JWS verified, or its JSON claims taken as they are when
   * `allowUnsignedPayload` says so. A Promise only when a step needs one (a JWE, remote keys, an
   * `issuers` function, the portable signature check): with local keys and the node:crypto check a
   * JWS is verified without a microtask (perf, issue 17). May throw synchronously; run() is async.
   */
  function openToken(
    token: string,
    jwsShaped: boolean,
    trace: Trace | undefined,
  ): OpenedToken | Promise<OpenedToken> {
    if (trace) trace.step = 'verify' // a token of no JWS or JWE shape is refused here
    if (tokenShape(token, jwsShaped) === 'jwe') return openJwe(token, trace)
    if (config.decryptor?.required) {
      if (trace) trace.step = 'decrypt'
      throw new AuthError('encryption_required', 'only encrypted tokens (JWE) are accepted')
    }
    return verifyInner(token, undefined, trace)
  }

  async function openJwe(token: string, trace: Trace | undefined): Promise<OpenedToken> {
    if (trace) trace.step = 'decrypt'
    if (!config.decryptor)
      throw new AuthError('token_malformed', 'encrypted tokens (JWE) are not accepted here')
    const decrypted = await config.decryptor.decrypt(token)
    const encryption = { protectedHeader: decrypted.protectedHeader }
    const inner = interpretPlaintext(decrypted.plaintext, config.decryptor.allowUnsignedPayload)
    if (!('jws' in inner)) {
      const claims = inner.claims as Record<string, unknown>
      return {
        claims,
        // An encrypted-only token: its JWE header is the one protected header there is.
        protectedHeader: decrypted.protectedHeader as JWSHeaderParameters,
        encryption,
        rules: config.issuers ? (await config.issuers.forClaims(claims)).claims : config.claims,
        keyBinding: undefined,
      }
    }
    if (tokenShape(inner.jws) !== 'jws')
      throw new AuthError('signature_required', 'the encrypted token does not contain a signed JWT')
    return verifyInner(inner.jws, encryption, trace)
  }

  function verifyInner(
    jws: string,
    encryption: AuthContext['encryption'],
    trace: Trace | undefined,
  ): OpenedToken | Promise<OpenedToken> {
    if (trace) {
      trace.step = 'verify'
      trace.jws = jws
    }
    // Several issuers: the unverified iss picks the only keys and rules the token may pass with.
    // Both callers have required tokenShape(jws) === 'jws', so the signature check is told so.
    // (A Promise only for an `issuers` function whose answer is not cached yet.)
    const picked = config.issuers ? config.issuers.forToken(jws) : config
    return picked instanceof Promise
      ? picked.then((issuer) => verifyFor(jws, issuer, encryption, trace))
      : verifyFor(jws, picked, encryption, trace)
  }

  function verifyFor(
    jws: string,
    issuer: IssuerView,
    encryption: AuthContext['encryption'],
    trace: Trace | undefined,
  ): OpenedToken | Promise<OpenedToken> {
    if (trace) trace.issuer = issuer
    if (onKeyFetch && issuer.keys instanceof RemoteKeySource) issuer.keys.onFetch(onKeyFetch)
    // Read before verifying: a refresh that drops a key while this verification runs makes the
    // cached result stale too (token/cache.ts).
    const keyBinding =
      issuer.keys instanceof RemoteKeySource
        ? { source: issuer.keys, generation: issuer.keys.generation }
        : undefined
    const verified = checkJws(jws, issuer.keys, issuer.algorithms, checkSignature, true)
    return verified instanceof Promise
      ? verified.then((v) => openedToken(v, issuer, encryption, keyBinding))
      : openedToken(verified, issuer, encryption, keyBinding)
  }

  function contextOf(
    token: string,
    source: TokenSource,
    payload: unknown,
    opened: OpenedToken,
  ): AuthContext<unknown> {
    // The same frozen context freeze() makes of the whole (perf, issue 17): scopes and roles are
    // arrays of strings made here (claims.ts), never the payload's own, so freezing them is all
    // they need; the walk is kept for what came from the token or the schema.
    const scopes = frozenList(toScopes(opened.claims))
    const roles = frozenList(
      toRoles(readPath(opened.claims, config.rolesClaim.path, config.rolesClaim.segments)),
    )
    const protectedHeader = freeze(opened.protectedHeader)
    freeze(payload)
    // Members in the order they always had (Object.keys, JSON.stringify of a context).
    return Object.freeze(
      opened.encryption
        ? {
            token,
            source,
            payload,
            protectedHeader,
            encryption: freeze(opened.encryption),
            scopes,
            roles,
          }
        : { token, source, payload, protectedHeader, scopes, roles },
    )
  }

  // Sender constraints, per request and after every other check (also on a cache hit): the client
  // certificate (RFC 8705 §3), then DPoP, whose replay check writes and so runs last. A token
  // carrying both cnf members must satisfy both: each is a constraint its issuer put on it.
  /** Whether a binding check will run: DPoP is on, or the token is certificate-bound. */
  function needsBinding(claims: Readonly<Record<string, unknown>>): boolean {
    return config.dpop !== undefined || claims.cnf !== undefined || config.mtls.required
  }

  /**
   * The last step of every path (fresh, cache hit, introspected): bind() when a binding check will
   * run, with its trace step; otherwise the context as it is, without a promise (the hot path).
   */
  function senderBound(
    request: RequestLike,
    ctx: AuthContext<unknown>,
    claims: Readonly<Record<string, unknown>>,
    proof: CheckedProof | undefined,
    trace: Trace | undefined,
  ): AuthContext<Claims> | Promise<AuthContext<Claims>> {
    if (!needsBinding(claims)) return ctx as AuthContext<Claims>
    if (trace) trace.step = 'binding'
    return bind(request, ctx, claims, proof) as Promise<AuthContext<Claims>>
  }

  async function bind(
    request: RequestLike,
    ctx: AuthContext<unknown>,
    claims: Readonly<Record<string, unknown>>,
    proof: CheckedProof | undefined,
  ): Promise<AuthContext<unknown>> {
    let bound = ctx
    // Hot path: a token without cnf, with mtls.required off, costs one property read.
    if (claims.cnf !== undefined || config.mtls.required) {
      const x5tS256 = await config.mtls.check(request, claims)
      if (x5tS256 !== undefined) {
        bound = Object.freeze({ ...ctx, mtls: Object.freeze({ x5tS256 }) })
        // A new context, as for DPoP below: revoke(bound) must find the verified jti/exp too.
        config.revocation?.remember(bound, claims)
      }
    }
    return config.dpop ? bindToProof(bound, claims, proof) : bound
  }

  // RFC 9449 §6.1, §7.2: the token's cnf.jkt against the proof key, then the replay check (§11.1).
  async function bindToProof(
    ctx: AuthContext<unknown>,
    claims: Readonly<Record<string, unknown>>,
    proof: CheckedProof | undefined,
  ): Promise<AuthContext<unknown>> {
    const jkt = config.dpop ? await config.dpop.bind(proof, claims) : undefined
    if (jkt === undefined) return ctx
    // RFC 9449 §8.2: a proof with last window's nonce gets the current one on the response.
    const nonce = proof?.nextNonce
    const boundCtx = Object.freeze({
      ...ctx,
      dpop: Object.freeze(nonce === undefined ? { jkt } : { jkt, nonce }),
    })
    // revoke(boundCtx) must find the verified jti/exp, not the app's schema output.
    config.revocation?.remember(boundCtx, claims)
    return boundCtx
  }

  async function checkRevoked(
    ctx: AuthContext<unknown>,
    claims: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    if (config.isRevoked) {
      let revoked: unknown
      try {
        revoked = await config.isRevoked(ctx)
      } catch (cause) {
        if (isAuthError(cause)) throw cause
        // Fail closed: a hook that cannot answer must not let a possibly revoked token in.
        throw new AuthError('revocation_unavailable', 'the revocation check failed', {
          cause,
          retryAfter: 5,
        })
      }
      // Only true or false: undefined, null or any other value is a broken hook (fail closed).
      revocationAnswer(revoked)
    }
    if (config.revocation) await config.revocation.check(ctx, claims)
  }

  const metadataUrl = config.protectedResource?.metadataUrl
  /** The AuthError to reject with (realm, DPoP challenge); anything else is rethrown as it is. */
  function refusal(err: unknown, request: RequestLike): AuthError {
    if (!isAuthError(err)) throw err
    const error = err.withRealm(realm).withResourceMetadata(metadataUrl)
    return config.dpop ? config.dpop.challenge(error, request) : error
  }
  // Without a realm, resource metadata or DPoP, refusal() returns every AuthError as it is and
  // rethrows anything else: run()'s own rejection is already the answer, and the .catch() step (a
  // promise and a microtask per request) is skipped (perf, issue 17).
  const refusalIsIdentity =
    realm === undefined && metadataUrl === undefined && config.dpop === undefined

  /** run() as a promise: its synchronous answer or throw, for the public entries. */
  function started(request: RequestLike, trace?: Trace): Promise<AuthContext<Claims> | null> {
    try {
      const result = run(request, trace)
      return result instanceof Promise ? result : Promise.resolve(result)
    } catch (err) {
      return Promise.reject(err)
    }
  }

  function settle(request: RequestLike): Promise<AuthContext<Claims> | null> {
    if (observer === undefined)
      return refusalIsIdentity
        ? started(request)
        : started(request).catch((err: unknown) => {
            throw refusal(err, request)
          })
    // observe (issue 16): one event per request, accepted or refused (observe/observer.ts).
    const trace = observer.start(request)
    return started(request, trace).then(
      (ctx) => {
        observer.accepted(trace, ctx)
        return ctx
      },
      (err: unknown) => {
        throw observer.refused(trace, refusal(err, request))
      },
    )
  }

  // idioms (issue 15): with passthrough, a 401 (no token, or a refused one) leaves the request
  // anonymous and says why; a malformed request (400), CSRF (403) and an unavailable dependency
  // (503) still fail, so an outage or an attack on the request never looks like a visitor.
  function attempt(request: RequestLike): Promise<AuthAttempt<Claims>> {
    // Unobserved, settle() and this step in one reaction: one promise less on every request.
    return attempted(observer === undefined ? started(request) : settle(request), request)
  }

  function attempted(
    settled: Promise<AuthContext<Claims> | null>,
    request: RequestLike,
  ): Promise<AuthAttempt<Claims>> {
    return settled.then(
      (context) => ({ context, refusal: undefined }),
      (err: unknown) => {
        const error = observer === undefined ? refusal(err, request) : err
        if (config.passthrough && isAuthError(error) && error.status === 401)
          return { context: null, refusal: error }
        throw error
      },
    )
  }

  // attempt() for the adapters (registerAttemptNow): the same result, not wrapped in a promise
  // when run() answered synchronously (a plain cache hit, a skipped request). Observed requests go
  // through attempt(): their event is delivered when the promise settles.
  function attemptNow(request: RequestLike): AuthAttempt<Claims> | Promise<AuthAttempt<Claims>> {
    if (observer !== undefined) return attempt(request)
    let result: AuthContext<Claims> | null | Promise<AuthContext<Claims> | null>
    try {
      result = run(request)
    } catch (err) {
      return attempted(Promise.reject(err), request)
    }
    return result instanceof Promise
      ? attempted(result, request)
      : { context: result, refusal: undefined }
  }

  const authenticator: Authenticator<Claims> = {
    realm,
    protectedResource: config.protectedResource,
    authenticate: config.passthrough
      ? (request) => attempt(request).then((result) => result.context)
      : settle,
    attempt,
    async revoke(ctx) {
      if (!config.revocation)
        throw new TypeError('tokengate: revoke(ctx) needs options.revocation (a revocation store)')
      await config.revocation.revoke(ctx, config.claims.clockTolerance)
    },
  }
  registerAttemptNow(authenticator as Authenticator<unknown>, attemptNow as AttemptNow<unknown>)
  if (cache) registerCache(authenticator, cache)
  if (introspector) registerIntrospector(authenticator, introspector)
  observer?.register(authenticator)
  return authenticator
}

/** {@link Authenticator.attempt}, answering synchronously when it can (a plain cache hit). */
export type AttemptNow<Claims> = (
  request: RequestLike,
) => AuthAttempt<Claims> | Promise<AuthAttempt<Claims>>

const attemptsNow = new WeakMap<object, { attempt: unknown; now: AttemptNow<unknown> }>()

/** Records createAuthenticator's {@link AttemptNow}, and the `attempt` it stands for. */
function registerAttemptNow(authenticator: Authenticator<unknown>, now: AttemptNow<unknown>): void {
  attemptsNow.set(authenticator, { attempt: authenticator.attempt, now })
}

/**
 * The synchronous-when-it-can attempt of an authenticator made by createAuthenticator, for the
 * adapters (adapter/setup.ts); undefined for any other authenticator (a wrapper, a mock) or one
 * whose `attempt` was replaced, which the adapters call through its promise-returning `attempt`. Internal: not exported by index.ts.
 *
 * @example
 * const now = attemptNowOf(authenticator) ?? ((request) => authenticator.attempt(request))
 */
export function attemptNowOf<Claims>(
  authenticator: Authenticator<Claims>,
): AttemptNow<Claims> | undefined {
  const registered = attemptsNow.get(authenticator)
  // An `attempt` replaced since (a spy, a wrapper set on the object) is called as it is.
  return registered?.attempt === authenticator.attempt
    ? (registered.now as AttemptNow<Claims>)
    : undefined
}

function openedToken(
  verified: VerifiedJws,
  issuer: IssuerView,
  encryption: AuthContext['encryption'],
  keyBinding: KeyBinding | undefined,
): OpenedToken {
  return {
    claims: parsePayload(verified.payload),
    protectedHeader: verified.protectedHeader,
    encryption,
    rules: issuer.claims,
    keyBinding,
  }
}

/** A token decrypted and verified: the verified claims, the header, and what they are checked by. */
interface OpenedToken {
  /** The verified payload (RFC 7519 §7.2): the claims every rule reads. */
  claims: Record<string, unknown>
  protectedHeader: JWSHeaderParameters
  encryption: AuthContext['encryption']
  /** The claim rules of the issuer the token was verified for. */
  rules: ClaimRules
  /** The remote key set and its generation at verification time, for the cache (token/cache.ts). */
  keyBinding: KeyBinding | undefined
}

// Most tokens carry no roles (and some no scopes): one frozen empty list for all of them rather
// than a new one frozen per token (perf, issue 17). Frozen and empty either way.
const EMPTY_LIST: string[] = Object.freeze([]) as unknown as string[]

/** A list of strings made for one context, frozen; the shared empty one when it is empty. */
function frozenList(list: string[]): string[] {
  return list.length === 0 ? EMPTY_LIST : (Object.freeze(list) as string[])
}

/**
 * Contexts are shared between requests through the cache, so they are made immutable: the context,
 * its arrays and plain-JSON payload objects (class instances from a zod transform are left alone).
 */
function freeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    const proto = Object.getPrototypeOf(value)
    if (proto === Object.prototype || proto === null || Array.isArray(value)) {
      Object.freeze(value)
      for (const key of Object.keys(value)) freeze((value as Record<string, unknown>)[key])
    }
  }
  return value
}
