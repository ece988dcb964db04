// @tokengate/otel with the real OpenTelemetry SDK (in-memory exporters) on Node: spans, decision
// metrics, key-fetch metrics against a real JWKS server on 127.0.0.1, guard spans through Hono.
import { createServer, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DataPoint } from '@opentelemetry/sdk-metrics'
import { createAuthenticator, type DecisionEvent } from '@tokengate/core'
import { requireRoles, tokengate } from '@tokengate/hono'
import { jwksOf, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { Hono } from 'hono'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { spanAttributes, tokengateOtel, withOtel } from '../src/index.js'
import { loadSdk } from './sdk.js'

const {
  AggregationTemporality,
  BasicTracerProvider,
  InMemoryMetricExporter,
  InMemorySpanExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
  SimpleSpanProcessor,
} = await loadSdk()

const ISSUER = 'https://id.example.com'
let keys: TestKeys
let server: Server
let base: string
let answer: (res: ServerResponse) => void

const spans = new InMemorySpanExporter()
const tracer = new BasicTracerProvider({
  spanProcessors: [new SimpleSpanProcessor(spans)],
}).getTracer('tokengate-test')
const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE)
const reader = new PeriodicExportingMetricReader({
  exporter: metricExporter,
  exportIntervalMillis: 3_600_000,
})
const meter = new MeterProvider({ readers: [reader] }).getMeter('tokengate-test')

beforeAll(async () => {
  keys = await keysFor('ES256', { kid: 'k1' })
  server = createServer((_req, res) => answer(res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise((resolve) => server.close(resolve))
})
beforeEach(() => {
  spans.reset()
  answer = (res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(jwksOf(keys)))
  }
})

const token = (claims: Record<string, unknown> = {}) =>
  signToken({ iss: ISSUER, aud: 'api', sub: 'alice', ...claims }, { alg: 'ES256', key: keys })
const bearer = (t: string) => ({
  method: 'POST',
  url: '/orders',
  headers: { authorization: `Bearer ${t}` },
})
const local = { algorithms: ['ES256'] as const, issuer: ISSUER, audience: 'api' }

/** The data points of one metric, as [attributes, value] pairs. */
async function points(name: string): Promise<Array<[Record<string, unknown>, unknown]>> {
  metricExporter.reset()
  await reader.forceFlush()
  const found = metricExporter
    .getMetrics()
    .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
    .filter((m) => m.descriptor.name === name)
  return found
    .at(-1)!
    .dataPoints.map((p: DataPoint<unknown>) => [p.attributes as Record<string, unknown>, p.value])
}

describe('spans', () => {
  it('one span per authentication, named and attributed by the semantic conventions; error status on a refusal', async () => {
    const authenticator = createAuthenticator({
      ...local,
      key: keys.publicJwk,
      ...tokengateOtel({ tracer }),
    })
    await authenticator.authenticate(bearer(await token()))
    await authenticator.authenticate(bearer(await token({ aud: 'other' }))).catch(() => undefined)
    const [accepted, refused] = spans.getFinishedSpans()
    expect(spans.getFinishedSpans()).toHaveLength(2)
    expect(accepted!.name).toBe('tokengate.authenticate')
    expect(accepted!.status.code).toBe(0) // UNSET
    expect(accepted!.attributes).toMatchObject({
      'http.request.method': 'POST',
      'tokengate.outcome': 'accepted',
      'tokengate.step': 'claims',
      'tokengate.issuer': ISSUER,
      'tokengate.kid': 'k1',
      'tokengate.alg': 'ES256',
      'tokengate.cache_hit': false,
      'tokengate.token_source': 'header',
    })
    expect(accepted!.attributes['user.id']).toBeUndefined()
    expect(refused!.status).toMatchObject({ code: 2 }) // ERROR
    expect(refused!.attributes).toMatchObject({
      'error.type': 'claim_invalid',
      'tokengate.code': 'claim_invalid',
      'tokengate.status': 401,
      'tokengate.outcome': 'refused',
      'tokengate.step': 'claims',
    })
  })

  it('records the subject as user.id only when asked', async () => {
    const authenticator = createAuthenticator({
      ...local,
      key: keys.publicJwk,
      ...tokengateOtel({ tracer, recordSubject: true }),
    })
    await authenticator.authenticate(bearer(await token()))
    expect(spans.getFinishedSpans()[0]!.attributes['user.id']).toBe('alice')
  })

  it('a key failure names its cause on the span', async () => {
    answer = (res) => {
      res.writeHead(404)
      res.end()
    }
    const authenticator = createAuthenticator({
      ...local,
      key: { jwksUri: `${base}/jwks?k=secret` },
      ...tokengateOtel({ tracer }),
    })
    await authenticator.authenticate(bearer(await token())).catch(() => undefined)
    expect(spans.getFinishedSpans()[0]!.attributes).toMatchObject({
      'error.type': 'keys_unavailable',
      'tokengate.key_failure.reason': 'http_status',
      'tokengate.key_failure.status': 404,
      'tokengate.key_failure.url': `${base}/jwks`,
    })
  })

  it('a guard refusal through an adapter is a tokengate.guard span', async () => {
    const app = new Hono()
    app.use('*', tokengate({ ...local, key: keys.publicJwk, ...tokengateOtel({ tracer }) }))
    app.get('/admin', requireRoles('admin'), (c) => c.text('ok'))
    const res = await app.request('/admin', {
      headers: { authorization: `Bearer ${await token({ roles: ['user'] })}` },
    })
    expect(res.status).toBe(403)
    const names = spans.getFinishedSpans().map((s) => s.name)
    expect(names).toEqual(['tokengate.authenticate', 'tokengate.guard'])
    expect(spans.getFinishedSpans()[1]!.attributes).toMatchObject({
      'error.type': 'insufficient_role',
      'tokengate.step': 'guard',
    })
  })
})

describe('metrics', () => {
  it('decisions by outcome and code, the duration histogram, key fetches by result', async () => {
    const ok = createAuthenticator({
      ...local,
      key: { jwksUri: `${base}/jwks` },
      ...tokengateOtel({ meter }),
    })
    await ok.authenticate(bearer(await token()))
    await ok.authenticate(bearer(await token({ exp: 1 }))).catch(() => undefined)
    answer = (res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{not json')
    }
    const broken = createAuthenticator({
      ...local,
      key: { jwksUri: `${base}/jwks` },
      ...tokengateOtel({ meter }),
    })
    await broken.authenticate(bearer(await token())).catch(() => undefined)

    const decisions = await points('tokengate.decisions')
    const count = (attrs: Record<string, unknown>) =>
      decisions.find(([a]) => Object.entries(attrs).every(([k, v]) => a[k] === v))?.[1]
    expect(count({ 'tokengate.outcome': 'accepted' })).toBeGreaterThanOrEqual(1)
    expect(count({ 'tokengate.code': 'token_expired', 'tokengate.step': 'claims' })).toBe(1)
    expect(count({ 'tokengate.code': 'keys_unavailable', 'tokengate.step': 'verify' })).toBe(1)
    // Bounded attributes only: no subject, issuer or kid on a metric.
    for (const [attrs] of decisions)
      expect(Object.keys(attrs).sort()).toEqual(
        expect.arrayContaining(['tokengate.outcome', 'tokengate.step']),
      )
    for (const [attrs] of decisions)
      expect(Object.keys(attrs).every((k) => /^tokengate\.(outcome|step|code)$/.test(k))).toBe(true)

    const durations = await points('tokengate.decision.duration')
    const total = durations.reduce((n, [, v]) => n + (v as { count: number }).count, 0)
    expect(total).toBeGreaterThanOrEqual(3)

    const fetches = await points('tokengate.key_fetches')
    const byResult = Object.fromEntries(
      fetches.map(([a, v]) => [a['tokengate.key_fetch.result'], v]),
    )
    expect(byResult).toMatchObject({ ok: 1, bad_json: 1 })
  })
})

describe('composition and start-up', () => {
  it('withOtel keeps the app listener: both are called', async () => {
    const own: DecisionEvent[] = []
    const authenticator = createAuthenticator(
      withOtel(
        { ...local, key: keys.publicJwk, onDecision: (e: DecisionEvent) => own.push(e) },
        { tracer },
      ),
    )
    await authenticator.authenticate(bearer(await token()))
    expect(own).toHaveLength(1)
    expect(spans.getFinishedSpans()).toHaveLength(1)
  })

  it('needs a tracer or a meter', () => {
    expect(() => tokengateOtel({})).toThrow(/needs a tracer, a meter, or both/)
  })

  it('spanAttributes names no token content', () => {
    const a = spanAttributes({
      outcome: 'refused',
      step: 'verify',
      code: 'signature_invalid',
      status: 401,
      method: 'GET',
      cacheHit: false,
      durationMs: 1,
      subject: 'alice',
    })
    expect(a['user.id']).toBeUndefined()
    expect(a).toMatchObject({ 'error.type': 'signature_invalid', 'http.request.method': 'GET' })
  })
})
