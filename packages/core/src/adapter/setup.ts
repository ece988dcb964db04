// What every framework adapter resolves once at start-up, so the three adapters share one rule.
import type { AuthError } from '../errors.js'
import type { Authenticator, AuthenticatorOptions } from '../types.js'
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
}

/** How the `tokengate()` that ran on a request wants failures rendered; guards follow it. */
export interface FailureMode {
  /** The authenticator's `realm`, for the challenges of guard failures. */
  realm: string | undefined
  /** The authenticator's protected resource metadata URL (RFC 9728 §5.1), for the same challenges. */
  resourceMetadata?: string | undefined
  /** `'respond'` or `'delegate'`, as {@link AdapterOptions.onError}. */
  onError: AdapterErrorMode
  /** Where guard refusals are reported as `step: 'guard'` decision events (issue 16). */
  observer?: GuardObserver
}

/** What an adapter's `tokengate()` works with, resolved once. */
export interface AdapterSetup<Claims> extends FailureMode {
  /** The given authenticator, or the one built from the options. */
  authenticator: Authenticator<Claims>
}

/**
 * Resolves an adapter's arguments: an existing authenticator is used as it is, options build one
 * (so a bad option throws at start-up), and `onError` is checked. `create` is the adapter's
 * `createAuthenticator` from `@tokengate/core`, so the Node entry keeps its fast path. `debug` is
 * the `DEBUG` environment variable, read by the adapter (the core reads no environment): when it
 * names `tokengate` (docs/debugging.md), options without `explain` get `explain: true`, and
 * options without `onDecision` log each decision with console.warn.
 *
 * @example
 * const { authenticator, ...mode } = setupAdapter(createAuthenticator, options, { onError: 'delegate' }, process.env.DEBUG)
 */
export function setupAdapter<Claims>(
  create: (options: AuthenticatorOptions<Claims>) => Authenticator<Claims>,
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: AdapterOptions = {},
  debug?: string,
): AdapterSetup<Claims> {
  const authenticator = isAuthenticator(optionsOrAuthenticator)
    ? optionsOrAuthenticator
    : create(debugOptions(optionsOrAuthenticator, debug))
  const onError = adapterOptions.onError ?? 'respond'
  if (onError !== 'respond' && onError !== 'delegate') {
    throw new TypeError(
      `tokengate: adapterOptions.onError must be 'respond' or 'delegate', got ${JSON.stringify(onError)}`,
    )
  }
  const observer = observerOf(authenticator)
  return {
    authenticator,
    onError,
    realm: authenticator.realm,
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
