// `pnpm demo:gateway` as a real process: it starts, prints the curl commands, and they do what
// the comments beside them say.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createServer } from 'node:net'
import { freePorts } from './callers.js'

const root = fileURLToPath(new URL('..', import.meta.url))
let output = ''
let proc: ReturnType<typeof spawn>
let base: number

beforeAll(async () => {
  // Four consecutive ports are needed (gateway, orders, billing, redis): a base whose next three
  // are free too.
  base = await consecutiveFreePorts(4)
  proc = spawn(
    process.execPath,
    ['--conditions=@tokengate/source', '--import', 'tsx', 'src/demo.ts'],
    {
      cwd: root,
      env: { ...process.env, PORT: String(base), REDIS_URL: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes('\nready')) resolve()
    })
    proc.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
    proc.on('exit', (code) => reject(new Error(`demo exited with ${code}:\n${output}`)))
  })
}, 120_000)

afterAll(async () => {
  if (proc?.exitCode === null) {
    proc.removeAllListeners('exit')
    const exited = new Promise((r) => proc.once('exit', r))
    proc.kill('SIGTERM')
    await exited
  }
})

it('the printed commands answer as their comments say', async () => {
  const token = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(output)?.[1] as string
  const get = (path: string, who: string, port = base) =>
    fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${token(who)}` } })
  const orders = await get('/orders/items', 'ALICE')
  expect(orders.status).toBe(200)
  expect(await orders.json()).toMatchObject({
    service: 'orders',
    sub: 'alice',
    scope: 'orders:read',
  })
  expect((await get('/billing/invoices', 'ALICE')).status).toBe(403)
  expect((await get('/billing/invoices', 'BOB')).status).toBe(200)
  expect((await get('/items', 'ALICE', base + 1)).status).toBe(401)
})

async function consecutiveFreePorts(n: number): Promise<number> {
  for (;;) {
    const [first] = (await freePorts(1)) as [number]
    const base = Math.min(first, 60_000)
    const probes = Array.from({ length: n }, () => createServer())
    const results = await Promise.all(
      probes.map(
        (probe, i) =>
          new Promise<boolean>((resolve) => {
            probe.once('error', () => resolve(false))
            probe.listen(base + i, '127.0.0.1', () => resolve(true))
          }),
      ),
    )
    await Promise.all(probes.map((p) => new Promise((r) => (p.listening ? p.close(r) : r(null)))))
    if (results.every(Boolean)) return base
  }
}
