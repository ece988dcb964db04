// One process: `tsx src/serve.ts gateway` or `tsx src/serve.ts upstream`, configured by the
// environment (config.ts lists the settings; PORT picks the port). Prints `listening <url>`.
import { startGateway, startUpstream } from './node.js'

const role = process.argv[2]
const env = process.env as Record<string, string>
const port = Number(env.PORT ?? 0)
const running =
  role === 'gateway'
    ? await startGateway(env as never, port)
    : role === 'upstream'
      ? await startUpstream(env as never, port)
      : undefined
if (!running) {
  console.error('usage: serve.ts gateway|upstream')
  process.exit(2)
}
console.log(`listening ${running.url}`)
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => void running.close().then(() => process.exit(0)))
