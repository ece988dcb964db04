// Guards: pure checks of an AuthContext (roles, scopes, a claims predicate) and their asserting forms.
import { AuthError } from '../errors.js'
import type { AuthContext, DefaultClaims, Duration } from '../types.js'
import { parseDuration } from '../util/duration.js'
import { rejectUnknownOptions } from '../util/options.js'

/** How a list of roles is matched: every one (`'all'`, the default) or at least one (`'any'`). */
export type RoleMode = 'any' | 'all'

/**
 * True when the context has the roles: every one (`'all'`, the default) or at least one (`'any'`).
 * An empty list is satisfied by any authenticated context.
 *
 * @example
 * hasRoles(ctx, ['admin', 'owner'], 'any')
 */
export function hasRoles(
  ctx: AuthContext<unknown> | null | undefined,
  roles: readonly string[],
  mode: RoleMode = 'all',
): boolean {
  if (!ctx) return false
  if (roles.length === 0) return true
  return mode === 'any'
    ? roles.some((r) => ctx.roles.includes(r))
    : roles.every((r) => ctx.roles.includes(r))
}

/**
 * True when the context has every listed scope (RFC 6749 §3.3 scopes are all required).
 *
 * @example
 * hasScopes(ctx, ['reports:read'])
 */
export function hasScopes(
  ctx: AuthContext<unknown> | null | undefined,
  scopes: readonly string[],
): boolean {
  return !!ctx && scopes.every((s) => ctx.scopes.includes(s))
}

function present<C>(ctx: AuthContext<C> | null | undefined): AuthContext<C> {
  if (!ctx) throw new AuthError('token_missing', 'this resource requires a bearer token')
  return ctx
}

/**
 * Asserting form of {@link hasRoles}: 401 `token_missing` without a context, 403 `insufficient_role`.
 *
 * @example
 * const ctx = requireRolesOf(await authenticator.authenticate(req), ['admin'])
 */
export function requireRolesOf<C = DefaultClaims>(
  ctx: AuthContext<C> | null | undefined,
  roles: readonly string[],
  options: { mode?: RoleMode } = {},
): AuthContext<C> {
  const mode = options.mode ?? 'all'
  if (!hasRoles(present(ctx), roles, mode)) {
    throw new AuthError(
      'insufficient_role',
      mode === 'any'
        ? 'the token has none of the required roles'
        : 'the token lacks a required role',
    )
  }
  return ctx as AuthContext<C>
}

/**
 * Asserting form of {@link hasScopes}: 403 `insufficient_scope` carrying the required scopes, which
 * the challenge renders as `scope="…"` (RFC 6750 §3).
 *
 * @example
 * requireScopesOf(ctx, ['reports:read'])
 */
export function requireScopesOf<C = DefaultClaims>(
  ctx: AuthContext<C> | null | undefined,
  scopes: readonly string[],
): AuthContext<C> {
  if (!hasScopes(present(ctx), scopes)) {
    throw new AuthError('insufficient_scope', 'the token lacks a required scope', {
      scope: [...scopes],
    })
  }
  return ctx as AuthContext<C>
}

/**
 * Requires `predicate(payload, ctx)` to return exactly `true`: 403 `insufficient_role` otherwise
 * (any other result, a truthy non-boolean included, fails closed).
 *
 * @example
 * requireClaimsOf(ctx, (claims) => claims.email_verified === true)
 */
export function requireClaimsOf<C = DefaultClaims>(
  ctx: AuthContext<C> | null | undefined,
  predicate: (payload: C, ctx: AuthContext<C>) => boolean,
): AuthContext<C> {
  const current = present(ctx)
  if (predicate(current.payload, current) !== true) {
    throw new AuthError(
      'insufficient_role',
      'the token does not meet the requirements of this resource',
    )
  }
  return current
}

/**
 * What a step-up guard requires (RFC 9470 §3): an `acr` among `acrValues`, and/or an `auth_time`
 * at most `maxAge` ago. At least one must be given.
 */
export interface StepUpRequirement {
  /** Acceptable authentication context classes; the token's `acr` must be one of them. */
  acrValues?: readonly string[]
  /** The longest time since the user authenticated (`auth_time`), as seconds or `'5m'`. */
  maxAge?: Duration
}

/** A {@link StepUpRequirement} checked once, at start-up. */
export interface ResolvedStepUp {
  /** The acceptable `acr` values, or undefined when `acr` is not checked. */
  readonly acrValues: readonly string[] | undefined
  /** The maximum age of `auth_time` in whole seconds, or undefined when it is not checked. */
  readonly maxAge: number | undefined
}

/**
 * Validates a step-up requirement at start-up (guard creation), so a typo fails before traffic.
 *
 * @example
 * const stepUp = resolveStepUp({ acrValues: ['urn:mace:incommon:iap:silver'], maxAge: '5m' })
 */
export function resolveStepUp(requirement: StepUpRequirement): ResolvedStepUp {
  const where = 'requireAuthentication'
  if (typeof requirement !== 'object' || requirement === null)
    throw new TypeError(`tokengate: ${where} takes { acrValues?, maxAge? }`)
  rejectUnknownOptions(
    requirement,
    ['acrValues', 'maxAge'],
    where,
    `${where} takes { acrValues?: string[], maxAge?: duration } (RFC 9470)`,
  )
  const { acrValues, maxAge } = requirement
  if (acrValues === undefined && maxAge === undefined)
    throw new TypeError(
      `tokengate: ${where} needs acrValues, maxAge or both (RFC 9470 §3); use requireScopes or requireRoles for other checks`,
    )
  if (
    acrValues !== undefined &&
    (!Array.isArray(acrValues) ||
      acrValues.length === 0 ||
      !acrValues.every((v) => typeof v === 'string' && v.length > 0 && !/[\s"\\]/.test(v)))
  )
    throw new TypeError(
      `tokengate: ${where} acrValues must be a non-empty list of acr values without spaces or quotes, e.g. ['phr']`,
    )
  return {
    acrValues: acrValues && [...acrValues],
    maxAge: maxAge === undefined ? undefined : Math.floor(parseDuration(maxAge, `${where} maxAge`)),
  }
}

/**
 * Asserting step-up guard (RFC 9470 §3): 401 `insufficient_user_authentication` whose challenge
 * carries `acr_values` and `max_age`, so the client can send the user back to the authorization
 * server. A token without `acr` (or `auth_time`) fails the requirement that needs it.
 *
 * @example
 * requireAuthenticationOf(ctx, resolveStepUp({ acrValues: ['mfa'] }))
 */
export function requireAuthenticationOf<C = DefaultClaims>(
  ctx: AuthContext<C> | null | undefined,
  stepUp: ResolvedStepUp,
  now: number = Date.now() / 1000,
): AuthContext<C> {
  const current = present(ctx)
  // With a claims schema, its output must keep acr and auth_time (a z.object() strips unknown keys).
  const claims = (current.payload ?? {}) as Record<string, unknown>
  const fail = (description: string): never => {
    throw new AuthError('insufficient_user_authentication', description, {
      ...(stepUp.acrValues && { acrValues: stepUp.acrValues }),
      ...(stepUp.maxAge !== undefined && { maxAge: stepUp.maxAge }),
    })
  }
  if (stepUp.acrValues) {
    const acr = claims.acr
    if (typeof acr !== 'string' || !stepUp.acrValues.includes(acr))
      fail('a stronger authentication is required (RFC 9470 acr_values)')
  }
  if (stepUp.maxAge !== undefined) {
    const authTime = claims.auth_time
    if (typeof authTime !== 'number' || !Number.isFinite(authTime))
      fail('the token does not say when the user authenticated (auth_time, RFC 9470 §3)')
    else if (now - authTime > stepUp.maxAge)
      fail('a more recent authentication is required (RFC 9470 max_age)')
  }
  return current
}
