// Public types of @tokengate/nestjs: the claims registry, the typed context of @Auth(), the options.
import type { AdapterOptions } from '@tokengate/core/adapter'
import type {
  AuthContext,
  Authenticator,
  AuthenticatorOptions,
  DefaultClaims,
} from '@tokengate/core'

/**
 * Fill this in once to type the claims of `@Auth()` everywhere in the app.
 *
 * @example
 * declare module '@tokengate/nestjs' {
 *   interface Register { claims: z.output<typeof claimsSchema> }
 * }
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by declaration merging
export interface Register {}

/** The claims type of `@Auth()`: `Register['claims']` when registered, else the JWT defaults. */
export type RegisteredClaims = Register extends { claims: infer C } ? C : DefaultClaims

/**
 * What `@Auth()` gives a handler: the verified context (undefined on a `@Public()` route, or with
 * `credentialsRequired: false` when no token was sent).
 *
 * @example
 * me(@Auth() auth: AuthOf) { return auth?.payload.sub }
 */
export type AuthOf<Claims = RegisteredClaims> = AuthContext<Claims> | undefined

/** `TokengateModule.forRoot`'s first argument: options, or an authenticator built elsewhere. */
export type TokengateOptions<Claims = DefaultClaims> =
  AuthenticatorOptions<Claims> | Authenticator<Claims>

/**
 * `TokengateModule.forRootAsync`'s argument: Nest's usual `imports` / `inject` / `useFactory`
 * (the factory may be async), and the adapter's own options.
 *
 * @example
 * TokengateModule.forRootAsync({ imports: [ConfigModule], inject: [ConfigService], useFactory: (c) => ({ ... }) })
 */
export interface TokengateAsyncOptions<Claims = DefaultClaims> {
  /** Modules whose providers the factory injects (`ConfigModule`). */
  imports?: any[]
  /** Tokens injected into the factory, in order (`ConfigService`). */
  inject?: any[]
  /** Builds the options (or an authenticator) once, at start-up. */
  useFactory(...args: any[]): TokengateOptions<Claims> | Promise<TokengateOptions<Claims>>
  /** `onError` and `property`, as for the other adapters. */
  adapterOptions?: AdapterOptions
}
