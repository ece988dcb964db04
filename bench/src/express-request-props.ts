// What one property access costs on a request that went through Express 5, against a plain
// `http.IncomingMessage` (README "Performance", goal 2): adding `auth`, reading two names the
// request lacks (`auth`, `authError`), `res.headersSent || res.writableEnded`, and an own property
// (`req.method`) for reference. Each batch of 64 requests is handed to the app's own handler (a
// socket that discards output), and the access is timed over that batch right after, while the
// requests are still warm, as a middleware meets them. The event loop turns between batches, so
// answered requests finish and are collected as in a server (an earlier version of this script
// never yielded: hundreds of thousands of unfinished requests stayed on the heap and every access
// was a cache miss, which read 3 to 5 times these costs). ns per access, median of rounds.
//
//   pnpm --filter @tokengate/bench bench:express-props
import { IncomingMessage, ServerResponse } from 'node:http'
import { Writable } from 'node:stream'
import express from 'express'

const BATCH = 64
const BATCHES = Number(process.env.PROPS_BATCHES ?? 300)
const ROUNDS = Number(process.env.PROPS_ROUNDS ?? 9)

type Slots = IncomingMessage & { auth?: unknown; authError?: unknown; res?: ServerResponse }
const app = express()
let captured: Slots[] = []
app.use((req, _res, next) => {
  captured.push(req as Slots)
  next()
})
app.get('/', (_req, res) => void res.end('x'))

/** A batch of requests handed to Express (Express 5 sets its prototypes on each), or left plain. */
function batchOf(throughExpress: boolean): Slots[] {
  captured = []
  for (let i = 0; i < BATCH; i++) {
    const socket = new Writable({ write: (_chunk, _encoding, done) => done() })
    const req = new IncomingMessage(socket as never) as Slots
    req.method = 'GET'
    req.url = '/'
    req.headers = { host: 'api.example' }
    req.push(null)
    const res = new ServerResponse(req)
    res.assignSocket(socket as never)
    if (throughExpress) app(req as never, res as never)
    else {
      req.res = res
      captured.push(req)
    }
  }
  return captured
}

const context = Object.freeze({ sub: 'alice' })
let sink = 0
const accesses: Record<string, (req: Slots) => void> = {
  'add req.auth': (req) => {
    req.auth = context
  },
  'read auth, authError (absent)': (req) => {
    if (req.auth !== undefined || req.authError !== undefined) sink++
  },
  'res.headersSent || res.writableEnded': (req) => {
    const res = req.res!
    if (res.headersSent || res.writableEnded) sink++
  },
  'read req.method (own)': (req) => {
    if (req.method === 'POST') sink++
  },
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
async function nsPerAccess(throughExpress: boolean, access: (req: Slots) => void): Promise<number> {
  let total = 0n
  for (let b = 0; b < BATCHES; b++) {
    const batch = batchOf(throughExpress)
    const start = process.hrtime.bigint()
    for (let i = 0; i < batch.length; i++) access(batch[i]!)
    total += process.hrtime.bigint() - start
    if ((b & 7) === 7) await turn()
  }
  return Number(total) / (BATCH * BATCHES)
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const results: Record<string, number[]> = {}
for (let round = 0; round < ROUNDS; round++) {
  for (const throughExpress of round % 2 ? [true, false] : [false, true]) {
    const label = throughExpress ? 'through Express 5' : 'plain IncomingMessage'
    for (const [name, access] of Object.entries(accesses))
      (results[`${label}: ${name}`] ??= []).push(await nsPerAccess(throughExpress, access))
  }
}
console.log(
  `ns per access, median of ${ROUNDS} rounds of ${BATCHES} batches of ${BATCH} requests, each timed right after it went through (${sink} answered; RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB)`,
)
for (const [name, xs] of Object.entries(results))
  console.log(`${median(xs).toFixed(0).padStart(7)}  ${name}`)
