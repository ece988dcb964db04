// `pnpm soak`: each example app under 100 concurrent connections on 127.0.0.1 with a mix of valid,
// expired, forged and malformed tokens; prints status counts, errors and memory over time.
// Not a timed test: it reports, and exits 1 only on a 5xx, a transport error, a crash, a wrong
// status for a kind of token, or heap growth after GC beyond SOAK_MAX_HEAP_GROWTH_MB.
//
// Environment: SOAK_APPS (default express,koa,hono), SOAK_DURATION seconds per app (default 20),
// SOAK_CONNECTIONS (default 100), SOAK_MAX_HEAP_GROWTH_MB (default 16).
import { fork, type ChildProcess } from 'node:child_process'
import { randomBytes, randomUUID } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { CompactEncrypt, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose'

const APPS = (process.env.SOAK_APPS ?? 'express,koa,hono').split(',').filter(Boolean)
const DURATION = Number(process.env.SOAK_DURATION ?? 20)
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 100)
const MAX_HEAP_GROWTH_MB = Number(process.env.SOAK_MAX_HEAP_GROWTH_MB ?? 16)
const WARMUP = 3
const ISSUER = 'urn:tokengate:example'
const AUDIENCE = 'urn:tokengate:example-api'
const COOKIE = 'tokengate' // the examples' cookie name on http://127.0.0.1 (no __Host- without Secure)

type Kind = 'valid' | 'valid-cookie' | 'expired' | 'forged' | 'malformed' | 'none'
/** What each kind must get: anything else is reported as unexpected. */
const EXPECTED: Record<Kind, readonly number[]> = {
  valid: [200],
  'valid-cookie': [200],
  expired: [401],
  forged: [401],
  malformed: [400, 401],
  none: [401],
}
/** Share of requests per kind (sums to 100). */
const MIX: ReadonlyArray<[Kind, number]> = [
  ['valid', 45],
  ['valid-cookie', 10],
  ['expired', 15],
  ['forged', 12],
  ['malformed', 15],
  ['none', 3],
]

interface Sample {
  t: number
  rss: number
  heapUsed: number
}

// ---- keys and tokens ---------------------------------------------------------------------------

async function privateJwk(
  alg: 'ES256' | 'ECDH-ES+A256KW',
  kid: string,
): Promise<{ jwk: JWK; publicKey: CryptoKey; privateKey: CryptoKey }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  return { jwk: { ...(await exportJWK(privateKey)), kid }, publicKey, privateKey }
}

interface TokenSets {
  valid: string[]
  expired: string[]
  forged: string[]
  malformed: string[]
}

async function mintTokens(
  signing: CryptoKey,
  encryption: CryptoKey,
  attacker: CryptoKey,
): Promise<TokenSets> {
  const now = Math.floor(Date.now() / 1000)
  const mint = async (exp: number, key = signing) => {
    const jws = await new SignJWT({
      sub: 'u-alice',
      name: 'Alice',
      roles: ['admin', 'user'],
      scope: 'profile',
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'soak-sig', typ: 'at+jwt' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now - 60)
      .setExpirationTime(exp)
      .sign(key)
    return new CompactEncrypt(new TextEncoder().encode(jws))
      .setProtectedHeader({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'soak-enc', cty: 'JWT' })
      .encrypt(encryption)
  }
  const many = (n: number, f: () => Promise<string>) => Promise.all(Array.from({ length: n }, f))
  const valid = await many(1000, () => mint(now + 3600))
  const expired = await many(200, () => mint(now - 3600))
  const forged = await many(200, () => mint(now + 3600, attacker))
  const plainJws = await new SignJWT({ sub: 'x' })
    .setProtectedHeader({ alg: 'ES256' })
    .setExpirationTime(now + 60)
    .sign(signing)
  const sample = valid[0] as string
  const parts = sample.split('.')
  const flip = (i: number) =>
    parts.map((p, j) => (j === i ? (p[0] === 'A' ? 'B' : 'A') + p.slice(1) : p)).join('.')
  const malformed = [
    'not-a-token',
    sample.slice(0, sample.length - 10),
    `${sample}=`,
    `${sample}.x`,
    parts.slice(0, 3).join('.'),
    plainJws, // signed but not encrypted: encryption_required
    flip(0),
    flip(1),
    flip(3),
    flip(4),
    `${randomBytes(40).toString('base64url')}.${randomBytes(40).toString('base64url')}.${randomBytes(40).toString('base64url')}`,
    'A'.repeat(9000), // token_too_large
    'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
    'a b',
  ]
  return { valid, expired, forged, malformed }
}

// ---- the child app -------------------------------------------------------------------------------

interface Child {
  url: string
  process: ChildProcess
  stderr: string[]
  crashed: string | undefined
  sample(gc?: boolean): Promise<{ rss: number; heapUsed: number }>
  stop(): Promise<void>
}

async function startApp(name: string, signingJwk: JWK, encryptionJwk: JWK): Promise<Child> {
  const child = fork(fileURLToPath(new URL('./app.ts', import.meta.url)), [name], {
    execArgv: ['--expose-gc', '--conditions=@tokengate/source', '--import', 'tsx'],
    env: {
      ...process.env,
      SOAK_SIGNING_JWK: JSON.stringify(signingJwk),
      SOAK_ENCRYPTION_JWK: JSON.stringify(encryptionJwk),
    },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  })
  const stderr: string[] = []
  child.stderr
    ?.setEncoding('utf8')
    .on('data', (chunk: string) => stderr.push(...chunk.split('\n').filter(Boolean)))
  const state: Child = {
    url: '',
    process: child,
    stderr,
    crashed: undefined,
    sample(gc = false) {
      return new Promise((resolve, reject) => {
        const onMessage = (m: { type: string; rss: number; heapUsed: number }) => {
          if (m.type !== 'sample') return
          child.off('message', onMessage)
          resolve(m)
        }
        child.on('message', onMessage)
        if (!child.connected) reject(new Error('app process is gone'))
        else child.send({ type: 'sample', gc })
      })
    },
    async stop() {
      if (child.connected) child.send({ type: 'stop' })
      await new Promise((resolve) => child.once('exit', resolve))
    },
  }
  child.on('message', (m: { type: string; message?: string }) => {
    if (m.type === 'crash') state.crashed = m.message
  })
  state.url = await new Promise<string>((resolve, reject) => {
    child.on(
      'message',
      (m: { type: string; url?: string }) => m.type === 'ready' && resolve(m.url as string),
    )
    child.once('exit', (code) =>
      reject(new Error(`${name} app exited with ${code}: ${stderr.join('\n')}`)),
    )
  })
  return state
}

// ---- load ----------------------------------------------------------------------------------------

interface Tally {
  byKind: Record<string, Record<string, number>>
  unexpected: number
}

function pickKind(): Kind {
  let roll = Math.random() * 100
  for (const [kind, share] of MIX) {
    roll -= share
    if (roll < 0) return kind
  }
  return 'valid'
}

const pick = <T>(list: readonly T[]): T => list[Math.floor(Math.random() * list.length)] as T

function load(url: string, tokens: TokenSets, duration: number, tally: Tally) {
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration,
    timeout: 10,
    requests: [
      {
        method: 'GET',
        path: '/api/me',
        setupRequest: (request: autocannon.Request, ctx: object) => {
          const context = ctx as { kind?: Kind }
          const kind = pickKind()
          context.kind = kind
          const headers: Record<string, string> = {}
          if (kind === 'valid-cookie') headers.cookie = `${COOKIE}=${pick(tokens.valid)}`
          else if (kind !== 'none') {
            const list = kind === 'valid' ? tokens.valid : tokens[kind]
            headers.authorization = `Bearer ${pick(list)}`
          }
          return { ...request, headers }
        },
        onResponse: (status: number, _body: string, ctx: object) => {
          const kind = (ctx as { kind: Kind }).kind
          const row = (tally.byKind[kind] ??= {})
          row[status] = (row[status] ?? 0) + 1
          if (!EXPECTED[kind].includes(status)) tally.unexpected += 1
        },
      },
    ],
  })
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1)

interface AppReport {
  name: string
  ok: boolean
  lines: string[]
}

async function soakOne(
  name: string,
  keys: { signing: JWK; encryption: JWK },
  tokens: TokenSets,
): Promise<AppReport> {
  const app = await startApp(name, keys.signing, keys.encryption)
  const lines: string[] = []
  try {
    // Sanity: the minted tokens are what the app accepts and refuses.
    const probe = await fetch(`${app.url}/api/me`, {
      headers: { authorization: `Bearer ${tokens.valid[0]}` },
    })
    if (probe.status !== 200)
      throw new Error(`a valid token got ${probe.status}: ${await probe.text()}`)

    await load(app.url, tokens, WARMUP, { byKind: {}, unexpected: 0 })
    const baseline = await app.sample(true)
    const samples: Sample[] = []
    const started = Date.now()
    const timer = setInterval(() => {
      app.sample().then(
        (m) => samples.push({ t: (Date.now() - started) / 1000, ...m }),
        () => undefined,
      )
    }, 1000)
    const tally: Tally = { byKind: {}, unexpected: 0 }
    const result = await load(app.url, tokens, DURATION, tally)
    clearInterval(timer)
    // Let the app finish the requests still queued when the load stopped, then collect garbage.
    await new Promise((resolve) => setTimeout(resolve, 2000))
    const first = await app.sample(true)
    const second = await app.sample(true)
    const end = second.heapUsed <= first.heapUsed ? second : first

    const status = result.statusCodeStats as Record<string, { count: number }>
    const fivexx = Object.entries(status)
      .filter(([code]) => code.startsWith('5'))
      .reduce((n, [, v]) => n + v.count, 0)
    const growth = (end.heapUsed - baseline.heapUsed) / 1024 / 1024
    const peakRss = Math.max(baseline.rss, ...samples.map((s) => s.rss))
    const ok =
      fivexx === 0 &&
      result.errors === 0 &&
      result.timeouts === 0 &&
      tally.unexpected === 0 &&
      !app.crashed &&
      growth <= MAX_HEAP_GROWTH_MB

    lines.push(
      `== ${name}: ${ok ? 'PASS' : 'FAIL'} (${DURATION} s, ${CONNECTIONS} connections, 127.0.0.1)`,
    )
    lines.push(
      `   requests ${result.requests.total} (${Math.round(result.requests.average)}/s), latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`,
    )
    lines.push(
      `   status   ${Object.entries(status)
        .map(([code, v]) => `${code}: ${v.count}`)
        .join(', ')}; 5xx: ${fivexx}; errors: ${result.errors}; timeouts: ${result.timeouts}`,
    )
    for (const [kind] of MIX) {
      const row = tally.byKind[kind] ?? {}
      lines.push(
        `   ${kind.padEnd(13)}${Object.entries(row)
          .map(([code, n]) => `${code}: ${n}`)
          .join(', ')}`,
      )
    }
    lines.push(
      `   unexpected statuses for a kind: ${tally.unexpected}; app crash: ${app.crashed ?? 'none'}; app stderr lines: ${app.stderr.length}`,
    )
    lines.push(
      `   memory   after warm-up (GC): rss ${mb(baseline.rss)} MB, heap ${mb(baseline.heapUsed)} MB; peak rss ${mb(peakRss)} MB; end (GC): rss ${mb(end.rss)} MB, heap ${mb(end.heapUsed)} MB; heap growth ${growth.toFixed(1)} MB (limit ${MAX_HEAP_GROWTH_MB})`,
    )
    const step = Math.max(1, Math.floor(samples.length / 10))
    lines.push(
      `   over time (s: rss/heap MB) ${samples
        .filter((_, i) => i % step === 0)
        .map((s) => `${s.t.toFixed(0)}: ${mb(s.rss)}/${mb(s.heapUsed)}`)
        .join('  ')}`,
    )
    return { name, ok, lines }
  } catch (err) {
    lines.push(`== ${name}: FAIL: ${err instanceof Error ? err.message : String(err)}`)
    return { name, ok: false, lines }
  } finally {
    await app.stop()
  }
}

async function main(): Promise<void> {
  const signing = await privateJwk('ES256', 'soak-sig')
  const encryption = await privateJwk('ECDH-ES+A256KW', 'soak-enc')
  const attacker = await privateJwk('ES256', 'soak-sig')
  const tokens = await mintTokens(signing.privateKey, encryption.publicKey, attacker.privateKey)
  console.log(
    `tokengate soak: ${APPS.join(', ')}; mix ${MIX.map(([k, s]) => `${k} ${s}%`).join(', ')}; Node ${process.version}`,
  )
  const reports: AppReport[] = []
  for (const name of APPS) {
    const report = await soakOne(name, { signing: signing.jwk, encryption: encryption.jwk }, tokens)
    console.log(report.lines.join('\n'))
    reports.push(report)
  }
  const failed = reports.filter((r) => !r.ok).map((r) => r.name)
  console.log(failed.length === 0 ? 'soak: PASS' : `soak: FAIL (${failed.join(', ')})`)
  process.exitCode = failed.length === 0 ? 0 : 1
}

await main()
