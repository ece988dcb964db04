// `pnpm test:runtimes`: tokengate proven on Bun and Deno (both installed from npm as workspace
// devDependencies). 1. The core's suite executed by each runtime: vitest itself runs under Bun
// (`bun --bun`) and Deno (`deno run`), so the code under test uses that runtime's crypto, fetch and
// timers (packages/core/vitest.runtime.config.ts; packages/core/test/runtime.test.ts fails on a
// silent fall-back to Node). 2. The conformance table over real HTTP against Hono on Bun.serve and
// Deno.serve and Express 5 / Koa 3 on Bun, compared with Node (test/runtimes/, run by Node).
//
// A test that fails only on a runtime because of that runtime (not tokengate) is listed in KNOWN
// with the reason and the evidence: it must fail there (a listed test that passes fails the run, so
// the list cannot go stale), it is printed on every run, and any other failure fails the run.
// Usage: node scripts/runtimes.mjs [bun|deno ...]
import { spawnSync } from 'node:child_process'
import { mkdirSync, readFileSync } from 'node:fs'
import { dirname, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const bin = (name) => `${root}/node_modules/.bin/${name}`
const vitest = `${root}/node_modules/vitest/vitest.mjs`
const core = `${root}/packages/core`

/**
 * Failures that are the runtime's, each with why; `evidence` reproduces the runtime's behaviour
 * outside tokengate (`node|bun|deno run -A test/runtimes/evidence/<file>`).
 */
const KNOWN = [
  ...['RSASSA-PSS key', 'EC secp256k1 (not a JWS curve)', 'Ed448'].map((row) => ({
    runtime: 'bun',
    test: `src/keys/der.test.ts > readPem > ${row}`,
    why: "Bun's node:crypto (BoringSSL) cannot generate RSA-PSS, secp256k1 or Ed448 keys; the test makes its input PEM with generateKeyPairSync, so readPem (pure DER reading) is never reached.",
    evidence: 'node-crypto.mjs',
  })),
  ...['bun', 'deno'].map((runtime) => ({
    runtime,
    test: 'src/keys/remote-jwks.test.ts > remote JWKS > server down with keys cached: the stale keys keep working past cacheMaxAge (stale-if-error)',
    why: "The runtime's fetch retries a GET once when the server resets the connection (the server sees 2 requests for one fetch(), Node's undici 1), so the test counts 3 JWKS requests, not 2. The stale keys keep working (the test's 'ok' before the count passes).",
    evidence: 'fetch-reset.mjs',
  })),
  ...[
    'ECDH-ES+A256KW + PS256, no cty',
    'A256KW + ES384, cty JWT',
    'a jose-signed token encrypted by node-jose with A128CBC-HS256, and a node-jose encrypted-only token',
  ].map((row) => ({
    runtime: 'deno',
    test: `src/roundtrip.test.ts > tokens from node-jose (another JOSE implementation) > ${row}`,
    why: "Deno's node:crypto lists AES key wrap in getCiphers() but createCipheriv('id-aes256-wrap') throws ERR_CRYPTO_UNKNOWN_CIPHER: node-jose, which builds these tokens, fails before tokengate sees a token.",
    evidence: 'node-crypto.mjs',
  })),
  ...['refused', 'dns'].map((reason) => ({
    runtime: 'deno',
    test: `src/observe/observe.test.ts > key failures: the real cause, in the event and the error, never in the response > ${reason}: 503 keys_unavailable at verify, with its cause`,
    why: "Deno's fetch rejects with a message and no system error code (ECONNREFUSED, ENOTFOUND); packages/core/src/keys/fetch-failure.ts tells causes apart by code, so the reason is 'network', as on workerd. Still 503 keys_unavailable.",
    evidence: 'fetch-errors.mjs',
  })),
  {
    runtime: 'deno',
    test: 'src/keys/forms.test.ts > StaticKeySource: a key that fails to import at request time is 503, never a 500 > maps the failure to keys_unavailable and keeps the other keys working',
    why: "Deno's Web Crypto importKey accepts an EC public key whose point is not on the curve (even 3-byte coordinates) and fails only when it is used; Node and Bun throw DataError at importKey. The test's premise, a runtime refusing its hand-built broken key at import, does not hold.",
    evidence: 'ec-point.mjs',
  },
  {
    runtime: 'deno',
    test: 'src/token/jwe.test.ts > per-token refusals > ECDH-ES epk point not on the curve (invalid-curve attack)',
    why: "The same Deno bug: the attacker's off-curve epk passes importKey and deriveBits throws a bare TypeError, which jwe.ts reads as a broken configured key: 503 keys_unavailable instead of 401 decryption_failed. The token is still refused; nothing is derived from the point.",
    evidence: 'ec-point.mjs',
  },
]

const commands = {
  bun: (out) => [bin('bun'), '--bun', vitest, 'run', ...coreArgs(out)],
  deno: (out) => [bin('deno'), 'run', '--allow-all', vitest, 'run', ...coreArgs(out)],
}
const coreArgs = (out) => [
  '--config',
  'packages/core/vitest.runtime.config.ts',
  '--reporter=dot',
  '--reporter=json',
  `--outputFile.json=${out}`,
]

function run(argv, env = {}) {
  const started = Date.now()
  const [command, ...args] = argv
  const result = spawnSync(command, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
  })
  return { status: result.status ?? 1, seconds: Math.round((Date.now() - started) / 1000) }
}

function version(runtime) {
  // `bun --version` prints 1.4.5; `deno --version` starts with `deno 2.9.6 (stable, ...)`.
  const r = spawnSync(bin(runtime), ['--version'], { encoding: 'utf8' })
  return `${runtime} ${/\d+\.\d+\.\d+\S*/.exec(r.stdout)?.[0] ?? '(no version)'}`
}

/** `file > describe > ... > test` of every failed test in a vitest JSON report. */
function failures(report) {
  const failed = []
  for (const file of report.testResults) {
    const name = relative(core, file.name)
    const tests = file.assertionResults.filter((t) => t.status === 'failed')
    // A file that failed to load has no failed test of its own: it counts as one failure.
    if (file.status === 'failed' && tests.length === 0) failed.push(`${name} (the file itself)`)
    for (const t of tests) failed.push([name, ...t.ancestorTitles, t.title].join(' > '))
  }
  return failed
}

const wanted = process.argv.slice(2)
const runtimes = wanted.length > 0 ? wanted : ['bun', 'deno']
mkdirSync(`${root}/artifacts`, { recursive: true })
let ok = true
const lines = []

for (const runtime of runtimes) {
  const out = `${root}/artifacts/vitest-core-${runtime}.json`
  console.log(`\n== the core suite executed by ${version(runtime)}`)
  const { seconds } = run(commands[runtime](out), { TOKENGATE_RUNTIME: runtime })
  let report
  try {
    report = JSON.parse(readFileSync(out, 'utf8'))
  } catch {
    console.error(`runtimes: no report from ${runtime} (${out})`)
    ok = false
    continue
  }
  const failed = new Set(failures(report))
  const known = KNOWN.filter((k) => k.runtime === runtime)
  const unexpected = [...failed].filter((t) => !known.some((k) => k.test === t))
  const fixed = known.filter((k) => !failed.has(k.test))
  for (const k of known.filter((k) => failed.has(k.test))) {
    console.log(
      `known ${runtime} difference: ${k.test}\n  ${k.why}\n  evidence: test/runtimes/evidence/${k.evidence}`,
    )
  }
  for (const t of unexpected) console.error(`FAILED on ${runtime}: ${t}`)
  for (const k of fixed) console.error(`now passes on ${runtime}, remove it from KNOWN: ${k.test}`)
  if (unexpected.length > 0 || fixed.length > 0 || report.numPassedTests === 0) ok = false
  lines.push(
    `core on ${version(runtime)}: ${report.numPassedTests} passed, ${failed.size} failed ` +
      `(${failed.size - unexpected.length} known runtime differences), ${seconds} s`,
  )
}

console.log('\n== the conformance table on Hono (Bun.serve, Deno.serve), Express 5 and Koa 3 (Bun)')
const table = run([
  bin('vitest'),
  'run',
  '--config',
  'test/runtimes/vitest.config.ts',
  '--reporter=dot',
  '--reporter=json',
  `--outputFile.json=${root}/artifacts/vitest-runtimes.json`,
  ...(wanted.length > 0 ? ['-t', `on (${runtimes.join('|')})`] : []),
])
if (table.status !== 0) ok = false
lines.push(`conformance table on ${runtimes.join(', ')}: exit ${table.status}, ${table.seconds} s`)

console.log(`\n${lines.join('\n')}`)
process.exit(ok ? 0 : 1)
