// The route decorators: metadata the guard reads (who may pass) and @Auth() (what the handler gets).
import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common'
import type { CustomDecorator } from '@nestjs/common'
import 'reflect-metadata'
import { adapterGuards, type GuardCheck } from '@tokengate/core/adapter'
import type { AuthContext, RoleMode, StepUpRequirement } from '@tokengate/core/adapter'
import type { RegisteredClaims } from './types.js'
import { CHECKS, IS_PUBLIC, contextOf } from './guard.js'

// The core's guard factories, each check kept as metadata instead of a middleware. Built once
// when the decorator is applied, so a bad step-up requirement fails at start-up.
const checks = adapterGuards<GuardCheck[], RegisteredClaims>((check) => [check])
/** A class or method decorator: both apply, and so do several on one target (none replaces another). */
export type RequirementDecorator = ClassDecorator & MethodDecorator
// Prepended: decorators run bottom-up, so the checks keep the order in which they are written.
const requirement =
  (list: GuardCheck[]): RequirementDecorator =>
  (target: object, _key?: string | symbol, descriptor?: PropertyDescriptor) => {
    const where = (descriptor?.value as object | undefined) ?? target
    const before = (Reflect.getOwnMetadata(CHECKS, where) as GuardCheck[] | undefined) ?? []
    Reflect.defineMetadata(CHECKS, [...list, ...before], where)
  }

/**
 * Lets a route (or a whole controller) through without authentication, under a global guard.
 *
 * @example
 * @Public() @Get('health') health() { return 'ok' }
 */
export const Public = (): CustomDecorator<string> => SetMetadata(IS_PUBLIC, true)

/**
 * Requires roles (every one, or `{ mode: 'any' }`): 401 without a context, 403 `insufficient_role`
 * when short. On a controller and a handler, both apply.
 *
 * @example
 * @Roles(['admin', 'owner'], { mode: 'any' }) @Delete(':id') remove() {}
 */
export const Roles = (roles: string | readonly string[], options?: { mode?: RoleMode }) =>
  requirement(checks.requireRoles(roles, options))

/**
 * Requires every listed scope: 403 `insufficient_scope` with `scope="…"` (RFC 6750 §3.1).
 *
 * @example
 * @Scopes('reports:read') @Get('reports') reports() {}
 */
export const Scopes = (scopes: string | readonly string[]) =>
  requirement(checks.requireScopes(scopes))

/**
 * Requires a predicate over the verified claims to return exactly `true`: 403 `insufficient_role`.
 *
 * @example
 * @RequireClaims((claims) => claims.email_verified === true) @Get('billing') billing() {}
 */
export const RequireClaims = <C = RegisteredClaims>(
  predicate: (payload: C, ctx: AuthContext<C>) => boolean,
) => requirement(checks.requireClaims(predicate))

/**
 * Requires a strong or recent sign-in (RFC 9470): otherwise 401 `insufficient_user_authentication`
 * with `acr_values` and `max_age` in the challenge.
 *
 * @example
 * @StepUp({ acrValues: ['mfa'], maxAge: '5m' }) @Post('transfer') transfer() {}
 */
export const StepUp = (requirement_: StepUpRequirement) =>
  requirement(checks.requireAuthentication(requirement_))

/**
 * The request's verified context, or one member of it (`@Auth('payload')`). Type the parameter
 * with `AuthOf` (claims from `Register`).
 *
 * @example
 * @Get('me') me(@Auth() auth: AuthOf) { return auth?.payload }
 */
export const Auth: (member?: keyof AuthContext) => ParameterDecorator = createParamDecorator(
  (member: keyof AuthContext | undefined, host: ExecutionContext) => {
    const context = contextOf(host.switchToHttp().getRequest())
    return member === undefined ? context : context?.[member]
  },
)
