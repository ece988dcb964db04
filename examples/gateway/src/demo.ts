// `pnpm demo:gateway`: the gateway and both upstreams on 127.0.0.1, a demo caller issuer, and
// ready-to-paste curl commands. The limit needs Redis: REDIS_URL, or a redis-server started here.
import { spawn } from 'node:child_process'
import { createTokenIssuer, generateKeys } from '@tokengate/core'
import { DEFAULT_AUDIENCES } from './config.js'
import { startGateway, startUpstream, type Running } from './node.js'

const port = Number(process.env.PORT ?? 8787)
const host = (p: number) => `http://127.0.0.1:${p}`
const gatewayUrl = host(port)
const callerIssuer = 'https://demo-as.example'
const audience = 'https://gateway.example'

async function redisUrl(): Promise<{ url: string; stop(): void }> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => undefined }
  const redisPort = port + 3
  const proc = spawn(
    'redis-server',
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', ''],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  )
  await new Promise<void>((resolve, reject) => {
    proc.on('error', () =>
      reject(
        new Error('redis-server not found: install it (bash .ci/ensure-redis) or set REDIS_URL'),
      ),
    )
    proc.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('Ready to accept connections')) resolve()
    })
  })
  return { url: `redis://127.0.0.1:${redisPort}`, stop: () => proc.kill('SIGTERM') }
}

const redis = await redisUrl()
const callerKey = await generateKeys('ES256')
const running: Running[] = []
for (const [name, p] of [
  ['orders', port + 1],
  ['billing', port + 2],
] as const)
  running.push(
    await startUpstream(
      {
        UPSTREAM_NAME: name,
        UPSTREAM_AUDIENCE: DEFAULT_AUDIENCES[name],
        GATEWAY_ISSUER: gatewayUrl,
        GATEWAY_JWKS_URI: `${gatewayUrl}/.well-known/jwks.json`,
      },
      p,
    ),
  )
running.push(
  await startGateway(
    {
      CALLER_ISSUER: callerIssuer,
      CALLER_JWKS: JSON.stringify({ keys: [callerKey.publicJwk] }),
      GATEWAY_AUDIENCE: audience,
      GATEWAY_ISSUER: gatewayUrl,
      ORDERS_URL: host(port + 1),
      BILLING_URL: host(port + 2),
      REDIS_URL: redis.url,
      RATE_LIMIT_POINTS: '10',
      RATE_LIMIT_WINDOW: '60',
    },
    port,
  ),
)

// Demo callers' tokens, as an authorization server would issue them (an hour, for pasting).
const callers = createTokenIssuer({
  signingKey: callerKey.privateJwk!,
  alg: 'ES256',
  issuer: callerIssuer,
  audience,
  expiresIn: '1h',
})
const alice = await callers.issue({ sub: 'alice', scope: 'orders:read', client_id: 'demo-app' })
const bob = await callers.issue({
  sub: 'bob',
  scope: 'orders:read billing:read',
  client_id: 'demo-app',
})
console.log(`gateway  ${gatewayUrl}  (its JWKS: ${gatewayUrl}/.well-known/jwks.json)`)
console.log(
  `orders   ${host(port + 1)}  billing ${host(port + 2)}  (they accept only the gateway's tokens)`,
)
console.log(`\nalice may read orders; bob orders and billing; 10 requests per minute each:\n`)
console.log(`ALICE=${alice}`)
console.log(`BOB=${bob}\n`)
console.log(
  `curl -s -H "Authorization: Bearer $ALICE" ${gatewayUrl}/orders/items      # 200, what orders saw`,
)
console.log(
  `curl -s -H "Authorization: Bearer $ALICE" ${gatewayUrl}/billing/invoices  # 403 insufficient_scope`,
)
console.log(`curl -s -H "Authorization: Bearer $BOB" ${gatewayUrl}/billing/invoices    # 200`)
console.log(
  `curl -s -H "Authorization: Bearer $ALICE" ${host(port + 1)}/items         # 401: not the gateway's token`,
)
console.log(`\nready`)

const stop = async () => {
  for (const r of running) await r.close()
  redis.stop()
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
