// Introspection cost, in-process: authenticate() of an opaque token answered from the introspection
// cache (a hit: SHA-256 of the token, two LRU reads, the claim rules, the context), and with the
// cache off (a miss: one RFC 7662 call to oidc-provider on 127.0.0.1, client_secret_basic), beside
// a cached ES256 JWT for reference. Rounds interleave the cases; the median round counts.
// Run: pnpm --filter @tokengate/bench bench:introspection
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAuthenticator, createTokenIssuer, generateKeys } from '@tokengate/core'
import { exportJWK, generateKeyPair } from 'jose'
import Provider from 'oidc-provider'

const HIT_ITERATIONS = Number(process.env.BENCH_HIT_ITERATIONS ?? 20_000)
const MISS_ITERATIONS = Number(process.env.BENCH_MISS_ITERATIONS ?? 300)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const RESOURCE = 'https://api.example.test'
const RS = { id: 'rs', secret: 'rs-secret-0123456789abcdef0123456789abcdef' }
const APP = { id: 'app', secret: 'app-secret-0123456789abcdef0123456789abcd' }

async function startProvider(): Promise<{ issuer: string; server: Server }> {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await exportJWK(privateKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  const route: { callback?: (req: never, res: never) => void } = {}
  const server = createServer((req, res) => route.callback!(req as never, res as never))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const provider = new Provider(issuer, {
    jwks: { keys: [jwk] },
    clients: [
      {
        client_id: APP.id,
        client_secret: APP.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        scope: 'read',
      },
      {
        client_id: RS.id,
        client_secret: RS.secret,
        grant_types: [],
        response_types: [],
        redirect_uris: [],
      },
    ],
    scopes: ['read'],
    ttl: { ClientCredentials: 3600 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true, allowedPolicy: () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read',
          audience: RESOURCE,
          accessTokenFormat: 'opaque',
        }),
      },
    },
  })
  route.callback = provider.callback() as never
  return { issuer, server }
}

async function opaqueToken(issuer: string): Promise<string> {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${APP.id}:${APP.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: 'read',
      resource: RESOURCE,
    }),
  })
  return ((await res.json()) as { access_token: string }).access_token
}

async function perOp(iterations: number, op: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < iterations; i++) await op()
  return Number(process.hrtime.bigint() - start) / 1000 / iterations
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function main(): Promise<void> {
  const { issuer, server } = await startProvider()
  const token = await opaqueToken(issuer)
  const options = {
    algorithms: ['RS256'] as const,
    key: { discovery: issuer },
    audience: RESOURCE,
    introspection: { client: RS },
  }
  const cached = createAuthenticator({ ...options, algorithms: ['RS256'] })
  const uncached = createAuthenticator({
    ...options,
    algorithms: ['RS256'],
    introspection: { client: RS, cache: false },
  })
  const keys = await generateKeys('ES256')
  if (keys.kind !== 'pair') throw new Error('expected a key pair')
  const jwt = await createTokenIssuer({
    signingKey: keys.privateJwk!,
    alg: 'ES256',
    issuer,
    audience: RESOURCE,
    expiresIn: '1h',
  }).issue({ sub: 'a' })
  const local = createAuthenticator({
    algorithms: ['ES256'],
    key: keys.publicJwk,
    issuer,
    audience: RESOURCE,
  })
  const req = (t: string) => ({
    method: 'GET',
    url: '/',
    headers: { authorization: `Bearer ${t}` },
  })

  // Warm-up: discovery, the first answer cached, JIT.
  await cached.authenticate(req(token))
  await uncached.authenticate(req(token))
  await local.authenticate(req(jwt))
  await perOp(2000, () => cached.authenticate(req(token)))
  await perOp(2000, () => local.authenticate(req(jwt)))

  const hit: number[] = []
  const miss: number[] = []
  const jwtHit: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    hit.push(await perOp(HIT_ITERATIONS, () => cached.authenticate(req(token))))
    jwtHit.push(await perOp(HIT_ITERATIONS, () => local.authenticate(req(jwt))))
    miss.push(await perOp(MISS_ITERATIONS, () => uncached.authenticate(req(token))))
  }
  const rows = [
    ['introspection, cache hit (opaque token)', median(hit)],
    ['introspection, miss (one call to oidc-provider on 127.0.0.1)', median(miss)],
    ['for reference: ES256 JWT, verified-token cache hit', median(jwtHit)],
  ] as const
  console.log(
    `node ${process.version}, ${ROUNDS} rounds (median), ${HIT_ITERATIONS} hits / ${MISS_ITERATIONS} misses per round`,
  )
  for (const [name, us] of rows)
    console.log(`${name.padEnd(64)} ${us.toFixed(1).padStart(9)} µs/op`)
  server.closeAllConnections()
  server.close()
}

await main()
