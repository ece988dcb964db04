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
import { extractToken } from './request/extract.js'
import { RemoteKeySource } from './keys/remote-jwks.js'
import { resolveOptions } from './options.js'
import { revocationAnswer } from './policy/revocation.js'
import type {
  AuthContext,
  Authenticator,
  AuthenticatorOptions,
  RequestLike,
  TokenSource,
} from './types.js'
import { tokenShape } from './token/compact.js'
import { verifyJws } from './token/jws.js'
import type { SignatureCheck } from './token/signature-check.js'

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

  // "claims" is the verified payload, the only input to every rule (claims, revocation, DPoP
  // binding, the cache); "payload" is what the app sees in ctx.payload (its schema's output).
  async function run(request: RequestLike): Promise<AuthContext<Claims> | null> {
    const found = extractToken(request, config.extract)
    if (found === undefined) {
      if (config.optional) return null
      throw new AuthError('token_missing', 'the request has no bearer token')
    }
    const { token, source } = found
    // Cheap, and before any cryptography: a cross-site request never gets as far as a verification.
    if (source === 'cookie' && config.csrf) checkCsrf(request, config.csrf)
    // RFC 9449 §4.3: a DPoP proof is checked before the token, its binding to the token after.
    const proof = config.dpop ? await config.dpop.checkProof(request, found) : undefined

    const hit = cache?.get(token)
    if (hit) {
      const ctx = hit.ctx.source === source ? hit.ctx : Object.freeze({ ...hit.ctx, source })
      if (revocationChecks) await checkRevoked(ctx, hit.claims)
      return (await bind(request, ctx, hit.claims, proof)) as AuthContext<Claims>
    }

    const opened = await openToken(token)
    const claims = opened.claims
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
    if (revocationChecks) await checkRevoked(ctx, claims)
    cache?.set(token, { ctx, claims, keys: opened.keyBinding }, notAfter)
    return (await bind(request, ctx, claims, proof)) as AuthContext<Claims>
  }

  /**
   * Decrypts (a JWE, RFC 7516) and verifies (the JWS, RFC 7515) in one step: a JWS is verified; a
   * JWE is decrypted, then its nested JWS verified, or its JSON claims taken as they are when
   * `allowUnsignedPayload` says so. One await on the way to the signature, as before the split.
   */
  async function openToken(token: string): Promise<OpenedToken> {
    let jws = token
    let encryption: AuthContext['encryption']
    if (tokenShape(token) === 'jwe') {
      if (!config.decryptor)
        throw new AuthError('token_malformed', 'encrypted tokens (JWE) are not accepted here')
      const decrypted = await config.decryptor.decrypt(token)
      encryption = { protectedHeader: decrypted.protectedHeader }
      const inner = interpretPlaintext(decrypted.plaintext, config.decryptor.allowUnsignedPayload)
      if (!('jws' in inner)) {
        const claims = inner.claims as Record<string, unknown>
        return {
          claims,
          // An encrypted-only token: its JWE header is the one protected header there is.
          protectedHeader: decrypted.protectedHeader as JWSHeaderParameters,
          encryption,
          rules: config.issuers ? config.issuers.forClaims(claims).claims : config.claims,
          keyBinding: undefined,
        }
      }
      if (tokenShape(inner.jws) !== 'jws')
        throw new AuthError(
          'signature_required',
          'the encrypted token does not contain a signed JWT',
        )
      jws = inner.jws
    } else if (config.decryptor?.required) {
      throw new AuthError('encryption_required', 'only encrypted tokens (JWE) are accepted')
    }
    // Several issuers: the unverified iss picks the only keys and rules the token may pass with.
    const issuer = config.issuers ? config.issuers.forToken(jws) : config
    // Read before verifying: a refresh that drops a key while this verification runs makes the
    // cached result stale too (token/cache.ts).
    const keyBinding =
      issuer.keys instanceof RemoteKeySource
        ? { source: issuer.keys, generation: issuer.keys.generation }
        : undefined
    const verified = await verifyJws(jws, issuer.keys, issuer.algorithms, checkSignature)
    return {
      claims: parsePayload(verified.payload),
      protectedHeader: verified.protectedHeader,
      encryption,
      rules: issuer.claims,
      keyBinding,
    }
  }

  function contextOf(
    token: string,
    source: TokenSource,
    payload: unknown,
    opened: OpenedToken,
  ): AuthContext<unknown> {
    return freeze<AuthContext<unknown>>({
      token,
      source,
      payload,
      protectedHeader: opened.protectedHeader,
      ...(opened.encryption && { encryption: opened.encryption }),
      scopes: toScopes(opened.claims),
      roles: toRoles(readPath(opened.claims, config.rolesClaim.path, config.rolesClaim.segments)),
    })
  }

  // Sender constraints, per request and after every other check (also on a cache hit): the client
  // certificate (RFC 8705 §3), then DPoP, whose replay check writes and so runs last. A token
  // carrying both cnf members must satisfy both: each is a constraint its issuer put on it.
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
      if (x5tS256 !== undefined) bound = Object.freeze({ ...ctx, mtls: Object.freeze({ x5tS256 }) })
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

  const authenticator: Authenticator<Claims> = {
    realm,
    authenticate(request) {
      return run(request).catch((err: unknown) => {
        if (!isAuthError(err)) throw err
        const error = err.withRealm(realm)
        throw config.dpop ? config.dpop.challenge(error, request) : error
      })
    },
    async revoke(ctx) {
      if (!config.revocation)
        throw new TypeError('tokengate: revoke(ctx) needs options.revocation (a revocation store)')
      await config.revocation.revoke(ctx, config.claims.clockTolerance)
    },
  }
  if (cache) registerCache(authenticator, cache)
  return authenticator
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
