// The per-request steps every adapter's tokengate() and guards share, the framework aside: which
// tokengate() ran on a request, the metadata answer, a guard check, a failure's AuthError.
import { isAuthError, type AuthError } from '../errors.js'
import { isMetadataRequest, metadataResponse } from '../policy/resource.js'
import type {
  AuthAttempt,
  AuthContext,
  Authenticator,
  DefaultClaims,
  RequestLike,
} from '../types.js'
import { adapterCookies, type AdapterCookies } from './cookies.js'
import { adapterGuards, type AdapterGuards, type GuardCheck } from './guards.js'
import { withChallenge, type AdapterSetup, type FailureMode } from './setup.js'

/** A response as plain data: what an adapter writes with its framework's own calls. */
export interface PlainResponse {
  /** The HTTP status. */
  status: number
  /** Header names (lower case) and values. */
  headers: Record<string, string>
  /** The body, already serialised. */
  body: string
}

/**
 * An AuthError's response as plain data (status, `WWW-Authenticate` and the other headers, the JSON
 * body serialised), for an adapter to write with its framework's calls.
 *
 * @example
 * const { status, headers, body } = plainResponse(err)
 */
export function plainResponse(err: AuthError): PlainResponse {
  const { status, headers, body } = err.toResponse()
  return { status, headers, body: JSON.stringify(body) }
}

/**
 * The RFC 9728 metadata document when the request asks for it (`GET`/`HEAD` of a metadata path),
 * else undefined. It is public (RFC 9728 §3), so `tokengate()` answers it before authenticating.
 *
 * @example
 * const metadata = metadataFor(setup, req.method, req.originalUrl)
 * if (metadata) return metadata.then(({ status, headers, body }) => res.status(status).set(headers).send(body))
 */
export function metadataFor(
  setup: { authenticator: Pick<Authenticator<unknown>, 'protectedResource'> },
  method: string,
  path: string,
): Promise<PlainResponse> | undefined {
  const resource = setup.authenticator.protectedResource
  return isMetadataRequest(resource, method, path) ? metadataResponse(resource) : undefined
}

/**
 * Forgets what an earlier `tokengate()` left on the request (`unset(name)` removes one name where
 * the framework keeps it): only the authenticator that ran last speaks for the request, so an
 * earlier context must not survive a later optional one that found no token, nor a failure.
 *
 * @example
 * detach(setup.property, (name) => c.set(name, undefined))
 */
export function detach(property: string, unset: (name: string) => void): void {
  unset(property)
  unset('authError')
}

/**
 * What an attempt leaves on the request: the context at the `tokengate()`'s property, a refusal
 * under `passthrough` at `authError` (a name `property` may never take), and the next DPoP nonce as
 * a `DPoP-Nonce` header when the proof's was from the previous window (RFC 9449 §8.2).
 *
 * @example
 * attach(result, setup.property, (name, value) => c.set(name, value), (name, value) => c.header(name, value))
 */
export function attach(
  result: AuthAttempt<unknown>,
  property: string,
  set: (name: string, value: unknown) => void,
  header: (name: string, value: string) => void,
): void {
  if (result.context) set(property, result.context)
  if (result.refusal) set('authError', result.refusal)
  if (result.context?.dpop?.nonce !== undefined) header('DPoP-Nonce', result.context.dpop.nonce)
}

/**
 * Which `tokengate()` ran on each request (keyed by the framework's request or context object),
 * so that guards and failures after it read the context where it put it and render as it asked.
 *
 * @example
 * const modes = new RequestModes<Request>()
 * modes.set(req, setup) // in tokengate()
 * const refused = modes.check(req, check, (property) => req[property]) // in a guard
 */
export class RequestModes<Key extends object> {
  readonly #modes = new WeakMap<Key, FailureMode>()

  /**
   * Records the failure mode of the `tokengate()` now running on a request. A default mode (no
   * realm, no `resource_metadata`, no observer, `'respond'`, `'auth'`) reads exactly as no entry, so
   * it is not stored (a WeakMap insertion per request, and its ephemeron for the GC): an earlier
   * `tokengate()`'s entry is removed instead, so that the one that ran last still speaks.
   */
  set(key: Key, mode: FailureMode): void {
    if (isDefaultMode(mode)) this.#modes.delete(key)
    else this.#modes.set(key, mode)
  }

  /** The failure mode of the `tokengate()` that ran on a request, if any did and it set one that is not the default. */
  get(key: Key): FailureMode | undefined {
    return this.#modes.get(key)
  }

  /** Where that `tokengate()` put the context (`'auth'` when none ran). */
  property(key: Key): string {
    return this.#modes.get(key)?.property ?? 'auth'
  }

  /** True when that `tokengate()` hands failures to the framework (`onError: 'delegate'`). */
  delegates(key: Key): boolean {
    return this.#modes.get(key)?.onError === 'delegate'
  }

  /**
   * Runs a guard check on the request's context (`read(property)` reads it where the framework keeps
   * it): undefined when it passes, else what it threw, for the adapter's failure rendering.
   */
  check(
    key: Key,
    check: GuardCheck,
    read: (property: string) => unknown,
  ): { error: unknown } | undefined {
    const mode = this.#modes.get(key)
    try {
      check((read(mode?.property ?? 'auth') as AuthContext | undefined) ?? null, mode)
    } catch (error) {
      return { error }
    }
    return undefined
  }

  /**
   * The AuthError to render for a failure on a request, with the challenge parameters of its
   * `tokengate()` (realm, `resource_metadata`); undefined for any other error, which the framework
   * must answer itself (a 500: a bug is neither swallowed nor rendered as a refusal).
   */
  refusal(key: Key, err: unknown): AuthError | undefined {
    return isAuthError(err) ? withChallenge(err, this.#modes.get(key)) : undefined
  }
}

/** True when a mode reads as none at all in {@link RequestModes}: its get(), property(), delegates(). */
function isDefaultMode(mode: FailureMode): boolean {
  return (
    mode.onError === 'respond' &&
    mode.property === 'auth' &&
    mode.realm === undefined &&
    mode.resourceMetadata === undefined &&
    mode.observer === undefined
  )
}

/** Where {@link authenticateOn} keeps its result: the framework's request and response calls. */
export interface AttachTarget {
  /** Sets (or, with undefined, clears) one name where the framework keeps it on the request. */
  set(name: string, value: unknown): void
  /** Sets one response header. */
  header(name: string, value: string): void
  /** True once anyone answered the request (a timeout's 503): nothing is attached then. */
  answered(): boolean
}

/**
 * One request through a `tokengate()`, the framework aside: records its mode on `key` (for guards
 * and failures after it), forgets what an earlier one left ({@link detach}), authenticates and
 * {@link attach}es the result. Undefined when someone answered meanwhile (the route must not run
 * as well); a refusal rejects, for the adapter's failure rendering.
 *
 * @example
 * const result = await authenticateOn(modes, req, setup, nodeRequestLike(...), { set, header, answered })
 */
export async function authenticateOn<Key extends object, Claims>(
  modes: RequestModes<Key>,
  key: Key,
  setup: AdapterSetup<Claims>,
  request: RequestLike,
  target: AttachTarget,
): Promise<AuthAttempt<Claims> | undefined> {
  modes.set(key, setup)
  detach(setup.property, (name) => target.set(name, undefined))
  const result = await setup.attempt(request)
  if (target.answered()) return undefined
  attach(result, setup.property, target.set, target.header)
  return result
}

/**
 * An AuthError's response headers without its content type, for a framework's error handling
 * (`err.headers` as http-errors has it, which Express's and Koa's default handlers send).
 *
 * @example
 * next(Object.assign(error, { headers: challengeHeaders(error) }))
 */
export function challengeHeaders(err: AuthError): Record<string, string> {
  const { 'content-type': _json, ...headers } = err.toResponse().headers
  return headers
}

/** The guards and cookie helpers an adapter exports, in one object. */
export type AdapterHelpers<Handler, Target, Claims = DefaultClaims> = AdapterGuards<
  Handler,
  Claims
> &
  AdapterCookies<Target>

/**
 * The guards over the adapter's `guard` and the cookie helpers over its `append`, in one object:
 * an adapter exports each member as its own declaration with `member()`.
 *
 * @example
 * const helpers = adapterHelpers<RequestHandler, Response>(guard, (res, v) => res.append('Set-Cookie', v))
 */
export function adapterHelpers<Handler, Target, Claims = DefaultClaims>(
  guard: (check: GuardCheck) => Handler,
  append: (target: Target, setCookie: string) => void,
): AdapterHelpers<Handler, Target, Claims> {
  return { ...adapterGuards<Handler, Claims>(guard), ...adapterCookies<Target>(append) }
}

/**
 * The claims type an adapter's `Register` names: `R['claims']` when registered, else the JWT
 * defaults. Each adapter declares its own `Register` (declaration merging is per module).
 *
 * @example
 * export type RegisteredClaims = RegisteredClaimsOf<Register>
 */
export type RegisteredClaimsOf<R> = R extends { claims: infer C } ? C : DefaultClaims

/**
 * Where an adapter's `Register` says the request holds the context: `R['property']`, else `'auth'`.
 *
 * @example
 * export type RegisteredProperty = RegisteredPropertyOf<Register>
 */
export type RegisteredPropertyOf<R> = R extends { property: infer P extends string } ? P : 'auth'

/**
 * The request's context slot as an adapter's `Register` types it: `{ auth?: AuthContext<Claims> }`.
 *
 * @example
 * export type AuthSlot = AuthSlotOf<Register>
 */
export type AuthSlotOf<R> = {
  [K in RegisteredPropertyOf<R>]?: AuthContext<RegisteredClaimsOf<R>>
}
