// Soak child process: starts one example app on 127.0.0.1 and reports its memory to the parent over IPC.
// Usage (by soak.ts): node --expose-gc --import tsx test/soak/app.ts express|koa|hono
import type { JWK } from 'jose'

interface RunningServer {
  url: string
  close(): Promise<void>
}
type Serve = (
  config: { insecureDevCookies: boolean; signingJwk: JWK; encryptionJwk: JWK },
  port: number,
  host: string,
) => Promise<RunningServer>

type Message = { type: 'sample'; gc?: boolean } | { type: 'stop' }

const name = process.argv[2]
if (!name || !['express', 'koa', 'hono'].includes(name)) {
  console.error('usage: app.ts express|koa|hono')
  process.exit(2)
}

process.on('uncaughtException', (err) => {
  process.send?.({ type: 'crash', message: String(err?.stack ?? err) })
  process.exit(1)
})
process.on('unhandledRejection', (reason) => {
  process.send?.({ type: 'crash', message: `unhandled rejection: ${String(reason)}` })
  process.exit(1)
})

const { serve } = (await import(
  new URL(`../../examples/${name}-app/src/serve.ts`, import.meta.url).href
)) as { serve: Serve }

const server = await serve(
  {
    insecureDevCookies: true,
    signingJwk: JSON.parse(process.env.SOAK_SIGNING_JWK ?? '') as JWK,
    encryptionJwk: JSON.parse(process.env.SOAK_ENCRYPTION_JWK ?? '') as JWK,
  },
  0,
  '127.0.0.1',
)

process.on('message', (message: Message) => {
  if (message.type === 'sample') {
    const gc = (globalThis as { gc?: () => void }).gc
    if (message.gc && gc) {
      gc()
      gc()
    }
    const m = process.memoryUsage()
    process.send?.({ type: 'sample', rss: m.rss, heapUsed: m.heapUsed, external: m.external })
  } else if (message.type === 'stop') {
    void server.close().then(() => process.exit(0))
  }
})

process.send?.({ type: 'ready', url: server.url.replace('localhost', '127.0.0.1') })
