// @tokengate/otel in workerd (miniflare) with the real OpenTelemetry SDK: the same spans and
// metrics as on Node, on the core's portable (Web Crypto) path, keys fetched from 127.0.0.1.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { jwksOf, keysFor, signToken, type TestKeys } from '@tokengate/testkit'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, expect, it } from 'vitest'

const ISSUER = 'https://id.example.com'
let keys: TestKeys
let server: Server
let mf: Miniflare

beforeAll(async () => {
  keys = await keysFor('ES256', { kid: 'k1' })
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(jwksOf(keys)))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const script = await build({
    entryPoints: [fileURLToPath(new URL('./worker-entry.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    // 'browser', not 'neutral': the SDK's package.json `browser` maps its platform/node files
    // (os, util, crypto) to platform/browser ones, and esbuild honours it only for this platform.
    platform: 'browser',
    target: 'es2022',
    // As test/support/workers.ts bundles the conformance app: workerd's conditions, the sources.
    conditions: ['@tokengate/source', 'workerd', 'worker', 'browser', 'import', 'default'],
    mainFields: ['browser', 'module', 'main'],
    write: false,
    logLevel: 'silent',
  })
  mf = new Miniflare({
    modules: true,
    script: script.outputFiles[0]!.text,
    compatibilityDate: '2025-01-01',
    bindings: {
      OPTIONS: JSON.stringify({
        algorithms: ['ES256'],
        key: { jwksUri: `${base}/jwks` },
        issuer: ISSUER,
        audience: 'api',
      }),
    },
  })
  await mf.ready
}, 120_000)
afterAll(async () => {
  await mf?.dispose()
  server?.closeAllConnections()
  await new Promise((resolve) => server?.close(resolve))
})

const token = (claims: Record<string, unknown> = {}) =>
  signToken({ iss: ISSUER, aud: 'api', sub: 'alice', ...claims }, { alg: 'ES256', key: keys })
const get = async (path: string, t?: string) =>
  mf.dispatchFetch(`http://api.example.test${path}`, {
    headers: t === undefined ? {} : { authorization: `Bearer ${t}` },
  })

it('spans and metrics for accepted, refused and guard-refused requests', async () => {
  expect((await get('/api/me', await token())).status).toBe(200)
  expect((await get('/api/me', await token({ aud: 'other' }))).status).toBe(401)
  expect((await get('/api/admin', await token({ roles: ['user'] }))).status).toBe(403)
  const telemetry = (await (await get('/telemetry')).json()) as {
    spans: Array<{ name: string; status: number; attributes: Record<string, unknown> }>
    metrics: Array<{
      name: string
      points: Array<{ attributes: Record<string, unknown>; value: unknown }>
    }>
  }
  expect(telemetry.spans.map((s) => [s.name, s.status, s.attributes['error.type']])).toEqual([
    ['tokengate.authenticate', 0, undefined],
    ['tokengate.authenticate', 2, 'claim_invalid'],
    ['tokengate.authenticate', 0, undefined],
    ['tokengate.guard', 2, 'insufficient_role'],
  ])
  expect(telemetry.spans[0]!.attributes).toMatchObject({
    'http.request.method': 'GET',
    'tokengate.outcome': 'accepted',
    'tokengate.kid': 'k1',
    'tokengate.alg': 'ES256',
  })
  const metric = (name: string) => telemetry.metrics.find((m) => m.name === name)!.points
  const decisions = metric('tokengate.decisions')
  expect(decisions.find((p) => p.attributes['tokengate.code'] === 'claim_invalid')?.value).toBe(1)
  expect(decisions.find((p) => p.attributes['tokengate.outcome'] === 'accepted')?.value).toBe(2)
  expect(metric('tokengate.key_fetches')).toEqual([
    { attributes: { 'tokengate.key_fetch.result': 'ok' }, value: 1 },
  ])
  const histogram = metric('tokengate.decision.duration')
  expect(histogram.reduce((n, p) => n + (p.value as { count: number }).count, 0)).toBe(3)
})
