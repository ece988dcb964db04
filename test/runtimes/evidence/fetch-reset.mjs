// One fetch() of a GET whose connection the server destroys: how many requests the server sees.
// Node's fetch (undici) sends 1; Bun 1.4 and Deno 2.9 retry once on a new connection (2).
import { createServer } from 'node:http'
import { runtime } from './runtime.mjs'

let hits = 0
let destroy = false
const server = createServer((req, res) => {
  hits++
  if (destroy) req.socket.destroy()
  else res.end('{"keys":[]}')
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${server.address().port}/jwks.json`
await (await fetch(url)).text()
hits = 0
destroy = true
const outcome = await fetch(url).then(
  () => 'answered',
  (e) => e.message,
)
console.log(runtime, `server saw ${hits} request(s) for one fetch();`, outcome)
server.closeAllConnections()
server.close()
