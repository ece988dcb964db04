// The gateway and its two upstreams as three Node processes (tsx src/serve.ts), the limit in a
// real redis-server, the callers' authorization server a real oidc-provider.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  startRedisServer,
  type RedisServer,
} from '../../../packages/redis/src/testing/redis-server.js'
import { DEFAULT_AUDIENCES } from '../src/config.js'
import { freePorts, gatewaySettings, startCallers, type Callers } from './callers.js'
import { gatewaySuite, RATE_LIMIT, type Deployment } from './suite.js'

const root = fileURLToPath(new URL('..', import.meta.url))
const children: Array<{ name: string; proc: ChildProcess; lines: string[] }> = []
let callers: Callers
let redis: RedisServer
let deployment: Deployment

function start(name: string, role: string, env: Record<string, string>): Promise<string> {
  const proc = spawn(
    process.execPath,
    ['--conditions=@tokengate/source', '--import', 'tsx', 'src/serve.ts', role],
    { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  )
  const child = { name, proc, lines: [] as string[] }
  children.push(child)
  return new Promise((resolve, reject) => {
    let buffer = ''
    proc.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString()
      const lines = buffer.split('\n')
      buffer = lines.pop() ?? ''
      for (const line of lines) {
        child.lines.push(line)
        const m = /^listening (\S+)/.exec(line)
        if (m) resolve(m[1] as string)
      }
    })
    let errors = ''
    proc.stderr!.on('data', (chunk: Buffer) => {
      errors += chunk.toString()
      if (process.env.DEBUG_GATEWAY) process.stderr.write(`[${name}] ${chunk.toString()}`)
    })
    proc.on('exit', (code) => reject(new Error(`${name} exited with ${code}:\n${errors}`)))
  })
}

const events = (name: string) =>
  (children.find((c) => c.name === name)?.lines ?? [])
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)

beforeAll(async () => {
  ;[callers, redis] = await Promise.all([startCallers(), startRedisServer()])
  const [gatewayPort, ordersPort, billingPort] = (await freePorts(3)) as [number, number, number]
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`
  const upstream = (name: 'orders' | 'billing', port: number) =>
    start(name, 'upstream', {
      PORT: String(port),
      UPSTREAM_NAME: name,
      UPSTREAM_AUDIENCE: DEFAULT_AUDIENCES[name],
      GATEWAY_ISSUER: gatewayUrl,
      GATEWAY_JWKS_URI: `${gatewayUrl}/.well-known/jwks.json`,
    })
  const [, ordersUrl, billingUrl] = await Promise.all([
    start('gateway', 'gateway', {
      ...gatewaySettings(callers, gatewayUrl, RATE_LIMIT),
      PORT: String(gatewayPort),
      ORDERS_URL: `http://127.0.0.1:${ordersPort}`,
      BILLING_URL: `http://127.0.0.1:${billingPort}`,
      REDIS_URL: redis.url,
    }),
    upstream('orders', ordersPort),
    upstream('billing', billingPort),
  ])
  const urls = { orders: ordersUrl as string, billing: billingUrl as string }
  deployment = {
    callers,
    gatewayIssuer: gatewayUrl,
    gateway: (path, init) => fetch(`${gatewayUrl}${path}`, init),
    upstream: (name, path, init) => fetch(`${urls[name]}${path}`, init),
  }
}, 90_000)

afterAll(async () => {
  for (const { proc } of children) {
    if (proc.exitCode === null) {
      proc.removeAllListeners('exit')
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGTERM')
      await exited
    }
  }
  await callers?.close()
  await redis?.dispose()
})

describe('the gateway as three Node processes', () => {
  gatewaySuite(() => deployment)

  it('each hop reports its decisions (onDecision, one JSON line per event)', async () => {
    const token = await callers.jwt.issue({ sub: 'observed-user', scope: 'orders:read' })
    await deployment.gateway('/orders/x', { headers: { authorization: `Bearer ${token}` } })
    await deployment.gateway('/billing/x', { headers: { authorization: `Bearer ${token}` } })
    // Logged before the answer went out: present once the responses are in.
    await expect
      .poll(() => events('gateway').filter((e) => e.subject === 'observed-user'))
      .toEqual([
        expect.objectContaining({ hop: 'gateway', outcome: 'accepted' }),
        expect.objectContaining({ hop: 'gateway', outcome: 'accepted' }),
        expect.objectContaining({ hop: 'gateway', outcome: 'refused', code: 'insufficient_scope' }),
      ])
    await expect
      .poll(() => events('orders').filter((e) => e.subject === 'observed-user'))
      .toEqual([
        expect.objectContaining({
          hop: 'orders',
          outcome: 'accepted',
          audience: DEFAULT_AUDIENCES.orders,
        }),
      ])
    expect(events('billing').filter((e) => e.subject === 'observed-user')).toEqual([])
  })

  it('Redis down: 503 with Retry-After, never an unlimited pass', async () => {
    await redis.stop()
    try {
      const token = await callers.jwt.issue({ sub: 'while-redis-down', scope: 'orders:read' })
      const res = await deployment.gateway('/orders/x', {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(res.status).toBe(503)
      expect(res.headers.get('retry-after')).toBe('5')
    } finally {
      await redis.start()
    }
  })
})
