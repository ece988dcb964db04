// A Hono app in workerd with @tokengate/otel and the real OpenTelemetry SDK (in-memory exporters);
// GET /telemetry answers what was recorded. Bundled and run by workers.test.ts.
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import type { AuthenticatorOptions } from '@tokengate/core'
import { requireRoles, tokengate } from '@tokengate/hono'
import { Hono } from 'hono'
import { withOtel } from '../src/index.js'

let app: Hono | undefined

function build(options: AuthenticatorOptions): Hono {
  const spans = new InMemorySpanExporter()
  const tracer = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spans)],
  }).getTracer('worker')
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })
  const meter = new MeterProvider({ readers: [reader] }).getMeter('worker')
  const hono = new Hono()
  hono.get('/telemetry', async (c) => {
    await reader.forceFlush()
    const metrics = exporter
      .getMetrics()
      .at(-1)
      ?.scopeMetrics.flatMap((s) => s.metrics)
      .map((m) => ({
        name: m.descriptor.name,
        points: m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value })),
      }))
    return c.json({
      spans: spans.getFinishedSpans().map((s) => ({
        name: s.name,
        status: s.status.code,
        attributes: s.attributes,
      })),
      metrics: metrics ?? [],
    })
  })
  hono.use('/api/*', tokengate(withOtel(options, { tracer, meter })))
  hono.get('/api/me', (c) => c.text('ok'))
  hono.get('/api/admin', requireRoles('admin'), (c) => c.text('ok'))
  return hono
}

export default {
  fetch(request: Request, env: { OPTIONS: string }): Response | Promise<Response> {
    app ??= build(JSON.parse(env.OPTIONS) as AuthenticatorOptions)
    return app.fetch(request)
  },
}
