// `pnpm bench`: every framework x middleware x algorithm x mode, each server its own process,
// autocannon in another, pinned to separate cores; then tables, JSON and a chart in bench/results/.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import {
  knobs,
  PEERS,
  unsupported,
  type Alg,
  type Framework,
  type Mode,
  type Variant,
} from './config.js'
import type { RunStats } from './load.js'
import {
  generateMaterial,
  makeTokens,
  readMaterial,
  tokensPath,
  writeMaterial,
} from './material.js'
import type { CacheReport } from './cache-mix.js'
import type { HooksRow } from './hooks.js'
import type { MicroRow } from './micro.js'
import { machine, markdown, summarize, svg, type Cell, type Report } from './report.js'

const here = import.meta.dirname
const benchRoot = join(here, '..')
const resultsDir = join(benchRoot, 'results')
const k = knobs()
const started = Date.now()

const hasTaskset = cpus().length >= 2 && spawnSync('taskset', ['-c', '0', 'true']).status === 0
const SERVER_CPU = process.env.BENCH_SERVER_CPU ?? '0'
const LOAD_CPU = process.env.BENCH_LOAD_CPU ?? '1'

// BENCH_PROFILE=1: every server writes a V8 CPU profile (summarise one with `pnpm bench:profile FILE`).
const profileDir = process.env.BENCH_PROFILE === '1' ? join(resultsDir, 'profiles') : undefined

/** `node --import tsx file`, under `taskset -c cpu` when available. */
function spawnNode(
  file: string,
  cpu: string,
  env: Record<string, string>,
  profileName?: string,
  nodeFlags: string[] = [],
  stdin: 'ignore' | 'pipe' = 'ignore',
): ChildProcess {
  // One directory per server: the module loader thread of tsx writes a profile of its own next to
  // the main thread's (the larger file).
  const profile =
    profileDir && profileName
      ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, profileName)}`]
      : []
  // `@tokengate/source`: the workspace packages from their sources, as `pnpm bench` itself runs.
  const args = [
    ...nodeFlags,
    ...profile,
    '--conditions=@tokengate/source',
    '--import',
    'tsx',
    join(here, file),
  ]
  const [cmd, argv] = hasTaskset
    ? ['taskset', ['-c', cpu, process.execPath, ...args]]
    : [process.execPath, args]
  return spawn(cmd, argv, {
    cwd: benchRoot,
    env: { ...process.env, ...env, NODE_ENV: 'production' },
    stdio: [stdin, 'pipe', 'pipe'],
  })
}

/** Resolves with the payload of the first stdout line starting with `prefix`. */
function waitFor(child: ChildProcess, prefix: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = ''
    child.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000)
    })
    const timer = setTimeout(
      () => reject(new Error(`timed out waiting for ${prefix.trim()}`)),
      timeoutMs,
    )
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      if (line.startsWith(prefix)) {
        clearTimeout(timer)
        resolve(line.slice(prefix.length))
      }
    })
    child.on('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code}: ${firstError(stderr)}`))
    })
  })
}

function firstError(stderr: string): string {
  const line = stderr.split('\n').find((l) => /Error|error:/.test(l))
  return (line ?? stderr.split('\n').filter(Boolean).pop() ?? '').trim().slice(0, 200)
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    child.once('exit', () => resolve())
    child.kill('SIGTERM')
    setTimeout(() => child.kill('SIGKILL'), 2000).unref()
  })
}

/**
 * CPU seconds (user + system) a process has used, from /proc (Linux): the server's CPU time per
 * request is far less sensitive to other load on the machine than requests per second.
 */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
  } catch {
    return undefined
  }
}
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100

/**
 * A served request must succeed with the token and fail without it: never benchmark 401s. The bare
 * framework and the no-op middleware get the same token and answer `anonymous`.
 */
async function sanity(url: string, token: string, variant: Variant): Promise<void> {
  const ok = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  const body = await ok.text()
  if (ok.status !== 200)
    throw new Error(`sanity: status ${ok.status} with a valid token: ${body.slice(0, 120)}`)
  if (variant === 'bare' || variant === 'noop') {
    if (!body.includes('anonymous'))
      throw new Error(`sanity: unexpected body ${body.slice(0, 120)}`)
    return
  }
  if (!body.includes('user-')) throw new Error(`sanity: unexpected body ${body.slice(0, 120)}`)
  const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA')
  const bad = await fetch(url, { headers: { authorization: `Bearer ${tampered}` } })
  await bad.text()
  if (bad.status !== 401) throw new Error(`sanity: status ${bad.status} for a tampered token`)
}

/** Successive stdout lines of a child that start with `prefix`, one per call of `next`. */
function lineReader(child: ChildProcess, prefix: string): (timeoutMs: number) => Promise<string> {
  const queue: string[] = []
  const waiting: Array<(line: string | Error) => void> = []
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (!line.startsWith(prefix)) return
    const payload = line.slice(prefix.length)
    const waiter = waiting.shift()
    if (waiter) waiter(payload)
    else queue.push(payload)
  })
  child.on('exit', (code) => {
    for (const waiter of waiting.splice(0))
      waiter(new Error(`exited with ${code}: ${firstError(stderr)}`))
  })
  return (timeoutMs) =>
    new Promise((resolve, reject) => {
      const queued = queue.shift()
      if (queued !== undefined) return resolve(queued)
      if (child.exitCode !== null)
        return reject(new Error(`exited with ${child.exitCode}: ${firstError(stderr)}`))
      const timer = setTimeout(
        () => reject(new Error(`timed out waiting for ${prefix.trim()}`)),
        timeoutMs,
      )
      waiting.push((line) => {
        clearTimeout(timer)
        if (line instanceof Error) reject(line)
        else resolve(line)
      })
    })
}

interface Live {
  cell: Cell
  server?: ChildProcess
  url?: string
  cpu: number[]
}

/**
 * One framework and algorithm: every server of the group (bare, no-op, tokengate with and without
 * its cache, thin jose, the peers; one token repeated and fresh tokens) is started, and the runs go
 * round the group in turn (a warm-up round first, not counted), so the ratios a target reads (cache
 * hit against bare, cache on against off, tokengate against a peer) come from runs seconds apart:
 * on a shared or throttled VM, throughput moves by 2x over minutes, far more than those ratios.
 * Server CPU time per request is read around each run (warm-up excluded); the median counts.
 */
async function measureGroup(
  dir: string,
  fw: Framework,
  alg: Alg,
  entries: Array<[Variant, Mode]>,
  firstToken: string,
): Promise<Cell[]> {
  const live: Live[] = []
  const load = spawnNode(
    'load.ts',
    LOAD_CPU,
    { BENCH_ALG: alg, BENCH_DIR: dir, BENCH_CONNECTIONS: String(k.connections) },
    undefined,
    [],
    'pipe',
  )
  const result = lineReader(load, 'RESULT ')
  try {
    await waitFor(load, 'READY', 30_000)
    for (const [variant, mode] of entries) {
      const cell: Cell = { framework: fw, variant, alg, mode, runs: [] }
      const entry: Live = { cell, cpu: [] }
      live.push(entry)
      try {
        entry.server = spawnNode(
          `servers/${fw}.ts`,
          SERVER_CPU,
          { BENCH_DIR: dir, BENCH_VARIANT: variant, BENCH_ALG: alg },
          [fw, variant, alg, mode].join('-'),
        )
        const port = await waitFor(entry.server, 'LISTENING ', 30_000)
        entry.url = `http://127.0.0.1:${port}/`
        await sanity(entry.url, firstToken, variant)
      } catch (err) {
        cell.error = (err as Error).message
      }
    }
    const perRun = (k.duration + 2) * 1000 + 30_000
    for (let run = 0; run <= k.runs; run++) {
      // Forward, then backward, in turn (A B C, C B A, ...): a machine that speeds up or slows down
      // over a round favours no position, and the two runs a paired ratio compares stay close.
      for (const entry of run % 2 === 0 ? live : [...live].reverse()) {
        if (entry.cell.error || !entry.url) continue
        const seconds = run === 0 ? k.warmup : k.duration
        const before = cpuSeconds(entry.server?.pid)
        load.stdin!.write(`${JSON.stringify({ url: entry.url, mode: entry.cell.mode, seconds })}\n`)
        const stats = JSON.parse(await result(perRun)) as RunStats
        const after = cpuSeconds(entry.server?.pid)
        if (stats.non2xx > 0 || stats.errors > 0) {
          entry.cell.error = `load: ${stats.non2xx} non-2xx responses, ${stats.errors} errors`
          continue
        }
        if (run === 0) continue
        if (before !== undefined && after !== undefined && stats.requests > 0) {
          stats.cpuUs = ((after - before) * 1e6) / stats.requests
          entry.cpu.push(stats.cpuUs)
        }
        entry.cell.runs.push(stats)
      }
    }
  } catch (err) {
    for (const entry of live) entry.cell.error ??= (err as Error).message
  } finally {
    load.stdin?.end()
    await stop(load)
    await Promise.all(live.map((entry) => (entry.server ? stop(entry.server) : undefined)))
  }
  return live.map(({ cell, cpu }) => {
    if (cell.error) return { ...cell, runs: [] }
    const out = summarize(cell)
    if (cpu.length > 0) out.cpuUs = [...cpu].sort((a, b) => a - b)[cpu.length >> 1]
    return out
  })
}

/** The groups: one per framework and algorithm, each its entries (variant, mode) in measuring order. */
function plan(): Array<{ fw: Framework; alg: Alg; entries: Array<[Variant, Mode]> }> {
  const out: Array<{ fw: Framework; alg: Alg; entries: Array<[Variant, Mode]> }> = []
  for (const fw of k.frameworks)
    for (const alg of k.algs) {
      const entries: Array<[Variant, Mode]> = []
      for (const v of ['bare', 'noop'] as Variant[])
        if (k.variants.includes(v) && k.modes.includes('repeat')) entries.push([v, 'repeat'])
      for (const mode of k.modes)
        for (const v of ['tokengate', 'tokengate-nocache', 'jose', ...PEERS[fw]] as Variant[])
          if (k.variants.includes(v)) entries.push([v, mode])
      if (entries.length > 0) out.push({ fw, alg, entries })
    }
  return out
}

const dir = mkdtempSync(join(tmpdir(), 'tokengate-bench-'))
try {
  const report: Report = {
    date: new Date().toISOString(),
    machine: machine(hasTaskset),
    knobs: k,
    micro: [],
    cells: [],
  }
  // BENCH_HTTP=0: the in-process parts only (micro, cache mixes and memory, hooks), all in CPU
  // time, for a machine too loaded for req/s to mean anything.
  const todo = process.env.BENCH_HTTP === '0' ? [] : plan()
  const runnable = todo.reduce(
    (n, { alg, entries }) => n + entries.filter(([v]) => !unsupported(v, alg)).length,
    0,
  )
  const perCell = (k.warmup + k.runs * k.duration + 3) * k.rounds
  console.error(
    `tokengate bench: ${runnable} configurations, about ${Math.ceil((runnable * perCell) / 60)} min ` +
      `(${k.runs} x ${k.duration}s + ${k.warmup}s warm-up each; BENCH_QUICK=1, BENCH_DURATION, BENCH_RUNS, ` +
      `BENCH_FRAMEWORKS, BENCH_ALGS, BENCH_MODES, BENCH_VARIANTS narrow it). taskset: ${hasTaskset ? 'yes' : 'no'}`,
  )

  console.error(`generating keys and ${k.pool} tokens per algorithm...`)
  writeMaterial(dir, generateMaterial())
  const material = readMaterial(dir)
  const first = new Map<Alg, string>()
  for (const alg of k.algs) {
    const tokens = await makeTokens(material, alg, k.pool)
    first.set(alg, tokens[0]!)
    writeFileSync(tokensPath(dir, alg), JSON.stringify(tokens))
  }

  if (k.micro) {
    console.error('micro benchmark (in-process)...')
    const micro = spawnNode('micro.ts', SERVER_CPU, { BENCH_DIR: dir })
    micro.stderr!.pipe(process.stderr)
    try {
      report.micro = JSON.parse(await waitFor(micro, 'RESULT ', 20 * 60_000)) as MicroRow[]
    } catch (err) {
      console.error(`micro benchmark failed: ${(err as Error).message}`)
    }
    await stop(micro)
  }

  if (process.env.BENCH_CACHE !== '0') {
    console.error('cache mix and memory run (in-process)...')
    const child = spawnNode('cache-mix.ts', SERVER_CPU, {}, undefined, ['--expose-gc'])
    child.stderr!.pipe(process.stderr)
    try {
      report.cache = JSON.parse(await waitFor(child, 'RESULT ', 60 * 60_000)) as CacheReport
    } catch (err) {
      console.error(`cache mix failed: ${(err as Error).message}`)
    }
    await stop(child)
  }

  if (process.env.BENCH_HOOKS !== '0') {
    console.error('unconfigured hooks (in-process call counts)...')
    const child = spawnNode('hooks.ts', SERVER_CPU, {})
    child.stderr!.pipe(process.stderr)
    try {
      report.hooks = JSON.parse(await waitFor(child, 'RESULT ', 10 * 60_000)) as HooksRow[]
    } catch (err) {
      console.error(`hooks run failed: ${(err as Error).message}`)
    }
    await stop(child)
  }

  // BENCH_ROUNDS: the whole matrix once per round; each cell merges its runs over the rounds.
  const merged = new Map<string, { cell: Cell; cpu: number[] }>()
  let i = 0
  for (let round = 1; round <= k.rounds; round++) {
    for (const { fw, alg, entries } of todo) {
      const runnable = entries.filter(([v]) => !unsupported(v, alg))
      for (const [variant, mode] of entries) {
        const why = unsupported(variant, alg)
        if (why && round === 1)
          merged.set(`${fw} ${variant} ${alg} ${mode}`, {
            cell: { framework: fw, variant, alg, mode, runs: [], na: why },
            cpu: [],
          })
      }
      i++
      const cells = await measureGroup(dir, fw, alg, runnable, first.get(alg)!)
      for (const cell of cells) {
        const label = `${fw} ${cell.variant} ${alg} ${cell.mode}`
        const entry = merged.get(label)
        if (!entry) merged.set(label, { cell, cpu: cell.cpuUs === undefined ? [] : [cell.cpuUs] })
        else if (!entry.cell.error) {
          if (cell.error) entry.cell = cell
          else {
            entry.cell = summarize({ ...entry.cell, runs: [...entry.cell.runs, ...cell.runs] })
            if (cell.cpuUs !== undefined) entry.cpu.push(cell.cpuUs)
          }
        }
        console.error(
          `[${i}/${todo.length * k.rounds}] ${label}: ${cell.error ? `ERROR ${cell.error}` : `${Math.round(cell.rps!)} req/s, ${cell.cpuUs?.toFixed(1)} µs CPU, p99 ${cell.p99} ms`}`,
        )
      }
      console.error(`  (load ${loadavg()[0]!.toFixed(2)})`)
    }
  }
  for (const { cell, cpu } of merged.values()) {
    if (cpu.length > 1) cell.cpuUs = [...cpu].sort((a, b) => a - b)[cpu.length >> 1]
    report.cells.push(cell)
  }

  report.machine.loadAfter = loadavg().map((x) => Math.round(x * 100) / 100)
  report.seconds = Math.round((Date.now() - started) / 1000)
  const md = markdown(report)
  mkdirSync(resultsDir, { recursive: true })
  const json = JSON.stringify(report, null, 1)
  writeFileSync(join(resultsDir, 'latest.md'), md)
  writeFileSync(join(resultsDir, 'latest.json'), json)
  writeFileSync(join(resultsDir, `${report.date.replace(/[:.]/g, '-')}.json`), json)
  writeFileSync(join(resultsDir, 'chart.svg'), svg(report))
  console.log(md)
  console.error(`written: bench/results/latest.md, latest.json, chart.svg (${report.seconds}s)`)
  if (profileDir) console.error(`CPU profiles of the servers: ${profileDir}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
