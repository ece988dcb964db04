// Load generator (its own process, pinned away from the servers): autocannon, driven by run.ts one
// run at a time over stdin, so that the servers of one framework and algorithm can be measured in
// turn, run by run (a noisy neighbour then slows all of them alike; see run.ts `measureGroup`).
import { createInterface } from 'node:readline'
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
  /** The server's CPU time per request in this run (user + system), µs; set by run.ts. */
  cpuUs?: number
}

/** One line on stdin: load `url` for `seconds`, with the algorithm's first token or a fresh one per request. */
export interface LoadCommand {
  url: string
  mode: Mode
  seconds: number
}

const alg = process.env.BENCH_ALG as Alg | undefined
const dir = process.env.BENCH_DIR
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10)
const tokens = alg && dir ? readTokens(dir, alg) : []
// Fresh: one shared counter across connections and runs, from a random start, through the whole pool.
let next = Math.floor(Math.random() * Math.max(1, tokens.length))

function options({ url, mode, seconds }: LoadCommand): Options {
  const base: Options = { url, connections, duration: seconds, pipelining: 1 }
  if (tokens.length === 0) return base
  // Every server of a group gets the same requests: the bare framework and the no-op middleware too
  // receive the token (and ignore it), so parsing the header is not counted against the middlewares.
  if (mode === 'repeat') return { ...base, headers: { authorization: `Bearer ${tokens[0]}` } }
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

function stats(result: Result, seconds: number): RunStats {
  const elapsed = result.duration > 0 ? result.duration : seconds
  return {
    rps: result.requests.total / elapsed,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  }
}

process.stdout.write('READY\n')
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') continue
  const command = JSON.parse(line) as LoadCommand
  const result = stats(await autocannon(options(command)), command.seconds)
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`)
}
