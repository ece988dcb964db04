// `pnpm bench:from-log FILE [ROUNDS]`: rebuilds bench/results from the progress log (stderr) of a
// `pnpm bench` that was stopped before its end (a time box on a shared machine): the micro rows, the
// cache mixes, the memory samples, the hooks' call counts and the HTTP cells measured so far (req/s and p99 only: the CPU figures are not in
// the log). The tables and targets then come from report.ts as for a finished run.
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { join } from 'node:path'
import type { CacheMixRow, CacheReport } from './cache-mix.js'
import { knobs, type Alg, type Framework, type Mode, type Variant } from './config.js'
import type { HooksRow } from './hooks.js'
import type { MicroRow } from './micro.js'
import { machine, markdown, summarize, svg, type Cell, type Report } from './report.js'

const file = process.argv[2]
if (!file) throw new Error('usage: from-log.ts STDERR_LOG')
const log = readFileSync(file, 'utf8').split('\n')
const k = knobs()
const report: Report = {
  date: new Date().toISOString(),
  machine: machine(cpus().length >= 2),
  knobs: k,
  micro: [],
  cells: [],
}
const rows: CacheMixRow[] = []
const memory: CacheReport['memory'] = []
const cells = new Map<string, Cell>()
const hooks: HooksRow[] = []
for (const line of log) {
  const h = /^ {2}hooks (none|onDecision) (fresh|cached): ([\d.]+) calls\/request$/.exec(line)
  if (h)
    hooks.push({
      setting: h[1] as HooksRow['setting'],
      path: h[2] as HooksRow['path'],
      requests: 0,
      callsPerRequest: Number(h[3]),
      functions: {},
    })
  let m = /^ {2}micro (\S+): (\{.*\})$/.exec(line)
  if (m) report.micro.push(JSON.parse(m[2]!) as MicroRow)
  m = /^ {2}cache mix \S+ \S+: (\{.*\})$/.exec(line)
  if (m) rows.push(JSON.parse(m[1]!) as CacheMixRow)
  m = /^ {2}memory (once|twice): (\[.*\])$/.exec(line)
  if (m) {
    const samples = JSON.parse(m[2]!) as CacheReport['memory'][number]['samples']
    const row = memory.find((r) => r.pattern === m![1])
    if (row) row.samples.push(...samples)
    else memory.push({ pattern: m[1] as 'once' | 'twice', tokens: 0, samples })
    for (const r of memory) r.tokens = r.samples.at(-1)?.[0] ?? 0
  }
  m = /^\[\d+\/\d+\] (\S+) (\S+)(?: (\S+) (\S+))?: (\d+) req\/s, p99 ([\d.]+) ms/.exec(line)
  if (m) {
    const [, fw, variant, alg, mode, rps, p99] = m
    const key = `${fw} ${variant} ${alg ?? ''} ${mode ?? ''}`
    const run = { rps: Number(rps), p50: 0, p99: Number(p99), requests: 0, non2xx: 0, errors: 0 }
    const cell = cells.get(key) ?? {
      framework: fw as Framework,
      variant: variant as Variant,
      ...(alg && { alg: alg as Alg }),
      ...(mode && { mode: mode as Mode }),
      runs: [],
    }
    cells.set(key, summarize({ ...cell, runs: [...cell.runs, run] }))
  }
}
report.cells = [...cells.values()]
if (hooks.length > 0) report.hooks = hooks
if (rows.length > 0)
  report.cache = {
    alg: 'HS256',
    users: Number(process.env.BENCH_CACHE_USERS ?? 100_000),
    requests: Number(process.env.BENCH_CACHE_REQUESTS ?? 200_000),
    zipfS: 1,
    rows,
    memory,
  }
const dir = join(import.meta.dirname, '../results')
writeFileSync(join(dir, 'latest.md'), markdown(report))
writeFileSync(join(dir, 'latest.json'), JSON.stringify(report, null, 1))
writeFileSync(join(dir, 'chart.svg'), svg(report))
console.error(`bench/results/latest.md from ${file}: ${report.cells.length} cells`)
