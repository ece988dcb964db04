// Starts the conformance apps in a Bun or Deno child process (serve.ts) and talks to them over real
// HTTP with the Node drivers' client (support/http.ts), so their answers compare with Node's.
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import type { JWK } from 'jose'
import type { Fixtures, SetupName } from '../conformance/fixtures.js'
import type { DriverRequest, DriverResponse } from '../support/drivers.js'
import { send } from '../support/http.js'

export type Runtime = 'bun' | 'deno'
export type Framework = 'hono' | 'express' | 'koa'

/** The keys the setups of fixtures.ts name, passed to the child (tokens are built by the parent). */
export interface RuntimeKeys {
  sig: { publicJwk: JWK }
  forger: { publicJwk: JWK }
  enc: { publicJwk: JWK; privateJwk: JWK }
}

/** The child's first stdout line: where it really runs, and one port per setup. */
export interface RuntimeReady {
  runtime: Runtime | 'node'
  version: string
  framework: string
  /** The `#signature-check` the runtime's own resolver picked (packages/core/test/signature-path.ts). */
  signaturePath: 'jose' | 'node:crypto'
  ports: Partial<Record<SetupName, number>>
}

const root = fileURLToPath(new URL('../../', import.meta.url))
/** The binaries the workspace installs from npm (root package.json devDependencies). */
export const binaries: Record<Runtime, string> = {
  bun: `${root}node_modules/.bin/bun`,
  deno: `${root}node_modules/.bin/deno`,
}
const entry = fileURLToPath(new URL('./serve.ts', import.meta.url))

/**
 * The command line of each runtime. Both run the TypeScript sources themselves; `@tokengate/source`
 * makes them resolve the workspace packages to src/ (as vitest does), and each runtime adds its own
 * conditions (Bun and Deno both include `node`). Deno maps the sources' `.js` specifiers to `.ts`
 * files only with --sloppy-imports.
 */
export function commandOf(runtime: Runtime, framework: Framework): string[] {
  return runtime === 'bun'
    ? [binaries.bun, '--conditions=@tokengate/source', entry, framework]
    : [
        binaries.deno,
        'run',
        '--allow-all',
        '--sloppy-imports',
        '--conditions=@tokengate/source',
        entry,
        framework,
      ]
}

export interface RuntimeApps {
  ready: RuntimeReady
  request(setup: SetupName, r: DriverRequest): Promise<DriverResponse>
  close(): Promise<void>
}

/** Spawns serve.ts under the runtime and waits for its ports (stderr is kept for the error). */
export async function startRuntime(
  runtime: Runtime,
  framework: Framework,
  fixtures: Fixtures,
): Promise<RuntimeApps> {
  const keys: RuntimeKeys = {
    sig: { publicJwk: fixtures.sig.publicJwk },
    forger: { publicJwk: fixtures.forger.publicJwk },
    enc: { publicJwk: fixtures.enc.publicJwk, privateJwk: fixtures.enc.privateJwk },
  }
  const [command, ...args] = commandOf(runtime, framework)
  const child = spawn(command!, args, {
    cwd: root,
    env: { ...process.env, TOKENGATE_RUNTIME_KEYS: JSON.stringify(keys), NO_COLOR: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  const ready = await new Promise<RuntimeReady>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! })
    lines.once('line', (line) => resolve(JSON.parse(line) as RuntimeReady))
    child.once('error', reject)
    child.once('exit', (code) =>
      reject(new Error(`${runtime} ${framework} exited (${code}) before serving:\n${stderr}`)),
    )
  })
  return {
    ready,
    request(setup, r) {
      const port = ready.ports[setup]
      if (port === undefined) throw new Error(`${runtime} serves no app for setup ${setup}`)
      return send(port, r)
    },
    close: () => stop(child),
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.stdin!.end()
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}
