// The gateway and both upstreams inside workerd (miniflare): the gateway reaches the upstreams
// through service bindings, counts each subject in a Durable Object, and the upstreams fetch its
// JWKS over HTTP like any verifier would.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_AUDIENCES } from '../src/config.js'
import { freePorts, gatewaySettings, startCallers, type Callers } from './callers.js'
import { gatewaySuite, RATE_LIMIT, type Deployment } from './suite.js'

let callers: Callers
let mf: Miniflare
let deployment: Deployment

async function bundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [fileURLToPath(new URL(`../src/${entry}`, import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The export conditions wrangler uses for workerd; `@tokengate/source` bundles our sources.
    conditions: ['@tokengate/source', 'workerd', 'worker', 'browser'],
    logLevel: 'silent',
  })
  return out.outputFiles[0]!.text
}

beforeAll(async () => {
  callers = await startCallers()
  const [port] = (await freePorts(1)) as [number]
  const gatewayUrl = `http://127.0.0.1:${port}`
  const [gateway, upstream] = await Promise.all([bundle('worker.ts'), bundle('worker-upstream.ts')])
  const upstreamWorker = (name: 'orders' | 'billing') => ({
    name,
    modules: true,
    script: upstream,
    compatibilityDate: '2025-09-01',
    bindings: {
      UPSTREAM_NAME: name,
      UPSTREAM_AUDIENCE: DEFAULT_AUDIENCES[name],
      GATEWAY_ISSUER: gatewayUrl,
      GATEWAY_JWKS_URI: `${gatewayUrl}/.well-known/jwks.json`,
    },
  })
  mf = new Miniflare({
    host: '127.0.0.1',
    port,
    workers: [
      {
        name: 'gateway',
        modules: true,
        script: gateway,
        compatibilityDate: '2025-09-01',
        bindings: gatewaySettings(callers, gatewayUrl, RATE_LIMIT),
        serviceBindings: { ORDERS: 'orders', BILLING: 'billing' },
        durableObjects: { LIMITER: 'SubjectRateLimiter' },
      },
      upstreamWorker('orders'),
      upstreamWorker('billing'),
    ],
  })
  expect(String(await mf.ready)).toBe(`${gatewayUrl}/`)
  // miniflare's Fetcher, typed as far as used here (its own types are workerd's, not the DOM's).
  type Fetcher = { fetch(url: string, init?: unknown): Promise<Response> }
  const workers = {
    orders: (await mf.getWorker('orders')) as unknown as Fetcher,
    billing: (await mf.getWorker('billing')) as unknown as Fetcher,
  }
  deployment = {
    callers,
    gatewayIssuer: gatewayUrl,
    gateway: (path, init) => fetch(`${gatewayUrl}${path}`, init),
    upstream: (name, path, init) => workers[name].fetch(`http://${name}${path}`, init),
  }
}, 90_000)

afterAll(async () => {
  await mf?.dispose()
  await callers?.close()
})

describe('the gateway in workerd, upstreams behind service bindings', () => {
  gatewaySuite(() => deployment)

  it('an upstream is not reachable from outside: only the gateway is served', async () => {
    // The entry socket is the gateway's; /items is no route of it, so the upstream is not reached.
    const res = await deployment.gateway('/items')
    expect(res.status).toBe(404)
  })
})
