// @tokengate/otel: tokengate's decision events as OpenTelemetry spans and metrics.
// Only types come from @opentelemetry/api: the app passes its own tracer and meter, so this
// package never loads a second copy of the API (whose globals are per copy) and runs wherever the
// app's OpenTelemetry does (Node, workerd).
import type { Attributes, Counter, Histogram, Meter, Span, Tracer } from '@opentelemetry/api'
import type { AuthenticatorOptions, DecisionEvent, KeyFetchEvent } from '@tokengate/core'

// @opentelemetry/api's SpanKind.INTERNAL and SpanStatusCode.ERROR: numeric values fixed by the
// OpenTelemetry specification (trace API, "SpanKind" and "Set Status"), stable across API 1.x.
const SPAN_KIND_INTERNAL = 0
const STATUS_ERROR = 2

/** What {@link tokengateOtel} records to. */
export interface OtelOptions {
  /** Spans: one per authentication (`tokengate.authenticate`) and per guard refusal (`tokengate.guard`). */
  tracer?: Tracer
  /** Metrics: `tokengate.decisions`, `tokengate.decision.duration`, `tokengate.key_fetches`. */
  meter?: Meter
  /**
   * Record the verified `sub` as `user.id` on spans. Default false: a subject is personal data,
   * and traces are often kept longer and seen more widely than auth logs.
   */
  recordSubject?: boolean
}

/** The two listeners to spread into tokengate's options. */
export interface OtelListeners {
  /** Records a span and the decision metrics for each decision event. */
  onDecision: (event: DecisionEvent) => void
  /** Counts key fetches by result. */
  onKeyFetch: (event: KeyFetchEvent) => void
}

/**
 * Listeners that turn tokengate's decision events into OpenTelemetry data:
 *
 * - a span per authentication, `tokengate.authenticate` (guard refusals: `tokengate.guard`),
 *   child of the active span (the HTTP server span), timed by the event's duration, with
 *   `http.request.method`, `error.type` (the refusal code) and `tokengate.*` attributes; status
 *   error on a refusal;
 * - `tokengate.decisions` (counter) by `tokengate.outcome`, `tokengate.code` and `tokengate.step`;
 * - `tokengate.decision.duration` (histogram, seconds) by `tokengate.outcome`;
 * - `tokengate.key_fetches` (counter) by `tokengate.key_fetch.result` (`ok` or the failure reason).
 *
 * Metric attributes are bounded sets (codes, steps, reasons): never a subject, issuer or kid.
 *
 * @example
 * import { metrics, trace } from '@opentelemetry/api'
 * app.use(tokengate({ ...options, ...tokengateOtel({ tracer: trace.getTracer('api'), meter: metrics.getMeter('api') }) }))
 */
export function tokengateOtel(options: OtelOptions): OtelListeners {
  const { tracer, meter, recordSubject = false } = options
  if (tracer === undefined && meter === undefined)
    throw new TypeError(
      "tokengate: tokengateOtel() needs a tracer, a meter, or both, e.g. { tracer: trace.getTracer('api'), meter: metrics.getMeter('api') } from @opentelemetry/api",
    )
  const instruments = meter ? createInstruments(meter) : undefined
  return {
    onDecision(event) {
      if (tracer) recordSpan(tracer, event, recordSubject)
      if (instruments) {
        const attributes: Attributes = {
          'tokengate.outcome': event.outcome,
          'tokengate.step': event.step,
          ...(event.code !== undefined && { 'tokengate.code': event.code }),
        }
        instruments.decisions.add(1, attributes)
        // Guard events have no duration of their own: they are not authentications.
        if (event.step !== 'guard')
          instruments.duration.record(event.durationMs / 1000, {
            'tokengate.outcome': event.outcome,
          })
      }
    },
    onKeyFetch(event) {
      instruments?.keyFetches.add(1, { 'tokengate.key_fetch.result': event.result })
    },
  }
}

/**
 * Options with the OpenTelemetry listeners added, keeping any `onDecision`/`onKeyFetch` the
 * options already have (both are called; the app's first).
 *
 * @example
 * app.use(tokengate(withOtel({ ...options, onDecision: log }, { tracer, meter })))
 */
export function withOtel<Options extends AuthenticatorOptions<any>>(
  authOptions: Options,
  otel: OtelOptions,
): Options {
  const listeners = tokengateOtel(otel)
  const own = authOptions as { onDecision?: OtelListeners['onDecision'] } & {
    onKeyFetch?: OtelListeners['onKeyFetch']
  }
  return {
    ...authOptions,
    onDecision: both(own.onDecision, listeners.onDecision),
    onKeyFetch: both(own.onKeyFetch, listeners.onKeyFetch),
  }
}

function both<E>(first: ((e: E) => void) | undefined, second: (e: E) => void): (e: E) => void {
  if (!first) return second
  return (event) => {
    try {
      first(event)
    } finally {
      second(event)
    }
  }
}

function createInstruments(meter: Meter): {
  decisions: Counter
  duration: Histogram
  keyFetches: Counter
} {
  return {
    decisions: meter.createCounter('tokengate.decisions', {
      description: 'Authentication decisions, by outcome, refusal code and step',
      unit: '{decision}',
    }),
    duration: meter.createHistogram('tokengate.decision.duration', {
      description: 'Time spent authenticating a request',
      unit: 's',
    }),
    keyFetches: meter.createCounter('tokengate.key_fetches', {
      description: 'Fetches of remote key sets and discovery documents, by result',
      unit: '{fetch}',
    }),
  }
}

/** The event as a finished span: started `durationMs` ago, ended now, in the active context. */
function recordSpan(tracer: Tracer, event: DecisionEvent, recordSubject: boolean): void {
  const end = Date.now()
  const span: Span = tracer.startSpan(
    event.step === 'guard' ? 'tokengate.guard' : 'tokengate.authenticate',
    {
      kind: SPAN_KIND_INTERNAL,
      startTime: end - event.durationMs,
      attributes: spanAttributes(event, recordSubject),
    },
  )
  if (event.outcome === 'refused')
    span.setStatus({ code: STATUS_ERROR, message: event.description ?? event.code ?? 'refused' })
  span.end(end)
}

/**
 * The span attributes of an event: semantic-convention names where one exists
 * (`http.request.method`, `error.type`, `user.id`), `tokengate.*` for the rest.
 *
 * @example
 * span.setAttributes(spanAttributes(event))
 */
export function spanAttributes(event: DecisionEvent, recordSubject = false): Attributes {
  const a: Attributes = {
    'tokengate.outcome': event.outcome,
    'tokengate.step': event.step,
    'tokengate.cache_hit': event.cacheHit,
  }
  if (event.method !== undefined) a['http.request.method'] = event.method
  if (event.code !== undefined) {
    a['error.type'] = event.code
    a['tokengate.code'] = event.code
  }
  if (event.status !== undefined) a['tokengate.status'] = event.status
  if (event.source !== undefined) a['tokengate.token_source'] = event.source
  if (event.issuer !== undefined) a['tokengate.issuer'] = event.issuer
  if (event.kid !== undefined) a['tokengate.kid'] = event.kid
  if (event.alg !== undefined) a['tokengate.alg'] = event.alg
  if (recordSubject && event.subject !== undefined) a['user.id'] = event.subject
  const failure = event.keyFailure
  if (failure) {
    a['tokengate.key_failure.reason'] = failure.reason
    if (failure.status !== undefined) a['tokengate.key_failure.status'] = failure.status
    if (failure.url !== undefined) a['tokengate.key_failure.url'] = failure.url
  }
  return a
}
