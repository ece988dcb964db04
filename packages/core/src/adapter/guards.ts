// The guard middlewares of every adapter, built once over the adapter's own `guard` wrapper.
import {
  requireAuthenticationOf,
  requireClaimsOf,
  requireRolesOf,
  requireScopesOf,
  resolveStepUp,
  type RoleMode,
  type StepUpRequirement,
} from '../policy/guards.js'
import type { AuthContext, DefaultClaims } from '../types.js'
import { isAuthError, type AuthError } from '../errors.js'
import { observerOfContext } from '../observe/observer.js'
import type { FailureMode } from './setup.js'

/** The guards an adapter exports; `Handler` is its framework's middleware type. */
export interface AdapterGuards<Handler, Claims = DefaultClaims> {
  /**
   * Requires roles of the request's context (`mode: 'all'` unless told otherwise): 401 without a
   * context, 403 `insufficient_role` when short.
   *
   * @example
   * app.delete('/users/:id', requireRoles(['admin', 'owner'], { mode: 'any' }), handler)
   */
  requireRoles(roles: string | readonly string[], options?: { mode?: RoleMode }): Handler
  /**
   * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` when short (RFC 6750 §3.1).
   *
   * @example
   * app.get('/reports', requireScopes('reports:read'), handler)
   */
  requireScopes(scopes: string | readonly string[]): Handler
  /**
   * Requires a predicate over the claims to hold.
   *
   * @example
   * app.get('/billing', requireClaims<Claims>((claims) => claims.email_verified === true), handler)
   */
  requireClaims<C = Claims>(predicate: (payload: C, ctx: AuthContext<C>) => boolean): Handler
  /**
   * Requires a strong or recent enough sign-in (RFC 9470): the token's `acr` among `acrValues`
   * and/or its `auth_time` at most `maxAge` ago; otherwise 401 `insufficient_user_authentication`
   * with `acr_values` and `max_age` in the challenge. Checked at start-up.
   *
   * @example
   * app.post('/transfer', requireAuthentication({ acrValues: ['mfa'], maxAge: '5m' }), handler)
   */
  requireAuthentication(requirement: StepUpRequirement): Handler
}

/**
 * A check of the request's context that throws an AuthError when it fails. The adapter passes the
 * request's failure mode too, so a refusal is reported as a `step: 'guard'` decision event.
 */
export type GuardCheck = (ctx: AuthContext<unknown> | null, mode?: FailureMode) => void

/**
 * The three guards over an adapter's `guard`, which runs a check on the request's context and
 * renders its AuthError as `tokengate()` would.
 *
 * @example
 * export const { requireRoles, requireScopes, requireClaims } = adapterGuards<RequestHandler>(guard)
 */
export function adapterGuards<Handler, Claims = DefaultClaims>(
  guard: (check: GuardCheck) => Handler,
): AdapterGuards<Handler, Claims> {
  return {
    requireRoles(roles, options) {
      const list = toList(roles)
      return guard(observed((ctx) => requireRolesOf(ctx, list, options)))
    },
    requireScopes(scopes) {
      const list = toList(scopes)
      return guard(observed((ctx) => requireScopesOf(ctx, list)))
    },
    requireClaims<C>(predicate: (payload: C, ctx: AuthContext<C>) => boolean) {
      return guard(observed((ctx) => requireClaimsOf(ctx as AuthContext<C> | null, predicate)))
    },
    requireAuthentication(requirement) {
      const stepUp = resolveStepUp(requirement)
      return guard(observed((ctx) => requireAuthenticationOf(ctx, stepUp)))
    },
  }
}

/**
 * A guard check whose refusal is reported to the observer of the authenticator that accepted the
 * context (or of the request's tokengate(), for a request without one). Unobserved: no extra work
 * beyond one WeakMap lookup on the refusal path.
 */
function observed(check: GuardCheck): GuardCheck {
  return (ctx, mode) => {
    try {
      check(ctx)
    } catch (err) {
      const observer = isAuthError(err)
        ? ((ctx ? observerOfContext(ctx) : undefined) ?? mode?.observer)
        : undefined
      observer?.guardRefused(err as AuthError, ctx)
      throw err
    }
  }
}

/** `'admin'` or `['admin', 'editor']`: guard arguments as a list (a copy, so a caller's later push changes no guard). */
export function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value]
}
