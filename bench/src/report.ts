// Results: medians and ratios, the markdown tables, the target check, and a hand-written SVG chart.
import { readFileSync, writeFileSync } from 'node:fs'
import { cpus, loadavg, platform, release, totalmem } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import {
  LABELS,
  PEERS,
  type Alg,
  type Framework,
  type Knobs,
  type Mode,
  type Variant,
} from './config.js'
import type { RunStats } from './load.js'
import type { CacheReport } from './cache-mix.js'
import type { HooksRow } from './hooks.js'
import type { MicroRow } from './micro.js'

export interface Cell {
  framework: Framework
  variant: Variant
  /** Undefined for the bare framework. */
  alg?: Alg
  mode?: Mode
  runs: RunStats[]
  /** Median requests per second across runs. */
  rps?: number
  /** Median of the runs' p99 latency, ms. */
  p99?: number
  /** Spread of the runs: (max - min) / median. */
  spread?: number
  /** Server CPU time per request (user + system, warm-up included), microseconds. */
  cpuUs?: number
  na?: string
  error?: string
}

export interface Machine {
  cpu: string
  cores: number
  node: string
  os: string
  memoryGb: number
  taskset: boolean
  loadBefore: number[]
  loadAfter?: number[]
}

export interface Report {
  date: string
  machine: Machine
  knobs: Knobs
  micro: MicroRow[]
  cells: Cell[]
  /** The in-process cache mixes and the memory run (cache-mix.ts), when run. */
  cache?: CacheReport
  /** Calls into the hooks' modules per request, not configured and with a listener (hooks.ts). */
  hooks?: HooksRow[]
  seconds?: number
}

export function machine(taskset: boolean): Machine {
  const list = cpus()
  return {
    cpu: list[0]?.model.trim() ?? 'unknown',
    cores: list.length,
    node: process.version,
    os: `${platform()} ${release()}`,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    taskset,
    loadBefore: loadavg().map((x) => Math.round(x * 100) / 100),
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
}

export function summarize(cell: Cell): Cell {
  if (cell.runs.length === 0) return cell
  const rps = cell.runs.map((r) => r.rps)
  const m = median(rps)
  return {
    ...cell,
    rps: m,
    p99: median(cell.runs.map((r) => r.p99)),
    spread: m > 0 ? (Math.max(...rps) - Math.min(...rps)) / m : 0,
  }
}

/**
 * Throughput of `a` over `b`, and the same from CPU time per request (b's CPU over a's): the median
 * of the per-round ratios when both cells have their runs (run i of every server of a group is in
 * round i, seconds apart: run.ts `measureGroup`), so a round the whole machine ran slow or fast
 * counts once as a ratio instead of moving one median; otherwise the ratio of the medians.
 */
export function pairedRatio(
  a: Cell | undefined,
  b: Cell | undefined,
): [number, number | undefined] | undefined {
  if (a?.rps === undefined || !b?.rps) return undefined
  const n = a.runs.length
  if (n > 0 && n === b.runs.length) {
    const rps = a.runs.map((r, i) => r.rps / b.runs[i]!.rps)
    const cpu = a.runs.every((r, i) => r.cpuUs && b.runs[i]!.cpuUs)
      ? a.runs.map((r, i) => b.runs[i]!.cpuUs! / r.cpuUs!)
      : undefined
    return [median(rps), cpu ? median(cpu) : a.cpuUs && b.cpuUs ? b.cpuUs / a.cpuUs : undefined]
  }
  return [a.rps / b.rps, a.cpuUs && b.cpuUs ? b.cpuUs / a.cpuUs : undefined]
}

function find(
  cells: Cell[],
  framework: Framework,
  variant: Variant,
  alg: Alg,
  mode: Mode = 'repeat',
): Cell | undefined {
  // The bare framework and the no-op middleware are measured once per algorithm (in its group,
  // with that algorithm's token on every request) in the repeat mode only.
  const m = variant === 'bare' || variant === 'noop' ? 'repeat' : mode
  return cells.find(
    (c) => c.framework === framework && c.variant === variant && c.alg === alg && c.mode === m,
  )
}

export function bestPeer(
  cells: Cell[],
  framework: Framework,
  alg: Alg,
  mode: Mode,
): Cell | undefined {
  let best: Cell | undefined
  for (const v of PEERS[framework]) {
    const c = find(cells, framework, v, alg, mode)
    if (c?.rps !== undefined && (best?.rps === undefined || c.rps > best.rps)) best = c
  }
  return best
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US')
const fmtX = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '–' : `${n.toFixed(2)}x`
const fmtUs = (n: number | undefined): string => (n === undefined ? '–' : n.toFixed(1))

const NAMES: Record<Framework, string> = {
  express: 'Express 5',
  koa: 'Koa 3',
  hono: 'Hono 4 (@hono/node-server)',
}

const MODE_NAMES: Record<Mode, string> = {
  repeat: 'one token repeated',
  fresh: 'fresh token per request',
}

function cellText(
  cell: Cell | undefined,
  bare: Cell | undefined,
  peer: Cell | undefined,
  isPeer: boolean,
): string[] {
  if (!cell) return ['', '', '', '', '']
  if (cell.na) return ['n/a', '', '', '', '']
  if (cell.error || cell.rps === undefined) return ['error', '', '', '', '']
  return [
    fmtInt(cell.rps),
    cell.p99 === undefined ? '–' : `${cell.p99}`,
    cell.cpuUs === undefined ? '–' : fmtInt(cell.cpuUs),
    fmtX(pairedRatio(cell, bare)?.[0]),
    isPeer ? '–' : fmtX(pairedRatio(cell, peer)?.[0]),
  ]
}

export function markdown(report: Report): string {
  const { cells, machine: m, knobs: k } = report
  const lines: string[] = []
  lines.push(`# tokengate bench results`, '')
  lines.push(
    `${report.date} · ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB · Node ${m.node} · ${m.os} · ` +
      `${k.connections} connections, ${k.runs} run(s) of ${k.duration}s after ${k.warmup}s warm-up, median · ` +
      `server and autocannon ${m.taskset ? 'pinned to separate cores (taskset)' : 'not pinned (no taskset)'} · ` +
      `load average before ${m.loadBefore.join(' / ')}${m.loadAfter ? `, after ${m.loadAfter.join(' / ')}` : ''}`,
    '',
  )
  lines.push(
    "req/s, p99 latency (ms) and the server's CPU time per request (µs, user + system: less sensitive to other load",
    'on the machine than req/s) per middleware; `x bare` is the ratio of req/s to the bare framework, `x peer` to the',
    'best peer middleware for the same algorithm and mode. JWE is a nested token: RSA-OAEP-256 + A256GCM around ES256.',
    'Each framework and algorithm is one group: all its servers run at once and the runs go round them in turn, so',
    'every ratio compares runs seconds apart (rounds go forward and backward in turn); `x bare` and `x peer` are the',
    'median of the per-round ratios. The bare framework and the no-op middleware get the same token (ignored).',
    '',
  )
  for (const fw of k.frameworks) {
    lines.push(`## ${NAMES[fw]}`, '')
    const header = ['alg', 'middleware']
    const align = ['---', '---']
    for (const mode of k.modes) {
      header.push(`${mode} req/s`, 'p99', 'CPU', 'x bare', 'x peer')
      align.push('---:', '---:', '---:', '---:', '---:')
    }
    lines.push(`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`)
    const variants = (
      ['bare', 'noop', 'tokengate', 'tokengate-nocache', 'jose', ...PEERS[fw]] as Variant[]
    ).filter((v) => k.variants.includes(v))
    for (const alg of k.algs) {
      const bare = find(cells, fw, 'bare', alg)
      for (const v of variants) {
        const row = [alg, LABELS[v]]
        const baseline = v === 'bare' || v === 'noop'
        for (const mode of k.modes) {
          if (baseline && mode !== 'repeat') {
            row.push('', '', '', '', '')
            continue
          }
          const peer = bestPeer(cells, fw, alg, mode)
          row.push(
            ...cellText(
              find(cells, fw, v, alg, mode),
              bare,
              peer,
              baseline || PEERS[fw].includes(v),
            ),
          )
        }
        lines.push(`| ${row.join(' | ')} |`)
      }
    }
    lines.push('')
  }
  if (report.micro.length > 0) {
    lines.push('## Micro: microseconds per token, in-process', '')
    lines.push(
      'The floor is node:crypto alone on the same token (createHmac + timingSafeEqual; createVerify with KeyObjects, crypto.verify for Ed25519;',
      'for JWE also RSA-OAEP-256 + AES-256-GCM). The core is `authenticate()` with the cache off on a fresh token',
      '(Bearer parsing, segments, header, signature, claims, context); "cached" is a cache hit on one token.',
      '"+ onDecision" is the same with a decision listener (one event per request); without one no event is built.',
      'Best of 15 interleaved rounds (other load only adds time); "x floor (median)" uses the median rounds instead.',
      'fast-jwt is its synchronous verifier, cache off, on the same token (a whole verification: parse, signature, claims).',
      '',
    )
    lines.push(
      '| alg | node:crypto floor | core (Node entry) | x floor | x floor (median) | core (portable entry) | core cached | core + onDecision | cached + onDecision | jose jwtVerify | fast-jwt (x floor) |',
    )
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
    for (const r of report.micro) {
      const m = r.median
      lines.push(
        `| ${r.alg} | ${fmtUs(r.floor)} | ${fmtUs(r.core)} | ${fmtX(r.core === undefined ? undefined : r.core / r.floor)} | ` +
          `${fmtX(m?.core !== undefined && m.floor ? m.core / m.floor : undefined)} | ` +
          `${fmtUs(r.corePortable)} | ${fmtUs(r.coreCached)} | ${fmtUs(r.coreObserved)} | ${fmtUs(r.coreCachedObserved)} | ${fmtUs(r.jose)} | ${r.fastJwt === undefined ? '–' : `${fmtUs(r.fastJwt)} (${fmtX(r.fastJwt / r.floor)})`} |`,
      )
    }
    lines.push('')
  }
  if (report.cache) lines.push(...cacheSection(report.cache))
  if (report.hooks) lines.push(...hooksSection(report))
  lines.push(...targets(report), '')
  const spreads = cells.map((c) => c.spread).filter((s): s is number => s !== undefined)
  if (spreads.length > 0 && k.runs > 1)
    lines.push(
      `Noise: the spread of the ${k.runs} runs ((max - min) / median) is ${Math.round(median(spreads) * 100)}% at the median ` +
        `configuration and ${Math.round(Math.max(...spreads) * 100)}% at the worst.`,
      '',
    )
  return lines.join('\n')
}

/** The issue's targets, checked against this run. */
export function targets(report: Report): string[] {
  const { cells, knobs: k } = report
  const out = [
    '## Targets',
    '',
    'Met or not on req/s; "by CPU" is the same ratio from the server\'s CPU time per request',
    '(a cross-check that other load on the machine moves much less). HTTP ratios are the median of the',
    'per-round ratios (run i of both servers, seconds apart, in the same round of the group).',
    '',
    '| target | framework | alg | req/s ratio | by CPU | met |',
    '| --- | --- | --- | ---: | ---: | :---: |',
  ]
  const mark = (ok: boolean): string => (ok ? 'yes' : '**no**')
  // On a machine loaded past its cores, req/s mostly measures the other jobs: the server's CPU time
  // per request (measured per process) decides then, and the header says so.
  const loaded = report.machine.loadBefore[0]! > report.machine.cores
  if (loaded)
    out.splice(
      2,
      0,
      `The load average before the run (${report.machine.loadBefore[0]}) exceeded the ${report.machine.cores} cores: ` +
        'met/missed below is judged on the CPU-time ratio where there is one.',
      '',
    )
  const pass = (r: [number, number | undefined], bound: number): boolean =>
    (loaded && r[1] !== undefined ? r[1] : r[0]) >= bound
  const ratio = pairedRatio
  const row = (
    target: string,
    fw: string,
    alg: string,
    r: [number, number | undefined],
    ok: boolean,
  ) => out.push(`| ${target} | ${fw} | ${alg} | ${fmtX(r[0])} | ${fmtX(r[1])} | ${mark(ok)} |`)
  for (const fw of k.frameworks) {
    for (const alg of k.algs) {
      const hit = find(cells, fw, 'tokengate', alg, 'repeat')
      const repeat = ratio(hit, find(cells, fw, 'bare', alg))
      if (repeat) row('2. cache hit >= 0.95x bare', fw, alg, repeat, pass(repeat, 0.95))
      // Not a target: the same against one no-op middleware, what any middleware costs in this framework.
      const overNoop = ratio(hit, find(cells, fw, 'noop', alg))
      if (overNoop)
        out.push(
          `| (2. cache hit / one no-op middleware) | ${fw} | ${alg} | ${fmtX(overNoop[0])} | ${fmtX(overNoop[1])} | – |`,
        )
      const fresh = find(cells, fw, 'tokengate', alg, 'fresh')
      const off = ratio(fresh, find(cells, fw, 'tokengate-nocache', alg, 'fresh'))
      if (off) row('1. fresh: cache on >= 0.97x cache off', fw, alg, off, pass(off, 0.97))
      const jose = ratio(fresh, find(cells, fw, 'jose', alg, 'fresh'))
      if (jose) row('4. fresh >= thin jose', fw, alg, jose, pass(jose, 1))
      const peer = ratio(fresh, bestPeer(cells, fw, alg, 'fresh'))
      if (peer) row('4. fresh >= best peer', fw, alg, peer, pass(peer, 1))
    }
  }
  const MICRO_BOUND: Record<string, number> = {
    HS256: 1.5,
    RS256: 1.1,
    PS256: 1.1,
    ES256: 1.1,
    EdDSA: 1.1,
    JWE: 1.15,
  }
  for (const r of report.micro) {
    const bound = MICRO_BOUND[r.alg]
    if (r.core === undefined || bound === undefined) continue
    const x =
      r.median?.core !== undefined && r.median.floor
        ? r.median.core / r.median.floor
        : r.core / r.floor
    row(`3. micro: core <= ${bound}x node:crypto (median)`, '–', r.alg, [x, undefined], x <= bound)
  }
  const c = report.cache
  if (c) {
    const get = (mix: string, setting: string) =>
      c.rows.find((x) => x.mix === mix && x.setting === setting)
    for (const mix of ['one-use', 'zipf', 'repeat']) {
      const off = get(mix, 'off')
      const on = get(mix, 'admit-2')
      if (!off || !on) continue
      const x = on.vsOff ?? off.cpuUs / on.cpuUs
      row(
        `1. in-process ${mix}: default cache >= 0.97x cache off (CPU)`,
        '–',
        c.alg,
        [x, x],
        x >= 0.97,
      )
    }
    for (const m of c.memory) {
      const growth = memoryGrowth(m)
      if (growth === undefined) continue
      out.push(
        `| 5. RSS flat over ${fmtInt(m.tokens)} distinct tokens (sent ${m.pattern}): growth over the last 75% <= 32 MiB | – | ${c.alg} | ${growth.toFixed(1)} MiB | – | ${mark(growth <= 32)} |`,
      )
    }
  }
  for (const h of report.hooks ?? []) {
    if (h.setting !== 'none') continue
    out.push(
      `| 6. hooks not configured: calls into observe/, introspection/, otel per request = 0 (${h.path === 'fresh' ? 'fresh token' : 'cache hit'}) | – | HS256 | ${h.callsPerRequest.toFixed(2)} calls | – | ${mark(h.callsPerRequest === 0)} |`,
    )
  }
  return out
}

/** Events, telemetry and introspection not configured: calls into their code, and CPU per token. */
function hooksSection(report: Report): string[] {
  const out = [
    '## Hooks not configured (events, telemetry, introspection)',
    '',
    'Calls into the functions of core/src/observe/, core/src/introspection/ and @tokengate/otel per',
    '`authenticate()` (V8 precise coverage, call counts, over the whole run: an exact count, not a',
    'timing), HS256, without any hook configured and with one `onDecision` listener (what',
    '@tokengate/otel installs). CPU µs per token from the micro run (best round) beside them.',
    '',
    '| configured | path | calls per request | CPU µs per token |',
    '| --- | --- | ---: | ---: |',
  ]
  const micro = report.micro.find((r) => r.alg === 'HS256')
  const cpu: Record<string, number | undefined> = {
    'none fresh': micro?.core,
    'none cached': micro?.coreCached,
    'onDecision fresh': micro?.coreObserved,
    'onDecision cached': micro?.coreCachedObserved,
  }
  for (const h of report.hooks ?? [])
    out.push(
      `| ${h.setting === 'none' ? 'nothing' : 'onDecision listener'} | ${h.path === 'fresh' ? 'fresh token, cache off' : 'cache hit'} | ${h.callsPerRequest.toFixed(2)} | ${fmtUs(cpu[`${h.setting} ${h.path}`])} |`,
    )
  out.push('')
  return out
}

/** RSS growth (MiB) from a quarter of the memory run to its end: the cache is full by then. */
function memoryGrowth(m: CacheReport['memory'][number]): number | undefined {
  const from = m.samples[Math.floor(m.samples.length / 4)]
  const to = m.samples.at(-1)
  return from && to ? to[1] - from[1] : undefined
}

const SETTING: Record<string, string> = {
  off: 'cache off',
  'admit-1': 'cache, admitAfter 1',
  'admit-2': 'cache, default (admitAfter 2)',
}

/** The cache mixes (CPU per request, hit rate, what the cache holds) and the memory run. */
function cacheSection(c: CacheReport): string[] {
  const lines = [
    '## Cache: traffic mixes, in-process',
    '',
    `${c.alg}, ${fmtInt(c.requests)} requests per mix through \`authenticate()\`: one-use (a new token every`,
    `request), repeat (one token), and Zipf (s = ${c.zipfS}) over ${fmtInt(c.users)} users, one token each. CPU time`,
    `per request (user + system), median over chunks of ${fmtInt(c.chunk ?? 10_000)} requests: each chunk goes through cache off and the`,
    'default in a random order before the next, and `x cache off` is the median of those per-chunk ratios (caching at',
    'once runs alone after them: its old-generation garbage would be collected during their chunks). Hit rate, entries',
    'and accounted bytes from the last round; heap retained: the drop when its authenticator is released (forced GC).',
    '',
    '| mix | setting | CPU µs / request | x cache off | hit rate | entries | accounted MiB | heap retained MiB |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ]
  for (const r of c.rows) {
    const off = c.rows.find((x) => x.mix === r.mix && x.setting === 'off')
    lines.push(
      `| ${r.mix} | ${SETTING[r.setting] ?? r.setting} | ${fmtUs(r.cpuUs)} | ${fmtX(r.vsOff ?? (off ? off.cpuUs / r.cpuUs : undefined))} | ` +
        `${(r.hitRate * 100).toFixed(1)}% | ${fmtInt(r.entries)} | ${(r.weight / 2 ** 20).toFixed(1)} | ${r.heapMiB === undefined ? '–' : r.heapMiB.toFixed(1)} |`,
    )
  }
  lines.push('')
  for (const m of c.memory) {
    lines.push(
      `Memory, ${fmtInt(m.tokens)} distinct tokens each sent ${m.pattern}, default cache (RSS / heap used MiB, entries):`,
      '',
      '| tokens | RSS MiB | heap MiB | cache entries |',
      '| ---: | ---: | ---: | ---: |',
      ...m.samples.map(
        ([n, rss, heap, entries]) =>
          `| ${fmtInt(n)} | ${rss.toFixed(0)} | ${heap.toFixed(0)} | ${fmtInt(entries)} |`,
      ),
      '',
    )
  }
  return lines
}

const COLORS: Record<Variant, string> = {
  bare: '#444',
  noop: '#999',
  tokengate: '#1b7f3b',
  'tokengate-nocache': '#7cc48f',
  jose: '#d08a1c',
  'express-jwt': '#5470c6',
  'express-oauth2-jwt-bearer': '#8d9fe0',
  'koa-jwt': '#5470c6',
  'hono-jwt': '#5470c6',
  'fast-jwt': '#b05cc6',
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')

/**
 * One panel per framework and mode: req/s per algorithm and middleware, the bare framework and
 * the no-op middleware as the first bars of each algorithm. Plain SVG, written by hand, so it renders on GitHub and needs no dependency.
 */
export function svg(report: Report): string {
  const { cells, knobs: k } = report
  const panelW = 420
  const panelH = 250
  const pad = { top: 36, left: 56, right: 12, bottom: 28 }
  const cols = k.frameworks.length
  const rows = k.modes.length
  const legendH = 3 * 18 + 16
  const width = cols * panelW + 20
  const height = 50 + rows * panelH + legendH
  const parts: string[] = []
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="10" y="20" font-size="15" font-weight="bold">tokengate bench: requests per second (higher is better)</text>`,
    `<text x="10" y="38" fill="#555">${esc(`${report.machine.cpu}, ${report.machine.cores} cores, Node ${report.machine.node}, ${report.date.slice(0, 10)}`)}</text>`,
  )
  k.modes.forEach((mode, r) => {
    k.frameworks.forEach((fw, c) => {
      const x0 = 10 + c * panelW
      const y0 = 50 + r * panelH
      const plotW = panelW - pad.left - pad.right
      const plotH = panelH - pad.top - pad.bottom
      // The bare framework and the no-op middleware are bars of each algorithm's group (measured
      // with that algorithm's token, in its group), in both panels.
      const variants = (
        ['bare', 'noop', 'tokengate', 'tokengate-nocache', 'jose', ...PEERS[fw]] as Variant[]
      ).filter((v) => k.variants.includes(v))
      const values = k.algs.flatMap((alg) =>
        variants.map((v) => find(cells, fw, v, alg, mode)?.rps ?? 0),
      )
      const step = niceStep(Math.max(...values, 1))
      const ticks = Math.ceil(Math.max(...values, 1) / step)
      const max = step * ticks
      const y = (v: number): number => y0 + pad.top + plotH - (v / max) * plotH
      parts.push(
        `<text x="${x0 + pad.left}" y="${y0 + 20}" font-size="13" font-weight="bold">${esc(`${NAMES[fw].split(' (')[0]}: ${MODE_NAMES[mode]}`)}</text>`,
      )
      for (let t = 0; t <= ticks; t++) {
        const v = step * t
        parts.push(
          `<line x1="${x0 + pad.left}" x2="${x0 + pad.left + plotW}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e5e5"/>`,
          `<text x="${x0 + pad.left - 4}" y="${y(v) + 4}" text-anchor="end" fill="#555">${v >= 1000 ? `${Math.round(v / 100) / 10}k` : Math.round(v)}</text>`,
        )
      }
      const groupW = plotW / k.algs.length
      const barW = Math.min(14, (groupW - 8) / variants.length)
      k.algs.forEach((alg, g) => {
        const gx = x0 + pad.left + g * groupW + (groupW - barW * variants.length) / 2
        variants.forEach((v, i) => {
          const cell = find(cells, fw, v, alg, mode)
          const bx = gx + i * barW
          if (cell?.rps === undefined) {
            parts.push(
              `<text x="${bx + barW / 2}" y="${y(0) - 3}" text-anchor="middle" font-size="8" fill="#999">${cell?.na ? '–' : ''}</text>`,
            )
            return
          }
          parts.push(
            `<rect x="${bx.toFixed(1)}" y="${y(cell.rps).toFixed(1)}" width="${(barW - 1).toFixed(1)}" height="${(y(0) - y(cell.rps)).toFixed(1)}" fill="${COLORS[v]}"><title>${esc(`${LABELS[v]} ${alg} ${mode}: ${Math.round(cell.rps)} req/s`)}</title></rect>`,
          )
        })
        parts.push(
          `<text x="${x0 + pad.left + g * groupW + groupW / 2}" y="${y(0) + 16}" text-anchor="middle">${alg}</text>`,
        )
      })
      parts.push(
        `<line x1="${x0 + pad.left}" x2="${x0 + pad.left + plotW}" y1="${y(0)}" y2="${y(0)}" stroke="#888"/>`,
      )
    })
  })
  const legend: Array<[string, string]> = [
    [COLORS.bare, LABELS.bare],
    [COLORS.noop, LABELS.noop],
    [COLORS.tokengate, LABELS.tokengate],
    [COLORS['tokengate-nocache'], LABELS['tokengate-nocache']],
    [COLORS.jose, LABELS.jose],
    [COLORS['express-jwt'], 'peer: express-jwt / koa-jwt / hono/jwt'],
    [COLORS['express-oauth2-jwt-bearer'], 'peer: express-oauth2-jwt-bearer'],
    [COLORS['fast-jwt'], LABELS['fast-jwt']],
  ]
  const ly = 50 + rows * panelH + 16
  legend.forEach(([color, label], i) => {
    const lx = 10 + (i % 3) * 300
    const yy = ly + Math.floor(i / 3) * 18
    parts.push(
      `<rect x="${lx}" y="${yy - 9}" width="12" height="12" fill="${color}"/>`,
      `<text x="${lx + 18}" y="${yy + 1}">${esc(label)}</text>`,
    )
  })
  parts.push('</svg>')
  return parts.join('\n') + '\n'
}

/** A round tick step giving at most five intervals up to `v`. */
function niceStep(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v / 4))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p * 5 >= v) return m * p
  return 10 * p
}

// `pnpm --filter @tokengate/bench bench:report [results/latest.json]`: re-renders latest.md and
// chart.svg from a run's JSON, without measuring anything again.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = resolve(process.argv[2] ?? join(import.meta.dirname, '../results/latest.json'))
  const report = JSON.parse(readFileSync(file, 'utf8')) as Report
  const dir = dirname(file)
  writeFileSync(join(dir, 'latest.md'), markdown(report))
  writeFileSync(join(dir, 'chart.svg'), svg(report))
  console.error(`re-rendered ${join(dir, 'latest.md')} and chart.svg from ${file}`)
}
