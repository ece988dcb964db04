// Load generator (its own process, pinned away from the server): autocannon, a warm-up, then N runs.
import autocannon, { type Options, type Result } from 'autocannon'
import type { Alg, Mode } from './config.js'
import { readTokens } from './material.js'

export interface RunStats {
  /** Requests per second over the run. */
  rps: number
  /** Latency percentiles in milliseconds. */
  p50: number
  p99: number
  requests: number
  non2xx: number
  errors: number
}

function env(name: string): string {
  const value = process.env[name]
  if (value === undefined || value === '') throw new Error(`bench load: ${name} is required`)
  return value
}

const url = env('BENCH_URL')
const mode = env('BENCH_MODE') as Mode
const alg = process.env.BENCH_ALG as Alg | undefined
const dir = process.env.BENCH_DIR
const duration = Number(env('BENCH_DURATION'))
const warmup = Number(env('BENCH_WARMUP'))
const runs = Number(env('BENCH_RUNS'))
const connections = Number(env('BENCH_CONNECTIONS'))

const tokens = alg && dir ? readTokens(dir, alg) : []

function options(seconds: number): Options {
  const base: Options = { url, connections, duration: seconds, pipelining: 1 }
  if (tokens.length === 0) return base
  if (mode === 'repeat') return { ...base, headers: { authorization: `Bearer ${tokens[0]}` } }
  // Fresh: one shared counter across connections, from a random start, through the whole pool.
  let next = Math.floor(Math.random() * tokens.length)
  return {
    ...base,
    requests: [
      {
        method: 'GET',
        path: '/',
        setupRequest: (request) => {
          next = next + 1 === tokens.length ? 0 : next + 1
          request.headers = { ...request.headers, authorization: `Bearer ${tokens[next]}` }
          return request
        },
      },
    ],
  }
}

function stats(result: Result): RunStats {
  const seconds = result.duration > 0 ? result.duration : duration
  return {
    rps: result.requests.total / seconds,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

// Requests of the warm-up too: the parent divides the server's CPU time by every request it served.
let warmupRequests = 0
if (warmup > 0) warmupRequests = (await autocannon(options(warmup))).requests.total
const out: RunStats[] = []
for (let i = 0; i < runs; i++) out.push(stats(await autocannon(options(duration))))
process.stdout.write(`RESULT ${JSON.stringify({ runs: out, warmupRequests })}\n`)
