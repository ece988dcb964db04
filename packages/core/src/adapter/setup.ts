// What every framework adapter resolves once at start-up, so the three adapters share one rule.
import type { AuthError } from '../errors.js'
import type { AuthAttempt, Authenticator, AuthenticatorOptions, RequestLike } from '../types.js'
import { attemptNowOf } from '../authenticate.js'
import { rejectUnknownOptions } from '../util/options.js'
import { debugEnabled, debugListener } from '../observe/debug.js'
import { observerOf, type GuardObserver } from '../observe/observer.js'

/** How an adapter renders an AuthError: its own response, or the framework's error handling. */
export type AdapterErrorMode = 'respond' | 'delegate'

/** Options of an adapter itself (the authenticator's options are the core's). */
export interface AdapterOptions {
  /**
   * `'respond'` (default): answer an AuthError with its `toResponse()` (status, `WWW-Authenticate`,
   * JSON body). `'delegate'`: hand it to the framework's error handling with that response attached:
   * Express calls `next(err)` with `err.headers` (the exported `authErrorHandler` renders it); Koa
   * throws it with `status`, `expose: true` and `headers`, for its default handler or the app's
   * try/catch middleware; Hono throws an `HTTPException` whose `res` is that response and whose
   * `cause` is the AuthError, so `app.onError` decides (Hono's default handler sends `res` as is).
   */
  onError?: AdapterErrorMode
  /**
   * Where the context lives: `req[property]` (Express), `ctx.state[property]` (Koa),
   * `c.get(property)` (Hono). Default `'auth'`; `'user'` for apps coming from koa-jwt or
   * express-jwt's `requestProperty: 'user'`. The refusal under `passthrough` is always `authError`.
   */
  property?: string
}

/**
 * {@link AdapterOptions} whose `property` is a literal name, so that an adapter can type the context
 * variable it sets (Koa's `ctx.state[property]`, Hono's `c.get(property)`).
 */
export type AdapterOptionsFor<P extends string> = Omit<AdapterOptions, 'property'> & {
  /** As {@link AdapterOptions.property}, typed by its literal value. */
  property?: P
}

/** What an adapter's `tokengate()` takes: the authenticator's options, or an authenticator. */
export type AdapterSource<Claims> = AuthenticatorOptions<Claims> | Authenticator<Claims>

/**
 * Options under which every request let through has a context (neither `optional` nor
 * `passthrough`), so an adapter can type its context variable as always set.
 */
export type ContextAlwaysSet<Claims> = AuthenticatorOptions<Claims> & {
  /** Not optional: a request without a token is refused. */
  optional?: false
  /** Not passthrough: a refused token is answered, not passed on. */
  passthrough?: false
}

/** Options under which a request may go on without a context (`optional` or `passthrough`). */
export type ContextMaybeSet<Claims> = AuthenticatorOptions<Claims> &
  ({ optional: true } | { passthrough: true })

/** How the `tokengate()` that ran on a request wants failures rendered; guards follow it. */
export interface FailureMode {
  /** The authenticator's `realm`, for the challenges of guard failures. */
  realm: string | undefined
  /** `'respond'` or `'delegate'`, as {@link AdapterOptions.onError}. */
  onError: AdapterErrorMode
  /** Where this `tokengate()` puts the context ({@link AdapterOptions.property}); guards read it there. */
  property: string
  /** The authenticator's protected resource metadata URL (RFC 9728 §5.1), for guard challenges. */
  resourceMetadata?: string | undefined
  /** Where guard refusals are reported as `step: 'guard'` decision events (issue 16). */
  observer?: GuardObserver
}

/** What an adapter's `tokengate()` works with, resolved once. */
export interface AdapterSetup<Claims> extends FailureMode {
  /** The given authenticator, or the one built from the options. */
  authenticator: Authenticator<Claims>
  /** `authenticator.attempt`, or, for an authenticator without it, `authenticate` without refusals. */
  attempt(request: RequestLike): Promise<AuthAttempt<Claims>>
  /**
   * {@link attempt}'s result, not wrapped in a promise when the core answers at once (a cache hit
   * with no revocation, DPoP or binding check, a skipped request): the adapter then calls the
   * framework's next() in the same turn, as a no-op middleware would (perf, issue 17). A refusal
   * is always a rejected promise. Other authenticators: `attempt` itself.
   */
  attemptNow(request: RequestLike): AuthAttempt<Claims> | Promise<AuthAttempt<Claims>>
}

/**
 * Resolves an adapter's arguments: an existing authenticator is used as it is, options build one
 * (so a bad option throws at start-up), and `onError` and `property` are checked. `create` is the
 * adapter's `createAuthenticator` from `@tokengate/core`, so the Node entry keeps its fast path.
 * `reserved`: names `property` may not take because the framework's request already has them.
 *
 * @example
 * const { authenticator, ...mode } = setupAdapter(createAuthenticator, options, { onError: 'delegate' })
 */
export function setupAdapter<Claims>(
  create: (options: AuthenticatorOptions<Claims>) => Authenticator<Claims>,
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
  reserved: readonly string[] = [],
  debug?: string,
): AdapterSetup<Claims> {
  const { onError, property } = checkAdapterOptions(adapterOptions, reserved)
  const authenticator = isAuthenticator(optionsOrAuthenticator)
    ? optionsOrAuthenticator
    : create(debugOptions(optionsOrAuthenticator, debug))
  const attempt =
    typeof authenticator.attempt === 'function'
      ? authenticator.attempt.bind(authenticator)
      : (request: RequestLike) =>
          authenticator.authenticate(request).then((context) => ({ context, refusal: undefined }))
  const observer = observerOf(authenticator)
  return {
    authenticator,
    attempt,
    attemptNow: attemptNowOf(authenticator) ?? attempt,
    onError,
    realm: authenticator.realm,
    property,
    resourceMetadata: authenticator.protectedResource?.metadataUrl,
    ...(observer && { observer }),
  }
}

/**
 * An AuthError with the challenge parameters of the `tokengate()` that ran on the request (its
 * realm and `resource_metadata`), for guard failures raised after it.
 *
 * @example
 * const error = withChallenge(err, failureMode.get(c))
 */
export function withChallenge(err: AuthError, mode: FailureMode | undefined): AuthError {
  return err.withRealm(mode?.realm).withResourceMetadata(mode?.resourceMetadata)
}

/** DEBUG=tokengate: explain mode and a logging listener, unless the options chose otherwise. */
function debugOptions<Claims>(
  options: AuthenticatorOptions<Claims>,
  debug: string | undefined,
): AuthenticatorOptions<Claims> {
  if (!debugEnabled(debug) || typeof options !== 'object' || options === null) return options
  return {
    ...options,
    explain: options.explain ?? true,
    onDecision: options.onDecision ?? debugListener,
  }
}

/** The adapter's own options, checked at start-up: unknown names, `onError`, `property`. */
function checkAdapterOptions(
  adapterOptions: AdapterOptions,
  reserved: readonly string[],
): { onError: AdapterErrorMode; property: string } {
  if (typeof adapterOptions !== 'object' || adapterOptions === null)
    throw new TypeError('tokengate: adapterOptions must be an object { onError?, property? }')
  rejectUnknownOptions(
    adapterOptions,
    ['onError', 'property'],
    'adapterOptions',
    'the adapter takes { onError?, property? }',
  )
  const onError = adapterOptions.onError ?? 'respond'
  if (onError !== 'respond' && onError !== 'delegate') {
    throw new TypeError(
      `tokengate: adapterOptions.onError must be 'respond' or 'delegate', got ${JSON.stringify(onError)}`,
    )
  }
  return { onError, property: checkProperty(adapterOptions.property, reserved) }
}

// idioms (issue 15): the property must be a plain name that holds nothing of the framework's own.
function checkProperty(value: unknown, reserved: readonly string[]): string {
  if (value === undefined) return 'auth'
  if (typeof value !== 'string' || !/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(value))
    throw new TypeError(
      `tokengate: adapterOptions.property must be a property name such as 'auth' or 'user'`,
    )
  if (value in Object.prototype || value === 'authError' || reserved.includes(value))
    throw new TypeError(
      `tokengate: adapterOptions.property '${value}' is taken (by the framework, by Object.prototype, or by authError, where passthrough puts refusals): choose another name such as 'auth' or 'user'`,
    )
  return value
}

/**
 * Builds an adapter's setup once per key (Hono on Workers: the `c.env` object, the same for every
 * request of an isolate), from a factory of options; never per request, so the key and token
 * caches survive. A factory that throws is not remembered: the next request tries again.
 *
 * @example
 * const setupFor = setupPerKey(createAuthenticator, (env: Env) => ({ algorithms: ['HS256'], key: env.JWT_SECRET }))
 * const { attempt } = setupFor(c.env ?? NO_ENV, c.env)
 */
export function setupPerKey<Claims, Arg>(
  create: (options: AuthenticatorOptions<Claims>) => Authenticator<Claims>,
  factory: (arg: Arg) => AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
  reserved: readonly string[] = [],
  debug?: string,
): (key: object, arg: Arg) => AdapterSetup<Claims> {
  // The adapter's own options need no factory: a mistake there fails when tokengate() is called.
  checkAdapterOptions(adapterOptions, reserved)
  const built = new WeakMap<object, AdapterSetup<Claims>>()
  return (key, arg) => {
    let setup = built.get(key)
    if (!setup) {
      setup = setupAdapter(create, factory(arg), adapterOptions, reserved, debug)
      built.set(key, setup)
    }
    return setup
  }
}

/**
 * An adapter's setup from options, an authenticator, or a factory of either from a per-request
 * `arg` (Hono: the context, for Workers bindings). Options and authenticators are resolved now; a
 * factory's result is built once per `key` ({@link setupPerKey}).
 *
 * @example
 * const setupFor = setupEach(createAuthenticator, options, adapterOptions, [], debug)
 * const { attempt } = setupFor(c.env ?? NO_ENV, c)
 */
export function setupEach<Claims, Arg>(
  create: (options: AuthenticatorOptions<Claims>) => Authenticator<Claims>,
  options: AdapterSource<Claims> | ((arg: Arg) => AdapterSource<Claims>),
  adapterOptions: AdapterOptions = {},
  reserved: readonly string[] = [],
  debug?: string,
): (key: object, arg: Arg) => AdapterSetup<Claims> {
  if (typeof options === 'function')
    return setupPerKey(create, options, adapterOptions, reserved, debug)
  const setup = setupAdapter(create, options, adapterOptions, reserved, debug)
  return () => setup
}

/**
 * An AuthError as a Fetch `Response` (status, `WWW-Authenticate`, JSON body), for adapters and
 * error handlers on Fetch runtimes.
 *
 * @example
 * app.onError((err, c) => (isAuthError(err.cause) ? authErrorResponse(err.cause) : c.text('oops', 500)))
 */
export function authErrorResponse(err: AuthError): Response {
  const { status, headers, body } = err.toResponse()
  return new Response(JSON.stringify(body), { status, headers })
}

function isAuthenticator<Claims>(
  value: AuthenticatorOptions<Claims> | Authenticator<Claims>,
): value is Authenticator<Claims> {
  return typeof (value as Authenticator<Claims>).authenticate === 'function'
}
