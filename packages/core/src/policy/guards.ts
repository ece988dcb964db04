// Guards: pure checks of an AuthContext (roles, scopes, a claims predicate) and their asserting forms.
import { AuthError } from '../errors.js'
import type { AuthContext, DefaultClaims } from '../types.js'

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
