// The pipeline: extract -> csrf -> cache -> decrypt -> verify -> claims -> revocation -> AuthContext.
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
import { joseSignatureCheck, tokenShape, verifyJws, type SignatureCheck } from './token/jws.js'

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
  return createAuthenticatorWith(options, joseSignatureCheck)
}

/**
 * {@link createAuthenticator} with its JWS signature check chosen: jose (Web Crypto) by default,
 * node:crypto from the `node` entry (authenticate.node.ts). Internal: not exported by index.ts.
 */
export function createAuthenticatorWith<Claims = JWTPayload>(
  options: AuthenticatorOptions<Claims>,
  checkSignature: SignatureCheck,
): Authenticator<Claims> {
  const r = resolveOptions(options as AuthenticatorOptions<unknown>)
  const cache = r.cache ? new TokenCache(r.cache) : undefined
  const realm = r.realm
  // Hot path: no awaits (each a microtask) for hooks that are not configured.
  const revocationChecks = r.isRevoked !== undefined || r.revocation !== undefined

  async function run(request: RequestLike): Promise<AuthContext<Claims> | null> {
    const found = extractToken(request, r.extract)
    if (found === undefined) {
      if (r.optional) return null
      throw new AuthError('token_missing', 'the request has no bearer token')
    }
    const { token, source } = found
    // Cheap, and before any cryptography: a cross-site request never gets as far as a verification.
    if (source === 'cookie' && r.csrf) checkCsrf(request, r.csrf)
    // RFC 9449 §4.3: a DPoP proof is checked before the token, its binding to the token after.
    const proof = r.dpop ? await r.dpop.checkProof(request, found) : undefined

    const hit = cache?.get(token)
    if (hit) {
      const ctx = hit.ctx.source === source ? hit.ctx : Object.freeze({ ...hit.ctx, source })
      if (revocationChecks) await checkRevoked(ctx, hit.claims)
      return (r.dpop ? await bound(ctx, hit.claims, proof) : ctx) as AuthContext<Claims>
    }

    let claims: Record<string, unknown>
    let protectedHeader: JWSHeaderParameters
    let encryption: AuthContext['encryption']
    let rules = r.claims
    let keys: KeyBinding | undefined
    if (tokenShape(token) === 'jwe') {
      if (!r.decryptor)
        throw new AuthError('token_malformed', 'encrypted tokens (JWE) are not accepted here')
      const decrypted = await r.decryptor.decrypt(token)
      encryption = { protectedHeader: decrypted.protectedHeader }
      const inner = interpretPlaintext(decrypted.plaintext, r.decryptor.allowUnsignedPayload)
      if ('jws' in inner) {
        if (tokenShape(inner.jws) !== 'jws')
          throw new AuthError(
            'signature_required',
            'the encrypted token does not contain a signed JWT',
          )
        ;({ claims, protectedHeader, rules, keys } = await verified(inner.jws))
      } else {
        claims = inner.claims as Record<string, unknown>
        if (r.issuers) rules = r.issuers.forClaims(claims).claims
        // An encrypted-only token: its JWE header is the one protected header there is.
        protectedHeader = decrypted.protectedHeader as JWSHeaderParameters
      }
    } else {
      if (r.decryptor?.required)
        throw new AuthError('encryption_required', 'only encrypted tokens (JWE) are accepted')
      ;({ claims, protectedHeader, rules, keys } = await verified(token))
    }

    const notAfter = checkClaims(claims, protectedHeader.typ, rules, Date.now() / 1000)
    const payload = r.schema ? await applySchema(r.schema, claims) : claims
    const ctx = freeze<AuthContext<unknown>>({
      token,
      source: source as TokenSource,
      payload,
      protectedHeader,
      ...(encryption && { encryption }),
      scopes: toScopes(claims),
      roles: toRoles(readPath(claims, r.rolesClaim.path, r.rolesClaim.segments)),
    })
    if (revocationChecks) await checkRevoked(ctx, claims)
    cache?.set(token, { ctx, claims, keys }, notAfter)
    return (r.dpop ? await bound(ctx, claims, proof) : ctx) as AuthContext<Claims>
  }

  // RFC 9449 §6.1, §7.2: the token's cnf.jkt against the proof key, then the replay check (§11.1).
  async function bound(
    ctx: AuthContext<unknown>,
    claims: Readonly<Record<string, unknown>>,
    proof: CheckedProof | undefined,
  ): Promise<AuthContext<unknown>> {
    const jkt = r.dpop ? await r.dpop.bind(proof, claims) : undefined
    if (jkt === undefined) return ctx
    const boundCtx = Object.freeze({ ...ctx, dpop: Object.freeze({ jkt }) })
    // revoke(boundCtx) must find the verified jti/exp, not the app's schema output.
    r.revocation?.remember(boundCtx, claims)
    return boundCtx
  }

  async function verified(jws: string): Promise<{
    claims: Record<string, unknown>
    protectedHeader: JWSHeaderParameters
    rules: ClaimRules
    keys: KeyBinding | undefined
  }> {
    // Several issuers: the unverified iss picks the only keys and rules the token may pass with.
    const v = r.issuers ? r.issuers.forToken(jws) : r
    // Read before verifying: a refresh that drops a key while this verification runs makes the
    // cached result stale too (token/cache.ts).
    const keys =
      v.keys instanceof RemoteKeySource
        ? { source: v.keys, generation: v.keys.generation }
        : undefined
    const { payload, protectedHeader } = await verifyJws(jws, v.keys, v.algorithms, checkSignature)
    return { claims: parsePayload(payload), protectedHeader, rules: v.claims, keys }
  }

  async function checkRevoked(
    ctx: AuthContext<unknown>,
    claims: Readonly<Record<string, unknown>>,
  ): Promise<void> {
    if (r.isRevoked) {
      let revoked: unknown
      try {
        revoked = await r.isRevoked(ctx)
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
    if (r.revocation) await r.revocation.check(ctx, claims)
  }

  const authenticator: Authenticator<Claims> = {
    realm,
    authenticate(request) {
      return run(request).catch((err: unknown) => {
        if (!isAuthError(err)) throw err
        const error = err.withRealm(realm)
        throw r.dpop ? r.dpop.challenge(error, request) : error
      })
    },
    async revoke(ctx) {
      if (!r.revocation)
        throw new TypeError('tokengate: revoke(ctx) needs options.revocation (a revocation store)')
      await r.revocation.revoke(ctx, r.claims.clockTolerance)
    },
  }
  if (cache) registerCache(authenticator, cache)
  return authenticator
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
