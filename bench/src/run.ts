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
    stdio: ['ignore', 'pipe', 'pipe'],
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

/** A served request must succeed with the token and fail without it: never benchmark 401s. */
async function sanity(url: string, token: string | undefined): Promise<void> {
  const ok = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {})
  const body = await ok.text()
  if (ok.status !== 200)
    throw new Error(`sanity: status ${ok.status} with a valid token: ${body.slice(0, 120)}`)
  if (token && !body.includes('user-'))
    throw new Error(`sanity: unexpected body ${body.slice(0, 120)}`)
  if (!token) return
  const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA')
  const bad = await fetch(url, { headers: { authorization: `Bearer ${tampered}` } })
  await bad.text()
  if (bad.status !== 401) throw new Error(`sanity: status ${bad.status} for a tampered token`)
}

async function measure(
  dir: string,
  fw: Framework,
  variant: Variant,
  alg: Alg | undefined,
  mode: Mode | undefined,
  firstToken?: string,
): Promise<Cell> {
  const cell: Cell = {
    framework: fw,
    variant,
    ...(alg && { alg }),
    ...(mode && { mode }),
    runs: [],
  }
  const server = spawnNode(
    `servers/${fw}.ts`,
    SERVER_CPU,
    { BENCH_DIR: dir, BENCH_VARIANT: variant, BENCH_ALG: alg ?? 'HS256' },
    [fw, variant, alg, mode].filter(Boolean).join('-'),
  )
  try {
    const port = await waitFor(server, 'LISTENING ', 30_000)
    const url = `http://127.0.0.1:${port}/`
    await sanity(url, alg === undefined ? undefined : firstToken)
    const load = spawnNode('load.ts', LOAD_CPU, {
      BENCH_URL: url,
      BENCH_MODE: mode ?? 'repeat',
      ...(alg && { BENCH_ALG: alg, BENCH_DIR: dir }),
      BENCH_DURATION: String(k.duration),
      BENCH_WARMUP: String(k.warmup),
      BENCH_RUNS: String(k.runs),
      BENCH_CONNECTIONS: String(k.connections),
    })
    const timeout = (k.warmup + k.runs * (k.duration + 2)) * 1000 + 30_000
    const cpuBefore = cpuSeconds(server.pid)
    const { runs, warmupRequests } = JSON.parse(await waitFor(load, 'RESULT ', timeout)) as {
      runs: RunStats[]
      warmupRequests: number
    }
    const cpuAfter = cpuSeconds(server.pid)
    await stop(load)
    const served = warmupRequests + runs.reduce((s, r) => s + r.requests, 0)
    if (cpuBefore !== undefined && cpuAfter !== undefined && served > 0)
      cell.cpuUs = ((cpuAfter - cpuBefore) * 1e6) / served
    const failed = runs.find((r) => r.non2xx > 0 || r.errors > 0)
    if (failed) throw new Error(`load: ${failed.non2xx} non-2xx responses, ${failed.errors} errors`)
    return summarize({ ...cell, runs })
  } catch (err) {
    return { ...cell, error: (err as Error).message }
  } finally {
    await stop(server)
  }
}

function plan(): Array<[Framework, Variant, Alg | undefined, Mode | undefined]> {
  const out: Array<[Framework, Variant, Alg | undefined, Mode | undefined]> = []
  for (const fw of k.frameworks) {
    if (k.variants.includes('bare')) out.push([fw, 'bare', undefined, undefined])
    if (k.variants.includes('noop')) out.push([fw, 'noop', undefined, undefined])
    for (const alg of k.algs)
      for (const mode of k.modes)
        for (const v of ['tokengate', 'tokengate-nocache', 'jose', ...PEERS[fw]] as Variant[])
          if (k.variants.includes(v)) out.push([fw, v, alg, mode])
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
  const runnable = todo.filter(([, v, alg]) => !alg || !unsupported(v, alg)).length
  const perCell = (k.warmup + k.runs * k.duration + 2) * k.rounds
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

  // BENCH_ROUNDS: the whole matrix once per round, interleaved; each cell merges its runs.
  const merged = new Map<string, { cell: Cell; cpu: number[] }>()
  let i = 0
  for (let round = 1; round <= k.rounds; round++) {
    for (const [fw, variant, alg, mode] of todo) {
      const label = `${fw} ${variant}${alg ? ` ${alg} ${mode}` : ''}`
      const why = alg && unsupported(variant, alg)
      if (why) {
        if (round === 1)
          merged.set(label, {
            cell: { framework: fw, variant, alg, ...(mode && { mode }), runs: [], na: why },
            cpu: [],
          })
        continue
      }
      i++
      const cell = await measure(dir, fw, variant, alg, mode, alg ? first.get(alg) : undefined)
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
        `[${i}/${runnable * k.rounds}] ${label}: ${cell.error ? `ERROR ${cell.error}` : `${Math.round(cell.rps!)} req/s, p99 ${cell.p99} ms`} (load ${loadavg()[0]!.toFixed(2)})`,
      )
    }
  }
  for (const { cell, cpu } of merged.values()) {
    if (cpu.length > 0) cell.cpuUs = [...cpu].sort((a, b) => a - b)[cpu.length >> 1]
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
