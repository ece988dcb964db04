// What a failed fetch() rejects with: Node and Bun carry a system `code` (ECONNREFUSED, ENOTFOUND)
// on the error or its cause; Deno 2.9 gives a message only.
import { createServer } from 'node:net'
import { runtime } from './runtime.mjs'

const closed = createServer()
await new Promise((resolve) => closed.listen(0, '127.0.0.1', resolve))
const port = closed.address().port
await new Promise((resolve) => closed.close(resolve))
for (const url of [`http://127.0.0.1:${port}/jwks`, 'http://nonexistent.invalid/jwks']) {
  try {
    await fetch(url)
  } catch (e) {
    const code = e.code ?? e.cause?.code
    console.log(runtime, url, 'code:', code, '|', e.cause?.message ?? e.message)
  }
}
