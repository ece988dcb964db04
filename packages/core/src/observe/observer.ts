// Decision events (issue 16 item 1): one per request, built only when someone listens.
// authenticate.ts makes a Trace per request only when an Observer exists, so a plain setup builds
// no event object and reads no clock.
import {
  AuthExplanation,
  KeyFailureError,
  type DecisionEvent,
  type DecisionStep,
  type KeyFetchEvent,
} from '../events.js'
import type { AuthError } from '../errors.js'
import type { KeySource } from '../keys/public-key.js'
import type { ClaimRules } from '../token/claims.js'
import { decodeHeader } from '../token/compact.js'
import type { AuthContext, RequestLike, TokenSource } from '../types.js'
import { explain, summarize } from './explain.js'

/** The keys, allowlist and claim rules a token is checked by (an issuer entry, or the options). */
export interface IssuerView {
  readonly keys: KeySource
  readonly algorithms: ReadonlySet<string>
  readonly claims: ClaimRules
}

/**
 * What one request went through, filled in by authenticate.ts as it runs. Internal: `token` and
 * `jws` are kept only to explain a decision and never reach an event.
 */
export interface Trace {
  readonly start: number
  readonly method: string
  step: DecisionStep
  cacheHit: boolean
  source: TokenSource | undefined
  token: string | undefined
  /** The JWS that was (to be) verified: the token, or the inner JWS of a nested JWE. */
  jws: string | undefined
  issuer: IssuerView | undefined
  /** The verified claims, once verification succeeded. */
  claims: Readonly<Record<string, unknown>> | undefined
}

/** The observe options, resolved at start-up (options.ts keeps them as unknown; checked here). */
export interface ObserveOptions {
  onDecision: ((event: DecisionEvent) => void) | undefined
  onKeyFetch: ((event: KeyFetchEvent) => void) | undefined
  explain: boolean
  eventClaims: readonly string[]
}

/**
 * Checks `onDecision`, `onKeyFetch`, `explain` and `eventClaims`; throws a TypeError naming the
 * option and the fix. Warns once per process when explain mode is on.
 */
export function resolveObserveOptions(o: Record<string, unknown>): ObserveOptions {
  const fn = (name: string) => {
    const value = o[name]
    if (value !== undefined && typeof value !== 'function')
      throw new TypeError(
        `tokengate: options.${name} must be a function, e.g. ${name}: (event) => logger.info(event)`,
      )
    return value as ((event: any) => void) | undefined
  }
  const onDecision = fn('onDecision')
  const onKeyFetch = fn('onKeyFetch')
  if (o.explain !== undefined && typeof o.explain !== 'boolean')
    throw new TypeError('tokengate: options.explain must be true or false (default false)')
  const eventClaims = o.eventClaims ?? []
  if (!Array.isArray(eventClaims) || !eventClaims.every((c) => typeof c === 'string' && c !== ''))
    throw new TypeError(
      "tokengate: options.eventClaims must be a list of claim names, e.g. ['tenant', 'client_id']",
    )
  if (eventClaims.length > 0 && onDecision === undefined)
    throw new TypeError(
      'tokengate: options.eventClaims names claims for decision events, but options.onDecision is not set; add onDecision or remove eventClaims',
    )
  const explainOn = o.explain === true
  if (explainOn && !warned) {
    warned = true
    console.warn(
      'tokengate: explain mode is on: refusals carry expected and received claim values in their cause and events (never in responses). Turn it off in production.',
    )
  }
  return { onDecision, onKeyFetch, explain: explainOn, eventClaims }
}

let warned = false

/** What an adapter's guard wrapper reports a refusal to (see adapter/guards.ts). */
export interface GuardObserver {
  /** Emits a `step: 'guard'` refusal event for `error` (the context's claims, if observed). */
  guardRefused(error: AuthError, ctx: AuthContext<unknown> | null): void
}

// A context accepted under an observer, with its verified claims: guards report through it.
const observed = new WeakMap<
  object,
  { observer: Observer; claims: Readonly<Record<string, unknown>> }
>()
const byAuthenticator = new WeakMap<object, Observer>()

/** The observer of an authenticator (for setupAdapter: guard refusals of its requests). */
export function observerOf(authenticator: object): GuardObserver | undefined {
  return byAuthenticator.get(authenticator)
}

/** Reports guard refusals of contexts accepted by an observed authenticator. */
export function observerOfContext(ctx: object): GuardObserver | undefined {
  return observed.get(ctx)?.observer
}

/** Builds and delivers decision events for one authenticator. */
export class Observer implements GuardObserver {
  readonly #options: ObserveOptions
  readonly #defaults: IssuerView
  #reported = false

  constructor(options: ObserveOptions, defaults: IssuerView) {
    this.#options = options
    this.#defaults = defaults
  }

  /** Ties the observer to its authenticator, for the adapters' guards. */
  register(authenticator: object): void {
    byAuthenticator.set(authenticator, this)
  }

  start(request: RequestLike): Trace {
    return {
      start: performance.now(),
      method: typeof request.method === 'string' ? request.method.slice(0, 16) : '',
      step: 'extract',
      cacheHit: false,
      source: undefined,
      token: undefined,
      jws: undefined,
      issuer: undefined,
      claims: undefined,
    }
  }

  /** An accepted request (a context, or null for an optional request without a token). */
  accepted(trace: Trace, ctx: AuthContext<unknown> | null): void {
    if (ctx && trace.claims && this.#options.onDecision)
      observed.set(ctx, { observer: this, claims: trace.claims })
    if (!this.#options.onDecision) return
    const event = this.#event('accepted', trace)
    if (ctx) {
      header(event, ctx.protectedHeader as Record<string, unknown>)
      if (this.#options.explain) event.explain = this.#explain(trace)
    }
    this.#emit(event)
  }

  /** A refusal: emits its event and returns the error to throw (with an explanation in explain mode). */
  refused(trace: Trace, error: AuthError): AuthError {
    const explanation =
      this.#options.explain && trace.token !== undefined ? this.#explain(trace) : undefined
    if (this.#options.onDecision) {
      const event = this.#event('refused', trace)
      event.code = error.code
      event.status = error.status
      event.description = error.description
      if (trace.jws !== undefined) {
        try {
          header(event, decodeHeader(trace.jws.slice(0, trace.jws.indexOf('.'))))
        } catch {
          // An undecodable header: nothing to show.
        }
      }
      if (error.cause instanceof KeyFailureError) event.keyFailure = error.cause.toJSON()
      if (explanation) event.explain = explanation
      this.#emit(event)
    }
    return explanation
      ? error.withCause(new AuthExplanation(summarize(explanation), explanation, error.cause))
      : error
  }

  guardRefused(error: AuthError, ctx: AuthContext<unknown> | null): void {
    if (!this.#options.onDecision) return
    const claims = ctx ? observed.get(ctx)?.claims : undefined
    const event: DecisionEvent = {
      outcome: 'refused',
      step: 'guard',
      code: error.code,
      status: error.status,
      description: error.description,
      cacheHit: false,
      durationMs: 0,
      ...(ctx && { source: ctx.source }),
    }
    if (ctx) header(event, ctx.protectedHeader as Record<string, unknown>)
    if (claims) this.#claims(event, claims)
    this.#emit(event)
  }

  #event(outcome: DecisionEvent['outcome'], trace: Trace): DecisionEvent {
    const event: DecisionEvent = {
      outcome,
      step: trace.step,
      method: trace.method,
      cacheHit: trace.cacheHit,
      durationMs: performance.now() - trace.start,
      ...(trace.source && { source: trace.source }),
    }
    if (trace.claims) this.#claims(event, trace.claims)
    else if (trace.issuer && trace.issuer !== this.#defaults) {
      // Several issuers: the configured issuer the token was routed to (not attacker text).
      const configured = trace.issuer.claims.issuers?.[0]
      if (configured !== undefined) event.issuer = configured
    }
    return event
  }

  /** sub, iss, aud and the claims the app named: from verified claims only. */
  #claims(event: DecisionEvent, claims: Readonly<Record<string, unknown>>): void {
    if (typeof claims.iss === 'string') event.issuer = claims.iss
    if (typeof claims.sub === 'string') event.subject = claims.sub
    const aud = claims.aud
    if (typeof aud === 'string' || (Array.isArray(aud) && aud.every((a) => typeof a === 'string')))
      event.audience = aud as string | string[]
    if (this.#options.eventClaims.length > 0) {
      const picked: Record<string, unknown> = {}
      for (const name of this.#options.eventClaims)
        if (Object.hasOwn(claims, name)) picked[name] = claims[name]
      event.claims = picked
    }
  }

  #explain(trace: Trace) {
    const issuer = trace.issuer ?? this.#defaults
    return explain({
      jws: trace.jws ?? (trace.token?.split('.').length === 3 ? trace.token : undefined),
      claims: trace.claims,
      rules: issuer.claims,
      algorithms: issuer.algorithms,
      keys: issuer.keys,
      now: Date.now() / 1000,
    })
  }

  /**
   * Delivers an event. A listener that throws (or rejects) changes nothing: the decision stands,
   * and the first such error is logged with console.error (later ones are not, so a broken
   * listener cannot flood the logs; docs/debugging.md).
   */
  #emit(event: DecisionEvent): void {
    try {
      const result: unknown = (this.#options.onDecision as (e: DecisionEvent) => unknown)(event)
      if (typeof (result as Promise<unknown> | undefined)?.then === 'function')
        (result as Promise<unknown>).then(undefined, (err: unknown) => this.#report(err))
    } catch (err) {
      this.#report(err)
    }
  }

  #report(err: unknown): void {
    if (this.#reported) return
    this.#reported = true
    console.error(
      'tokengate: options.onDecision threw; the decision stands (later errors of this listener are not logged):',
      err,
    )
  }
}

/**
 * kid and alg from a header (unverified on a refusal): short printable strings only (a log line
 * must not take control characters from a token), never other members.
 */
function header(event: DecisionEvent, h: Record<string, unknown>): void {
  if (typeof h.alg === 'string') event.alg = printable(h.alg)
  if (typeof h.kid === 'string') event.kid = printable(h.kid)
}

function printable(value: string): string {
  return value.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')
}
