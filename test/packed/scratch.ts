// One scratch project outside the workspace, installed with npm from the packed tarballs
// (artifacts/packs/npm, written by `pnpm pack:check`) and the npm registry for everything else,
// as a user installs tokengate. npm's own cache (~/.npm) keeps repeat runs fast.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const execFileAsync = promisify(execFile)
/**
 * execFile without NODE_PATH: pnpm sets it for scripts to the workspace's hoisted modules, where a
 * scratch app would find packages it never installed (zod, for one).
 */
export function exec(
  file: string,
  args: readonly string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; maxBuffer?: number },
) {
  const env = { ...(options.env ?? process.env) }
  delete env.NODE_PATH
  return execFileAsync(file, args, { maxBuffer: 16 * 1024 * 1024, ...options, env })
}
const repo = fileURLToPath(new URL('../..', import.meta.url))
export const packs = join(repo, 'artifacts/packs/npm')

/**
 * The oldest Node that every package's `engines` (`^20.19.0 || >=22.12.0`) allows: 20.19 is the
 * first 20.x whose require() loads ES modules (jose 6, a dependency, ships ESM only).
 */
export const OLDEST_NODE = '20.19.0'

export interface Scratch {
  dir: string
  /** node_modules/.bin/node: Node {@link OLDEST_NODE} from the registry. */
  oldestNode: string
}

let installed: Promise<Scratch> | undefined
let installedWithoutZod: Promise<string> | undefined
let installedNest: Promise<string> | undefined
const dirs: string[] = []

/** The scratch app with everything: both builds, TypeScript, zod for a claims schema, Node {@link OLDEST_NODE}. */
export function scratch(): Promise<Scratch> {
  installed ??= install({
    express: '^5.1.0',
    fastify: '^5.0.0',
    passport: '^0.7.0',
    hono: '^4.9.0',
    zod: '^4.1.0',
    typescript: '~5.9.3',
    '@types/express': '^5.0.0',
    '@types/node': '^20.19.0',
    node: OLDEST_NODE,
  }).then((dir) => ({ dir, oldestNode: join(dir, 'node_modules/.bin/node') }))
  return installed
}

/**
 * A scratch app without zod (an optional peer of @tokengate/core): an app that passes no
 * `claims` schema must install, run and type-check without it (issue 14 item 4).
 */
export function scratchWithoutZod(): Promise<string> {
  installedWithoutZod ??= install(
    {
      express: '^5.1.0',
      typescript: '~5.9.3',
      '@types/express': '^5.0.0',
      '@types/node': '^20.19.0',
    },
    ['core', 'express'],
  )
  return installedWithoutZod
}

/**
 * A CommonJS NestJS 11 project (the lower end of @tokengate/nestjs's peer range; the workspace runs
 * Nest 12) with both platforms, TypeScript and Node {@link OLDEST_NODE}: issue 20 item 2.
 */
export function scratchNest(): Promise<string> {
  installedNest ??= install(
    {
      '@nestjs/common': '^11.1.0',
      '@nestjs/core': '^11.1.0',
      '@nestjs/platform-express': '^11.1.0',
      '@nestjs/platform-fastify': '^11.1.0',
      'reflect-metadata': '^0.2.2',
      rxjs: '^7.8.2',
      typescript: '~5.9.3',
      '@types/node': '^20.19.0',
      node: OLDEST_NODE,
    },
    ['core', 'nestjs'],
  )
  return installedNest
}

/** Removes every scratch directory this process installed (call from afterAll); returns them. */
export function removeScratches(): string[] {
  const removed = dirs.splice(0)
  for (const dir of removed) rmSync(dir, { recursive: true, force: true })
  installed = undefined
  installedWithoutZod = undefined
  return removed
}

/** npm install of `dependencies` and the tarballs (all, or those named in `only`) in a new tmp dir. */
async function install(
  dependencies: Record<string, string>,
  only?: readonly string[],
): Promise<string> {
  if (!existsSync(packs)) throw new Error(`no ${packs}: run \`pnpm pack:check\` first`)
  const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'))
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-packed-'))
  dirs.push(dir)
  dependencies = { ...dependencies }
  for (const tgz of tarballs) {
    const short = tgz.replace(/^tokengate-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')
    if (only && !only.includes(short)) continue
    dependencies[`@tokengate/${short}`] = `file:${join(packs, tgz)}`
  }
  // No "type": a plain CommonJS project, the default for `npm init`.
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, dependencies }, null, 2),
  )
  cpSync(fileURLToPath(new URL('./apps', import.meta.url)), dir, { recursive: true })
  await exec(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
    { cwd: dir },
  )
  return dir
}
