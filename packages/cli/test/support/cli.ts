// Runs the `tokengate` executable as a user does: a child process, with its own environment,
// stdin, exit code and output streams. The executable is src/bin.ts bundled once per test file
// from the workspace sources (the `@tokengate/source` condition) by esbuild: one transform instead
// of one per run (tsx per process took seconds on a loaded machine), the same code.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const packageDir = fileURLToPath(new URL('../..', import.meta.url))

let bundled: Promise<string> | undefined

/** src/bin.ts as one ES module file in a temporary directory. */
export function cliBundle(): Promise<string> {
  bundled ??= (async () => {
    const outfile = join(mkdtempSync(join(tmpdir(), 'tokengate-cli-')), 'tokengate.mjs')
    await build({
      entryPoints: [fileURLToPath(new URL('../../src/bin.ts', import.meta.url))],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      conditions: ['@tokengate/source'],
      // picocolors is CommonJS and requires node:tty: give the bundle a require().
      banner: {
        js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
      },
      logLevel: 'silent',
    })
    return outfile
  })()
  return bundled
}

/** What one run of the CLI gave. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * `tokengate ...args`. The environment starts without the colour variables (and `CI`) of the
 * test runner; `env` adds to it. stdout and stderr are pipes, never a terminal.
 */
export function tokengate(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; cwd?: string } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env }
  for (const name of ['NO_COLOR', 'FORCE_COLOR', 'CI', 'TERM', 'NODE_OPTIONS']) delete env[name]
  Object.assign(env, options.env)
  return cliBundle().then((bin) => run(bin, args, env, options))
}

function run(
  bin: string,
  args: readonly string[],
  env: Record<string, string | undefined>,
  options: { input?: string; cwd?: string },
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? packageDir,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(options.input ?? '')
  })
}
