// CPU cost of one forged token through authenticate(), in-process: a forged JWS (ES256, RS256)
// against forged JWEs an unauthenticated client can send (PBES2 at the default iteration bound,
// RSA-OAEP against a 4096-bit key). Issue 12 item 1 and issue 21 "Also": what one request costs.
// Run: pnpm --filter @tokengate/bench bench:forged   (or: cd bench && node --import tsx src/forged.ts)
import { createAuthenticator } from '@tokengate/core'
// Not public API: the bound an attacker's p2c may reach, read from the source so the figure follows it.
import { DEFAULT_MAX_PBES2_COUNT } from '../../packages/core/src/token/jwe.js'
import { generateKeyPairSync, randomBytes } from 'node:crypto'

const N = Number(process.env.FORGED_N ?? 200)
const b64u = (b: Uint8Array | string): string => Buffer.from(b).toString('base64url')
const base = { issuer: 'https://issuer.example.test/', audience: 'x', cache: false as const }
const payload = b64u(JSON.stringify({ iss: base.issuer, aud: 'x', sub: 'a', exp: 2e9 }))

/** CPU microseconds (user + system) per token, over N distinct forged tokens. */
async function cost(
  authenticate: (token: string) => Promise<unknown>,
  forge: () => string,
): Promise<number> {
  const tokens = Array.from({ length: N }, forge)
  for (const t of tokens.slice(0, 5)) await authenticate(t).catch(() => undefined) // warm-up
  const start = process.cpuUsage()
  for (const t of tokens) await authenticate(t).catch(() => undefined)
  const used = process.cpuUsage(start)
  return (used.user + used.system) / N
}

function runner(options: Parameters<typeof createAuthenticator>[0]) {
  const auth = createAuthenticator(options)
  return (token: string) =>
    auth.authenticate({ method: 'GET', url: '/', headers: { authorization: `Bearer ${token}` } })
}

const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
const rsa4096 = generateKeyPairSync('rsa', { modulusLength: 4096 })
const jwk = (k: typeof ec.publicKey) => k.export({ format: 'jwk' })

const forgedJws = (alg: string, bytes: number) => () =>
  `${b64u(JSON.stringify({ alg, typ: 'JWT' }))}.${payload}.${b64u(randomBytes(bytes))}`
const forgedJwe = (header: Record<string, unknown>, keyBytes: number) => () =>
  [
    b64u(JSON.stringify(header)),
    b64u(randomBytes(keyBytes)),
    b64u(randomBytes(12)),
    b64u(randomBytes(64)),
    b64u(randomBytes(16)),
  ].join('.')

const nested = { ...base, algorithms: ['ES256'] as const, key: jwk(ec.publicKey) }
const rows: Array<[string, number]> = []
rows.push(['forged JWS ES256', await cost(runner(nested), forgedJws('ES256', 64))])
rows.push([
  'forged JWS RS256 (2048)',
  await cost(
    runner({ ...base, algorithms: ['RS256'], key: jwk(rsa.publicKey) }),
    forgedJws('RS256', 256),
  ),
])
rows.push([
  `forged JWE PBES2-HS256+A128KW, p2c ${DEFAULT_MAX_PBES2_COUNT} (default bound)`,
  await cost(
    runner({
      ...nested,
      decrypt: {
        keys: { kty: 'oct', k: b64u('correct horse battery staple') },
        keyManagementAlgorithms: ['PBES2-HS256+A128KW'],
      },
    }),
    forgedJwe(
      {
        alg: 'PBES2-HS256+A128KW',
        enc: 'A128GCM',
        p2c: DEFAULT_MAX_PBES2_COUNT,
        p2s: b64u(randomBytes(16)),
      },
      24,
    ),
  ),
])
rows.push([
  'forged JWE RSA-OAEP-256 (4096-bit key)',
  await cost(
    runner({
      ...nested,
      decrypt: { keys: jwk(rsa4096.privateKey), keyManagementAlgorithms: ['RSA-OAEP-256'] },
    }),
    forgedJwe({ alg: 'RSA-OAEP-256', enc: 'A128GCM' }, 512),
  ),
])

const [, jws] = rows[0]!
console.log(`CPU per forged token through authenticate(), N = ${N}, node ${process.version}`)
for (const [name, us] of rows)
  console.log(`${name.padEnd(64)} ${us.toFixed(0).padStart(7)} µs  ${(us / jws).toFixed(1)}x`)
