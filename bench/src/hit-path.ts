// Cache-hit cost through the adapters, in CPU time (issue 17 goal 2): bare vs a no-op middleware vs
// tokengate on a cache hit, per framework and algorithm, in interleaved batches. req/s on this shared
// machine swings 2x between runs; the server's own CPU µs per request, A/B interleaved, does not.
//
//   cd bench && node --expose-gc --conditions=@tokengate/source --import tsx src/hit-path.ts
//   HIT_FRAMEWORKS=hono,hono-fetch HIT_ALGS=HS256,ES256 HIT_ROUNDS=30 HIT_N=1000 (same command)
//   HIT_BASE=/tmp/base-checkout (another checkout, deps installed): adds its tokengate as `base`, in
//   the same interleaved batches, for a before/after that the machine's load affects alike.
//
// Express 5, Koa 3 and Hono 4 (@hono/node-server): the bench's own servers (src/servers/*.ts), one
// child process per variant, all three up at once, driven in turn over keep-alive HTTP from this
// process; each batch is charged the server's CPU time (process.cpuUsage over IPC,
// src/hit-path-cpu.ts), so the load generator's work is not counted. `hono-fetch` is in-process:
// `app.fetch(new Request(…))` as on Workers/Deno/Bun, charged this process's CPU time. `core` is
// `authenticator.attempt()` on a cache hit, in-process: what no adapter can go below.
import { spawn, type ChildProcess } from 'node:child_process'
import { Agent, request as httpRequest } from 'node:http'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createAuthenticator } from '@tokengate/core'
import { tokengate as honoGate } from '@tokengate/hono'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { ALGS, envList, type Alg } from './config.js'
import { generateMaterial, makeTokens, writeMaterial } from './material.js'
import { tokengateOptions } from './servers/common.js'

type Variant = 'bare' | 'noop' | 'tokengate'
const BASE = process.env.HIT_BASE
const FRAMEWORKS = ['express', 'koa', 'hono', 'hono-fetch'] as const

const frameworks = envList(process.env.HIT_FRAMEWORKS, FRAMEWORKS)
const algs = envList(process.env.HIT_ALGS, ['HS256', ...ALGS.filter((a) => a !== 'HS256')] as Alg[])
// Many short batches: on a shared VM a batch is slowed by whoever else runs; the low percentile
// (p20) of many batches is the cost without them, the median shows how noisy the run was.
const rounds = Number(process.env.HIT_ROUNDS ?? 30)
const perRound = Number(process.env.HIT_N ?? 1000)
const CONCURRENCY = 4

/** A batch of `n` requests; resolves with the CPU µs it cost whoever serves it. */
type Batch = (n: number) => Promise<number>

const cpuOf = (u: NodeJS.CpuUsage): number => u.user + u.system

/** One bench server (src/servers/<framework>.ts) as a child, and its CPU time over IPC. */
async function serverBatch(
  framework: 'express' | 'koa' | 'hono',
  variant: Variant,
  alg: Alg,
  dir: string,
  authorization: string,
  children: ChildProcess[],
  cwd?: string,
): Promise<Batch> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@tokengate/source',
      '--import',
      'tsx',
      '--import',
      './src/hit-path-cpu.ts',
      `src/servers/${framework}.ts`,
    ],
    {
      env: { ...process.env, BENCH_DIR: dir, BENCH_VARIANT: variant, BENCH_ALG: alg },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
      ...(cwd !== undefined && { cwd }),
    },
  )
  children.push(child)
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const m = /LISTENING (\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (code) =>
      reject(new Error(`hit-path: ${framework} ${variant} exited ${code}`)),
    )
  })
  const cpu = (): Promise<number> =>
    new Promise((resolve) => {
      child.once('message', (u) => resolve(cpuOf(u as NodeJS.CpuUsage)))
      child.send('cpu')
    })
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY })
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = httpRequest(
        { host: '127.0.0.1', port, path: '/', agent, headers: { authorization, accept: '*/*' } },
        (res) => {
          if (res.statusCode !== 200)
            reject(new Error(`hit-path: ${framework} ${variant} answered ${res.statusCode}`))
          res.resume().on('end', resolve)
        },
      )
      req.on('error', reject).end()
    })
  return async (n) => {
    const before = await cpu()
    let left = n
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (left-- > 0) await one()
      }),
    )
    return (await cpu()) - before
  }
}

function honoApp(variant: Variant, gate: MiddlewareHandler): Hono {
  const app = new Hono()
  if (variant === 'noop')
    app.use(async (_c, next) => {
      await next()
    })
  if (variant === 'tokengate') app.use(gate)
  app.get('/', (c: Context) =>
    c.json({
      sub: (c.get('auth' as never) as { payload: { sub?: string } } | undefined)?.payload.sub,
    }),
  )
  return app
}

/** An in-process operation, charged this process's CPU time. */
function inProcess(op: () => Promise<number>): Batch {
  return async (n) => {
    // A clean heap for each batch (node --expose-gc): a batch pays for its own garbage only.
    ;(globalThis as { gc?: () => void }).gc?.()
    const start = process.cpuUsage()
    for (let i = 0; i < n; i++) {
      const status = await op()
      if (status !== 200) throw new Error(`hit-path: answered ${status}`)
    }
    return cpuOf(process.cpuUsage(start))
  }
}

/** Another checkout's module (HIT_BASE), resolved inside that checkout. */
const baseImport = <T>(path: string): Promise<T> => import(join(BASE!, path)) as Promise<T>

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}
const fmt = (x: number): string => x.toFixed(2).padStart(7)

const material = generateMaterial()
const dir = mkdtempSync(join(tmpdir(), 'tokengate-hit-'))
writeMaterial(dir, material)
const children: ChildProcess[] = []
process.on('exit', () => children.forEach((c) => c.kill()))
console.log(
  `hit-path: CPU µs per request, p20 (median) of ${rounds} interleaved batches of ${perRound} requests (node ${process.version})`,
)
const names = ['bare', 'noop', 'gate', 'core', ...(BASE ? ['base', 'base-core'] : [])]
console.log(
  `${'framework'.padEnd(11)} ${'alg'.padEnd(6)} ${names.map((n) => n.padStart(9)).join(' ')} ${'gate-noop'.padStart(9)}  bare/gate`,
)
type Gate = (options: unknown) => MiddlewareHandler
type Create = (options: never) => { attempt?(request: object): Promise<unknown> }
const coreBatch = (create: Create, options: unknown, authorization: string): Batch => {
  const authenticator = create(options as never)
  const request = { method: 'GET', url: 'http://api.bench.example/', headers: { authorization } }
  return inProcess(() => authenticator.attempt!(request).then(() => 200))
}
const fetchBatch = (
  variant: Variant,
  gate: Gate,
  options: unknown,
  authorization: string,
): Batch => {
  const app = honoApp(variant, gate(options))
  const init = { headers: { authorization, accept: '*/*' } }
  return inProcess(
    async () => (await app.fetch(new Request('http://api.bench.example/', init))).status,
  )
}
const baseGate = BASE
  ? (await baseImport<{ tokengate: Gate }>('packages/hono/src/index.ts')).tokengate
  : undefined
const baseCreate = BASE
  ? (await baseImport<{ createAuthenticator: Create }>('packages/core/src/index.ts'))
      .createAuthenticator
  : undefined

for (const alg of algs) {
  const [token] = await makeTokens(material, alg, 1)
  const authorization = `Bearer ${token!}`
  const options = tokengateOptions(material, alg, true)
  for (const framework of frameworks) {
    const batches: Batch[] = []
    const variants: [Variant, string | undefined][] = [
      ['bare', undefined],
      ['noop', undefined],
      ['tokengate', undefined],
    ]
    if (BASE) variants.push(['tokengate', join(BASE, 'bench')])
    for (const [variant, cwd] of variants) {
      if (framework !== 'hono-fetch')
        batches.push(await serverBatch(framework, variant, alg, dir, authorization, children, cwd))
      else
        batches.push(
          fetchBatch(variant, cwd ? baseGate! : (honoGate as Gate), options, authorization),
        )
    }
    const base = BASE ? batches.pop() : undefined
    batches.push(coreBatch(createAuthenticator as Create, options, authorization))
    if (base) batches.push(base, coreBatch(baseCreate!, options, authorization))
    // Warm-up: JIT, and the token past the cache's doorkeeper (admitted on its second sighting).
    for (const b of batches) await b(3000)
    const samples: number[][] = batches.map(() => [])
    for (let r = 0; r < rounds; r++) {
      // A random order each round: a batch right after an in-process one (or a server's first
      // after a pause) starts on cold caches, so no variant may always sit in the same place.
      const order = batches.map((_, i) => i).sort(() => Math.random() - 0.5)
      for (const i of order) {
        await batches[i]!(100) // unmeasured: the server is hot again when its batch starts
        samples[i]!.push((await batches[i]!(perRound)) / perRound)
      }
    }
    for (const c of children.splice(0)) c.kill()
    const low = samples.map((xs) => quantile(xs, 0.2))
    const [bare, noop, gate] = low as [number, number, number]
    const medians = samples.map((xs) => quantile(xs, 0.5).toFixed(1)).join('/')
    console.log(
      `${framework.padEnd(11)} ${alg.padEnd(6)} ${low.map((x) => fmt(x).padStart(9)).join(' ')} ${fmt(gate - noop).padStart(9)}  ${(bare / gate).toFixed(3)}  (medians ${medians})`,
    )
  }
}
