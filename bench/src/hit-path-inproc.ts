// Cache-hit cost through the adapters, in-process (issue 17 goal 2): each framework's own Node
// request handler (Express's app, Koa's callback(), @hono/node-server's getRequestListener) fed real
// `http.IncomingMessage`/`ServerResponse` objects over a socket that discards what is written, so a
// batch is the framework's and the middleware's CPU time alone: no kernel, no parser, no client.
// One child process per variant (as hit-path.ts's servers: one app's shapes in each JIT), batches
// interleaved from here. hit-path.ts measures real servers; this one resolves the few µs it cannot
// (its batches swing by 10 µs on this shared machine), for a self-time diff or an A/B of a change.
//
//   cd bench && node --expose-gc --conditions=@tokengate/source --import tsx src/hit-path-inproc.ts
//   INPROC_FRAMEWORKS=express,koa,hono INPROC_ALGS=HS256,RS256 INPROC_ROUNDS=100 INPROC_N=500
//   HIT_BASE=/tmp/base-checkout (another checkout, deps installed): its adapters as `base`, in the
//   same interleaved batches.
//   INPROC_ONLY=bare|noop|gate|base: that variant alone, rounds × N requests, its mean printed: with
//   NODE_OPTIONS='--cpu-prof --cpu-prof-dir=…', a self-time diff of two such profiles names where µs go.
import { IncomingMessage, ServerResponse } from 'node:http'
import { Writable } from 'node:stream'
import { fork } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { getRequestListener } from '@hono/node-server'
import { tokengate as expressGate } from '@tokengate/express'
import { tokengate as honoGate } from '@tokengate/hono'
import { tokengate as koaGate } from '@tokengate/koa'
import express, { type Request, type RequestHandler } from 'express'
import { Hono, type MiddlewareHandler } from 'hono'
import Koa, { type Middleware } from 'koa'
import { ALGS, envList, type Alg } from './config.js'
import { generateMaterial, makeTokens } from './material.js'
import { tokengateOptions } from './servers/common.js'

type Listener = (req: IncomingMessage, res: ServerResponse) => unknown
type Gates = { express: unknown; koa: unknown; hono: unknown }
const FRAMEWORKS = ['express', 'koa', 'hono'] as const
type Framework = (typeof FRAMEWORKS)[number]

const frameworks = envList(process.env.INPROC_FRAMEWORKS, FRAMEWORKS)
const algs = envList(process.env.INPROC_ALGS, [
  'HS256',
  ...ALGS.filter((a) => a !== 'HS256'),
] as Alg[])
const rounds = Number(process.env.INPROC_ROUNDS ?? 100)
const perRound = Number(process.env.INPROC_N ?? 500)
const BASE = process.env.HIT_BASE

/** The bench servers' apps (src/servers/*.ts), as Node request listeners; `gate` is tokengate's. */
function listener(
  framework: Framework,
  gate: ((o: unknown) => unknown) | undefined,
  options: unknown,
  noop = false,
): Listener {
  if (framework === 'express') {
    const app = express()
    app.disable('x-powered-by')
    app.disable('etag')
    let sub = (_req: Request): unknown => 'anonymous'
    if (noop) app.use((_req, _res, next) => next())
    if (gate) {
      app.use(gate(options) as RequestHandler)
      sub = (req) => (req as unknown as { auth: { payload: { sub?: string } } }).auth.payload.sub
    }
    app.get('/', (req, res) => void res.json({ sub: sub(req) }))
    return app as unknown as Listener
  }
  if (framework === 'koa') {
    const app = new Koa()
    let sub = (_state: Record<string, unknown>): unknown => 'anonymous'
    if (noop) app.use((_ctx, next) => next())
    if (gate) {
      app.use(gate(options) as Middleware)
      sub = (state) => (state.auth as { payload: { sub?: string } }).payload.sub
    }
    app.use((ctx) => {
      ctx.body = { sub: sub(ctx.state as Record<string, unknown>) }
    })
    return app.callback() as Listener
  }
  const app = new Hono()
  let sub = (_auth: unknown): unknown => 'anonymous'
  if (noop)
    app.use(async (_c, next) => {
      await next()
    })
  if (gate) {
    app.use(gate(options) as MiddlewareHandler)
    sub = (auth) => (auth as { payload: { sub?: string } }).payload.sub
  }
  app.get('/', (c) => c.json({ sub: sub(c.get('auth' as never)) }))
  return getRequestListener(app.fetch) as unknown as Listener
}

/** A socket that takes whatever the response writes and drops it (one per request, as a connection would). */
function sink(): Writable {
  return new Writable({
    write: (_chunk, _encoding, done) => done(),
    writev: (_chunks, done) => done(),
  })
}

/** One request through `handle`, resolved when its response has finished (the body written). */
function once(handle: Listener, authorization: string): Promise<number> {
  const socket = sink()
  const req = new IncomingMessage(socket as never)
  req.method = 'GET'
  req.url = '/'
  req.httpVersionMajor = 1
  req.httpVersionMinor = 1
  req.httpVersion = '1.1'
  req.rawHeaders = ['Host', 'api.bench.example', 'Authorization', authorization, 'Accept', '*/*']
  req.headers = { host: 'api.bench.example', authorization, accept: '*/*' }
  req.complete = true
  req.push(null)
  const res = new ServerResponse(req)
  res.shouldKeepAlive = true
  res.assignSocket(socket as never)
  return new Promise((resolve, reject) => {
    res.once('finish', () => {
      res.detachSocket(socket as never)
      resolve(res.statusCode)
    })
    try {
      void handle(req, res)
    } catch (err) {
      reject(err)
    }
  })
}

type Batch = (n: number) => Promise<number>
const batchOf =
  (handle: Listener, authorization: string): Batch =>
  async (n) => {
    ;(globalThis as { gc?: () => void }).gc?.()
    const start = process.cpuUsage()
    for (let i = 0; i < n; i++) {
      const status = await once(handle, authorization)
      if (status !== 200) throw new Error(`hit-path-inproc: answered ${status}`)
    }
    const used = process.cpuUsage(start)
    return used.user + used.system
  }

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!
}

const ours: Gates = { express: expressGate, koa: koaGate, hono: honoGate }

/** One variant in this process (a child): its app, driven batch by batch on the parent's word. */
async function child(framework: Framework, variant: string, alg: Alg): Promise<void> {
  const material = generateMaterial()
  const [token] = await makeTokens(material, alg, 1)
  const options = tokengateOptions(material, alg, true)
  const gate =
    variant === 'gate'
      ? ours[framework]
      : variant === 'base'
        ? (
            (await import(join(BASE!, `packages/${framework}/src/index.ts`))) as {
              tokengate: unknown
            }
          ).tokengate
        : undefined
  const batch = batchOf(
    listener(framework, gate as ((o: unknown) => unknown) | undefined, options, variant === 'noop'),
    `Bearer ${token!}`,
  )
  process.on('message', (n: number) => void batch(n).then((cpu) => process.send!(cpu)))
  process.send!('ready')
}

const [, , role, childFramework, childVariant, childAlg] = process.argv
if (role === '--child') {
  await child(childFramework as Framework, childVariant!, childAlg as Alg)
} else {
  const names = ['bare', 'noop', 'gate', ...(BASE ? ['base'] : [])]
  console.log(
    `hit-path-inproc: CPU µs per request, p20 of ${rounds} interleaved batches of ${perRound}, one process per variant; gate-noop and gate-base: median difference within a round (node ${process.version})`,
  )
  console.log(
    `${'framework'.padEnd(9)} ${'alg'.padEnd(6)} ${names.map((n) => n.padStart(8)).join(' ')} ${'gate-noop'.padStart(9)} ${BASE ? 'gate-base'.padStart(9) : ''}  bare/gate`,
  )
  for (const alg of algs) {
    for (const framework of frameworks) {
      const only = process.env.INPROC_ONLY
      const batches = await Promise.all(
        names.map(async (variant) => {
          const worker = fork(
            fileURLToPath(import.meta.url),
            ['--child', framework, variant, alg],
            {
              execArgv: process.execArgv,
              stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
            },
          )
          await new Promise((resolve) => worker.once('message', resolve))
          const run = (n: number): Promise<number> =>
            new Promise((resolve) => {
              worker.once('message', (cpu) => resolve(cpu as number))
              worker.send(n)
            })
          return { worker, run }
        }),
      )
      if (only !== undefined) {
        // INPROC_ONLY: that variant alone (for `--cpu-prof` in its child: NODE_OPTIONS).
        const one = batches[names.indexOf(only)]!
        await one.run(5000)
        const n = rounds * perRound
        console.log(`${framework} ${alg} ${only}: ${((await one.run(n)) / n).toFixed(2)} µs`)
      } else {
        // Warm-up: JIT, and the token past the cache's doorkeeper (admitted on its second sighting).
        for (const b of batches) await b.run(5000)
        const samples: number[][] = batches.map(() => [])
        for (let r = 0; r < rounds; r++) {
          const order = batches.map((_, i) => i).sort(() => Math.random() - 0.5)
          for (const i of order) samples[i]!.push((await batches[i]!.run(perRound)) / perRound)
        }
        const low = samples.map((xs) => quantile(xs, 0.2))
        const [bare, , gate] = low as [number, number, number]
        // The differences within a round (batches a few ms apart) cancel the machine's slow swings:
        // their median is the steadiest estimate of what one variant adds over another.
        const paired = (a: number, b: number): string =>
          quantile(
            samples[a]!.map((x, r) => x - samples[b]![r]!),
            0.5,
          ).toFixed(2)
        console.log(
          `${framework.padEnd(9)} ${alg.padEnd(6)} ${low.map((x) => x.toFixed(2).padStart(8)).join(' ')} ${paired(2, 1).padStart(9)} ${BASE ? paired(2, 3).padStart(9) : ''}  ${(bare / gate).toFixed(3)}  (noop-bare ${paired(1, 0)})`,
        )
      }
      for (const b of batches) b.worker.kill()
    }
  }
}
