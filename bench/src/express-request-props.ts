// What one property access costs on a request that went through Express 5, against a plain
// `http.IncomingMessage` (README "Performance", goal 2): adding `auth`, reading two names the
// request lacks (`auth`, `authError`), and `res.headersSent || res.writableEnded`. 20,000 distinct
// requests per round (as many objects as a busy server sees), CPU ns per request, median of rounds.
// No sockets: each request is handed to the app's own handler with a socket that discards output.
//
//   pnpm --filter @tokengate/bench bench:express-props
import { IncomingMessage, ServerResponse } from 'node:http'
import { Writable } from 'node:stream'
import express from 'express'

const N = Number(process.env.PROPS_N ?? 20_000)
const ROUNDS = Number(process.env.PROPS_ROUNDS ?? 7)

type Slots = IncomingMessage & { auth?: unknown; authError?: unknown; res?: ServerResponse }
const app = express()
let captured: Slots[] = []
app.use((req, _res, next) => {
  captured.push(req as Slots)
  next()
})
app.get('/', (_req, res) => void res.end('x'))

function incoming(): { req: IncomingMessage; res: ServerResponse } {
  const socket = new Writable({ write: (_chunk, _encoding, done) => done() })
  const req = new IncomingMessage(socket as never)
  req.method = 'GET'
  req.url = '/'
  req.headers = { host: 'api.example' }
  req.push(null)
  const res = new ServerResponse(req)
  res.assignSocket(socket as never)
  return { req, res }
}

/** N requests handed to Express (Express 5 sets its prototypes on each), or left plain. */
function requests(throughExpress: boolean): Array<{ req: Slots; res: ServerResponse }> {
  captured = []
  const plain: Array<{ req: Slots; res: ServerResponse }> = []
  for (let i = 0; i < N; i++) {
    const { req, res } = incoming()
    if (throughExpress) app(req as never, res as never)
    else plain.push({ req: req as Slots, res })
  }
  return throughExpress ? captured.map((req) => ({ req, res: req.res! })) : plain
}

const ns = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start)
  return ((used.user + used.system) * 1000) / N
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!
const context = Object.freeze({ sub: 'alice' })
const results: Record<string, number[]> = {}
let sink = 0
for (let round = 0; round < ROUNDS; round++) {
  for (const throughExpress of round % 2 ? [true, false] : [false, true]) {
    const label = throughExpress ? 'through Express 5' : 'plain IncomingMessage'
    let list = requests(throughExpress)
    let start = process.cpuUsage()
    for (const { req } of list) req.auth = context
    ;(results[`${label}: add req.auth`] ??= []).push(ns(start))
    list = requests(throughExpress)
    start = process.cpuUsage()
    for (const { req } of list) if (req.auth !== undefined || req.authError !== undefined) sink++
    ;(results[`${label}: read auth, authError (absent)`] ??= []).push(ns(start))
    start = process.cpuUsage()
    for (const { res } of list) if (res.headersSent || res.writableEnded) sink++
    ;(results[`${label}: res.headersSent || res.writableEnded`] ??= []).push(ns(start))
  }
}
// The route answered the requests that went through Express: the counts only keep the reads alive.
console.log(
  `CPU ns per request, median of ${ROUNDS} rounds of ${N} distinct requests (${sink} answered)`,
)
for (const [name, xs] of Object.entries(results))
  console.log(`${median(xs).toFixed(0).padStart(7)}  ${name}`)
