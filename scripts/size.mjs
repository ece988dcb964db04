// `pnpm size`: what a user pays for tokengate, measured from the packed tarballs (run
// `pnpm pack:check` first) installed with npm outside the workspace. Not a timed test: it reports.
// - cold import of @tokengate/express (fresh Node process each time, median of RUNS, interleaved)
//   against express-jwt;
// - installed size of @tokengate/express with its production dependencies (peers left out);
// - a minimal Hono Worker bundled as wrangler would (esbuild, minified, workerd conditions): bare,
//   with hono/jwt, and with tokengate verifying ES256 tokens from a JWKS URL.
// Writes artifacts/size.json and prints a table.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { cpus, tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const root = new URL('..', import.meta.url).pathname
const packs = join(root, 'artifacts/packs/npm')
const RUNS = Number(process.env.SIZE_RUNS ?? 15)
const tarball = (name) =>
  join(
    packs,
    readdirSync(packs).find((f) => f.startsWith(`tokengate-${name}-`)),
  )
const npmInstall = (dir, deps, extra = []) => {
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'size', private: true, dependencies: deps }),
  )
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...extra],
    { cwd: dir, stdio: 'inherit' },
  )
}

// Installed size: tokengate and what it pulls in, without the framework (a peer the app already has).
const alone = mkdtempSync(join(tmpdir(), 'tokengate-size-'))
npmInstall(
  alone,
  {
    '@tokengate/express': `file:${tarball('express')}`,
    '@tokengate/core': `file:${tarball('core')}`,
  },
  ['--legacy-peer-deps'],
)
const installed = {
  bytes: du(join(alone, 'node_modules')),
  packages: countPackages(join(alone, 'node_modules')),
}

// The comparison app: both middlewares and the Worker's dependencies.
const app = mkdtempSync(join(tmpdir(), 'tokengate-size-'))
npmInstall(app, {
  '@tokengate/express': `file:${tarball('express')}`,
  '@tokengate/hono': `file:${tarball('hono')}`,
  '@tokengate/core': `file:${tarball('core')}`,
  express: '^5.1.0',
  'express-jwt': '^8.5.1',
  hono: '^4.9.0',
})

// Interleaved: each round loads every subject once, so a change of load on a shared machine
// weighs on all of them alike; the median of RUNS rounds is reported.
const subjects = {
  '@tokengate/express (import)': ['@tokengate/express', 'esm'],
  '@tokengate/express (require)': ['@tokengate/express', 'cjs'],
  'express-jwt (require)': ['express-jwt', 'cjs'],
  'express-jwt (import)': ['express-jwt', 'esm'],
}
function coldImport(specifier, format) {
  const code =
    format === 'esm'
      ? `const t = performance.now(); await import(${JSON.stringify(specifier)}); console.log(performance.now() - t)`
      : `const t = performance.now(); require(${JSON.stringify(specifier)}); console.log(performance.now() - t)`
  const args = format === 'esm' ? ['--input-type=module', '-e', code] : ['-e', code]
  return Number(execFileSync(process.execPath, args, { cwd: app, encoding: 'utf8' }))
}
const times = Object.fromEntries(Object.keys(subjects).map((name) => [name, []]))
for (let i = 0; i < RUNS; i++)
  for (const [name, [specifier, format]] of Object.entries(subjects))
    times[name].push(coldImport(specifier, format))
const median = (list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]
const importMs = Object.fromEntries(
  Object.entries(times).map(([name, list]) => [name, Math.round(median(list) * 10) / 10]),
)

const workers = {
  bare: `import { Hono } from 'hono'
const app = new Hono()
app.get('/api/me', (c) => c.json({ ok: true }))
export default app`,
  'hono/jwk': `import { Hono } from 'hono'
import { jwk } from 'hono/jwk'
const app = new Hono()
app.use('/api/*', jwk({ jwks_url: 'https://issuer.example/.well-known/jwks.json', alg: ['ES256'] }))
app.get('/api/me', (c) => c.json(c.get('jwtPayload')))
export default app`,
  tokengate: `import { Hono } from 'hono'
import { tokengate } from '@tokengate/hono'
const app = new Hono()
app.use('/api/*', tokengate({
  algorithms: ['ES256'],
  key: { jwksUri: 'https://issuer.example/.well-known/jwks.json' },
  issuer: 'https://issuer.example/',
  audience: 'https://api.example/',
}))
app.get('/api/me', (c) => c.json(c.get('auth').payload))
export default app`,
}
const bundles = {}
mkdirSync(join(app, 'workers'), { recursive: true })
for (const [name, source] of Object.entries(workers)) {
  const file = join(app, 'workers', `${name.replace('/', '-')}.js`)
  writeFileSync(file, source)
  const result = await build({
    entryPoints: [file],
    absWorkingDir: app,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['workerd', 'worker', 'browser', 'import', 'default'],
    mainFields: ['browser', 'module', 'main'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  })
  const bytes = result.outputFiles[0].contents
  bundles[name] = { minified: bytes.length, gzip: gzipSync(bytes).length }
  // What each package puts in the bundle (minified bytes, before gzip), from esbuild's metafile.
  const byPackage = {}
  for (const [file, { bytesInOutput }] of Object.entries(
    Object.values(result.metafile.outputs)[0].inputs,
  )) {
    const pkg = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)?.[1] ?? '(app)'
    byPackage[pkg] = (byPackage[pkg] ?? 0) + bytesInOutput
  }
  bundles[name].byPackage = Object.fromEntries(
    Object.entries(byPackage).sort((a, b) => b[1] - a[1]),
  )
}

const report = {
  date: new Date().toISOString().slice(0, 10),
  machine: `${cpus().length}-core ${cpus()[0]?.model.trim()}, Node ${process.version}`,
  runs: RUNS,
  importMs,
  installed,
  workerBundle: bundles,
}
mkdirSync(join(root, 'artifacts'), { recursive: true })
writeFileSync(join(root, 'artifacts/size.json'), JSON.stringify(report, null, 2) + '\n')

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`
console.log(`\n${report.date}, ${report.machine}\n`)
console.log(`| cold import (median of ${RUNS} fresh processes) | ms |\n| --- | --- |`)
for (const [name, ms] of Object.entries(importMs)) console.log(`| ${name} | ${ms} |`)
console.log(`\n| installed | size |\n| --- | --- |`)
console.log(
  `| @tokengate/express + production dependencies (${installed.packages} packages, no peers) | ${(installed.bytes / 1024 / 1024).toFixed(1)} MiB |`,
)
console.log(
  `\n| Hono Worker bundle | minified | gzip | added over bare (min / gzip) |\n| --- | --- | --- | --- |`,
)
for (const [name, b] of Object.entries(bundles))
  console.log(
    `| ${name} | ${kib(b.minified)} | ${kib(b.gzip)} | ${kib(b.minified - bundles.bare.minified)} / ${kib(b.gzip - bundles.bare.gzip)} |`,
  )
console.log(
  `\nIn the tokengate Worker (minified, by package): ${Object.entries(bundles.tokengate.byPackage)
    .map(([pkg, n]) => `${pkg} ${kib(n)}`)
    .join(', ')}`,
)
console.log('\nJSON: artifacts/size.json')
// The scratch installs are throwaway (npm's cache keeps the next run fast).
for (const dir of [alone, app]) rmSync(dir, { recursive: true, force: true })

function du(dir) {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) total += du(path)
    else if (entry.isFile()) total += statSync(path).size
  }
  return total
}

function countPackages(dir) {
  let n = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name === '.bin' || entry.name.startsWith('.')) continue
    if (entry.name.startsWith('@')) n += readdirSync(join(dir, entry.name)).length
    else n++
  }
  return n
}
