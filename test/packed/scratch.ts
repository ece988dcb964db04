// One scratch project outside the workspace, installed with npm from the packed tarballs
// (artifacts/packs/npm, written by `pnpm pack:check`) and the npm registry for everything else,
// as a user installs tokengate. npm's own cache (~/.npm) keeps repeat runs fast.
import { execFile } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const exec = promisify(execFile)
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

export function scratch(): Promise<Scratch> {
  installed ??= install()
  return installed
}

async function install(): Promise<Scratch> {
  if (!existsSync(packs)) throw new Error(`no ${packs}: run \`pnpm pack:check\` first`)
  const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'))
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-packed-'))
  const dependencies: Record<string, string> = {
    express: '^5.1.0',
    hono: '^4.9.0',
    zod: '^4.1.0',
    typescript: '~5.9.3',
    '@types/express': '^5.0.0',
    '@types/node': '^20.19.0',
    node: OLDEST_NODE,
  }
  for (const tgz of tarballs) {
    const name = `@tokengate/${tgz.replace(/^tokengate-/, '').replace(/-\d+\.\d+\.\d+.*\.tgz$/, '')}`
    dependencies[name] = `file:${join(packs, tgz)}`
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
    {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
    },
  )
  return { dir, oldestNode: join(dir, 'node_modules/.bin/node') }
}
