// NestJS 11/12 module: the guard, the route decorators and @Auth() over @tokengate/core, on the
// Express and Fastify platforms alike.
import { Global, Inject, Module, RequestMethod } from '@nestjs/common'
import type { DynamicModule, MiddlewareConsumer, NestModule, Provider } from '@nestjs/common'
import { APP_FILTER } from '@nestjs/core'
import * as kit from '@tokengate/core/adapter'
import type { AdapterOptions, AdapterSetup } from '@tokengate/core/adapter'
import { setupOf, TOKENGATE, TokengateGuard, TokengateMetadataMiddleware } from './guard.js'
import { TokengateExceptionFilter, appendHeader } from './reply.js'
import type { TokengateAsyncOptions, TokengateOptions } from './types.js'

export type * from './types.js'
export type { AdapterOptions } from '@tokengate/core/adapter'
export { AuthError, isAuthError } from '@tokengate/core'
export { Auth, Public, RequireClaims, Roles, Scopes, StepUp } from './decorators.js'
export type { RequirementDecorator } from './decorators.js'
export {
  TOKENGATE,
  TokengateGuard,
  TokengateMetadataMiddleware,
  createTokengateGuard,
} from './guard.js'
export { TokengateException, TokengateExceptionFilter, sendAuthError } from './reply.js'

/**
 * The module: one authenticator for the app (global, so `TokengateGuard` works in every module),
 * the filter that renders refusals, and the RFC 9728 metadata paths when `protectedResource` is set.
 *
 * @example
 * imports: [TokengateModule.forRoot({ algorithms: ['ES256'], key: { jwksUri }, issuer, audience })]
 */
export class TokengateModule implements NestModule {
  constructor(private readonly setup: AdapterSetup<unknown>) {}

  /**
   * Options known at start-up (or an authenticator built elsewhere); checked now.
   *
   * @example
   * TokengateModule.forRoot({ algorithms: ['ES256'], key: { jwksUri }, issuer }, { property: 'user' })
   */
  static forRoot(options: TokengateOptions<any>, adapterOptions?: AdapterOptions): DynamicModule {
    return module({ provide: TOKENGATE, useValue: setupOf(options, adapterOptions) })
  }

  /**
   * Options from other providers (`ConfigService`); checked when the app starts.
   *
   * @example
   * TokengateModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (config: ConfigService) => ({ algorithms: ['ES256'], key: { jwksUri: config.getOrThrow('JWKS_URI') } }) })
   */
  static forRootAsync(options: TokengateAsyncOptions<any>): DynamicModule {
    const { imports = [], inject = [], useFactory, adapterOptions } = options
    return {
      ...module({
        provide: TOKENGATE,
        inject,
        useFactory: async (...args: unknown[]) =>
          setupOf(await useFactory(...args), adapterOptions),
      }),
      imports,
    }
  }

  configure(consumer: MiddlewareConsumer): void {
    if (this.setup.authenticator.protectedResource === undefined) return
    consumer
      .apply(TokengateMetadataMiddleware)
      .forRoutes({ path: '{*path}', method: RequestMethod.ALL })
  }
}

// Decorators as calls (see guard.ts).
Global()(TokengateModule)
Module({})(TokengateModule)
Inject(TOKENGATE)(TokengateModule, undefined, 0)

function module(setup: Provider): DynamicModule {
  return {
    module: TokengateModule,
    global: true,
    providers: [setup, TokengateGuard, { provide: APP_FILTER, useClass: TokengateExceptionFilter }],
    exports: [TOKENGATE, TokengateGuard],
  }
}

const cookies = /* @__PURE__ */ kit.adapterCookies<unknown>((res, value) =>
  appendHeader(res, 'Set-Cookie', value),
)
/**
 * Appends a `Set-Cookie` for the token (HttpOnly always; Secure, SameSite=Lax, Path=/ by default)
 * to Express's `res` or Fastify's `reply` (`@Res({ passthrough: true })`).
 *
 * @example
 * setAuthCookie(res, '__Host-session', token, { maxAge: '1h' })
 */
export const setAuthCookie: typeof cookies.setAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'setAuthCookie',
)
/**
 * Appends a `Set-Cookie` that deletes the token cookie (same path and domain as when set).
 *
 * @example
 * clearAuthCookie(res, '__Host-session')
 */
export const clearAuthCookie: typeof cookies.clearAuthCookie = /* @__PURE__ */ kit.member(
  cookies,
  'clearAuthCookie',
)
