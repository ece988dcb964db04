// The core's own test suite executed by Bun or Deno (scripts/runtimes.mjs runs vitest itself under
// the runtime: `bun --bun vitest`, `deno run vitest`), so tokengate's code runs on that runtime's
// crypto, fetch and timers. Resolution: both Bun and Deno honour the `node` export condition (their
// own resolvers pick `signature-check.node` from the published package, test/runtimes/serve.ts
// reports it), so this run resolves `#signature-check` the same way: the node:crypto path, on the
// runtime's node:crypto. signature-check.node.test.ts compares it with the portable jose path for
// every algorithm in the same run. test/runtime.test.ts fails when the run is not in the runtime
// TOKENGATE_RUNTIME names (a silent fall-back to Node).
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = dirname(fileURLToPath(import.meta.url))
const runtime = process.env.TOKENGATE_RUNTIME ?? 'node'

export default defineConfig({
  root,
  ssr: {
    resolve: {
      // The runtime's own condition first, as its resolver has it: `#jwe-decrypt` is jose there.
      conditions: [runtime, '@tokengate/source', 'module', 'node', 'development|production'],
    },
  },
  test: {
    name: `core on ${process.env.TOKENGATE_RUNTIME ?? 'node'}`,
    include: ['src/**/*.test.ts', 'test/runtime.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    // Bun only: zod loaded natively through Vite's module runner comes back without its `z`
    // export (its namespace interop); transformed by vitest like the sources, it is whole.
    server: { deps: { inline: ['zod'] } },
    env: { TOKENGATE_JWE_PATH: runtime === 'node' ? 'node:crypto' : 'jose' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
