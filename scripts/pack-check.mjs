// `pnpm pack:check`: packs every publishable package with npm, pnpm and yarn 1, checks that the
// tarballs hold the same files and the same package.json fields that matter to an installer, that
// nothing points at a workspace, that LICENSE ships, then runs publint and @arethetypeswrong/cli
// (every resolution mode: node10, node16 CJS and ESM, bundler) on the tarballs.
// The npm tarballs stay in artifacts/packs/npm for test/packed (the scratch-app installs).
// Expects a fresh build (`pnpm pack:check` runs `pnpm build` first).
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = new URL('..', import.meta.url).pathname
const out = join(root, 'artifacts/packs')
const bin = (name) => join(root, 'node_modules/.bin', name)
const run = (cmd, args, cwd = root, env = process.env) =>
  execFileSync(cmd, args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
// yarn 1 refuses to run under the root's `packageManager: pnpm` unless told this is deliberate.
const yarnEnv = { ...process.env, SKIP_YARN_COREPACK_CHECK: '1' }
const packers = ['npm', 'pnpm', 'yarn']

const packages = readdirSync(join(root, 'packages'))
  .map((dir) => ({
    dir: join(root, 'packages', dir),
    pkg: readJson(join(root, 'packages', dir, 'package.json')),
  }))
  .filter(({ pkg }) => !pkg.private)
const versions = Object.fromEntries(packages.map(({ pkg }) => [pkg.name, pkg.version]))
const license = readFileSync(join(root, 'LICENSE'), 'utf8')

rmSync(out, { recursive: true, force: true })
for (const packer of packers) mkdirSync(join(out, packer), { recursive: true })

const problems = []
for (const { dir, pkg } of packages) {
  const fail = (message) => problems.push(`${pkg.name}: ${message}`)
  if (!existsSync(join(dir, 'dist'))) fail('no dist/: run `pnpm build` first')
  if ((pkg.files ?? []).some((entry) => entry.startsWith('!')))
    fail('`files` has a `!` entry, which yarn 1 ignores: list what ships (docs/ARCHITECTURE.md)')
  // Every source file the `@tokengate/source` condition names is listed in `files` by its own
  // path, not only through the extglob: a reader of the manifest (or a tool that does not expand
  // extglobs) sees that each exports/imports target ships.
  // A source file is named only as the plain value of that condition: a standard condition
  // (`types`, `import`, `require`, `node`, `default`, ...) never points into src/, so a resolver
  // without the in-repo condition can only reach dist/.
  const sourceTargets = new Set()
  for (const { path, condition } of manifestTargets([pkg.exports, pkg.imports])) {
    if (!path.startsWith('./src/')) continue
    sourceTargets.add(path.slice(2))
    if (condition !== '@tokengate/source')
      fail(
        `exports/imports reach ${path} under "${condition}": name it only as the plain value of "@tokengate/source" (docs/ARCHITECTURE.md)`,
      )
  }
  for (const target of sourceTargets)
    if (!(pkg.files ?? []).includes(target))
      fail(`\`files\` does not name ${target}, a target of exports/imports: add it by its path`)

  const npmFile = JSON.parse(
    run('npm', ['pack', '--json', '--pack-destination', join(out, 'npm')], dir),
  )[0].filename
  run('pnpm', ['pack', '--pack-destination', join(out, 'pnpm')], dir)
  // yarn 1 reads `files` its own way (it ignores `!` entries, so tests would ship): the positive
  // pattern of docs/ARCHITECTURE.md's checklist is what makes the three agree.
  run(bin('yarn'), ['pack', '--filename', join(out, 'yarn', npmFile)], dir, yarnEnv)
  const tarballs = Object.fromEntries(packers.map((packer) => [packer, join(out, packer, npmFile)]))
  for (const packer of packers)
    if (!existsSync(tarballs[packer])) fail(`${packer} pack did not write ${npmFile}`)

  const files = {}
  const manifests = {}
  for (const [packer, tgz] of Object.entries(tarballs)) {
    // Files only: yarn also lists the directories (`package/src`), npm and pnpm do not.
    const entries = run('tar', ['-tzf', tgz]).split('\n').filter(Boolean)
    files[packer] = entries.filter((e) => !entries.some((f) => f.startsWith(`${e}/`))).sort()
    manifests[packer] = JSON.parse(run('tar', ['-xzOf', tgz, 'package/package.json']))
  }
  for (const packer of ['pnpm', 'yarn'])
    if (files.npm.join() !== files[packer].join())
      fail(
        `npm and ${packer} pack different files:\n  npm:  ${files.npm.join(' ')}\n  ${packer}: ${files[packer].join(' ')}`,
      )

  // What an installer and a resolver read must not depend on the packer (devDependencies are
  // never installed from a tarball; pnpm rewrites their workspace:* and npm does not).
  for (const field of [
    'name',
    'version',
    'type',
    'main',
    'module',
    'types',
    'exports',
    'engines',
    'dependencies',
    'peerDependencies',
    'peerDependenciesMeta',
    'optionalDependencies',
    'license',
    'repository',
  ]) {
    for (const packer of ['pnpm', 'yarn'])
      if (JSON.stringify(manifests.npm[field]) !== JSON.stringify(manifests[packer][field]))
        fail(`package.json "${field}" differs between npm pack and ${packer} pack`)
  }
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(manifests.npm[field] ?? {})) {
      if (/^(workspace|link|file):/.test(range))
        fail(`${field}.${dep} is "${range}" in the tarball`)
      // Inter-package ranges must take the workspace's own version, or pnpm would stop linking
      // it and install the registry's instead (changesets keeps them in step).
      if (dep in versions && range !== `^${versions[dep]}`)
        fail(`${field}.${dep} is "${range}", expected "^${versions[dep]}" (the workspace version)`)
    }
  }
  for (const required of [
    'package/LICENSE',
    'package/README.md',
    'package/package.json',
    'package/dist/index.js',
    'package/dist/index.cjs',
    'package/dist/index.d.ts',
    'package/dist/index.d.cts',
  ])
    if (!files.npm.includes(required)) fail(`${required} missing from the tarball`)
  // Every file that exports or imports names, under any condition (the in-repo
  // `@tokengate/source` one included), is in the tarball: a resolver that picks it finds it.
  for (const { path: target } of manifestTargets([manifests.npm.exports, manifests.npm.imports]))
    if (!files.npm.includes(`package/${target.slice(2)}`))
      fail(`package.json names ${target}, which the tarball lacks`)
  if (run('tar', ['-xzOf', tarballs.npm, 'package/LICENSE']) !== license)
    fail('LICENSE differs from the root LICENSE')
  if (files.npm.some((f) => /\.test(-d)?\.ts$|\.map$/.test(f)))
    fail('tests or source maps in the tarball')
  const readme = run('tar', ['-xzOf', tarballs.npm, 'package/README.md'])
  const relative = [...readme.matchAll(/\]\((?!https?:|#|mailto:)([^)]+)\)/g)].map((m) => m[1])
  if (relative.length) fail(`README has relative links that break on npm: ${relative.join(', ')}`)

  try {
    run(bin('publint'), ['run', tarballs.npm, '--strict'])
  } catch (err) {
    fail(`publint:\n${err.stdout}${err.stderr}`)
  }
  try {
    run(bin('attw'), [tarballs.npm, '--format', 'table-flipped'])
  } catch (err) {
    fail(`@arethetypeswrong/cli:\n${err.stdout}${err.stderr}`)
  }
  console.log(
    `${pkg.name}@${pkg.version}: ${files.npm.length} files, npm = pnpm = yarn, publint and attw clean`,
  )
}

if (problems.length) {
  console.error(`\npack:check failed:\n- ${problems.join('\n- ')}`)
  process.exit(1)
}
console.log(`pack:check: ${packages.length} packages, tarballs in ${out}/npm`)

/**
 * The file paths (./…) in package.json `exports` / `imports` maps, under every condition, each with
 * the condition (or subpath) whose value it is.
 */
function manifestTargets(maps) {
  const found = []
  const walk = (value, condition) => {
    if (typeof value === 'string') {
      if (value.startsWith('./') && value !== './package.json')
        found.push({ path: value, condition })
    } else if (value && typeof value === 'object')
      for (const [key, inner] of Object.entries(value)) walk(inner, key)
  }
  maps.forEach((map) => walk(map, undefined))
  return found
}

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'))
}
