// The conformance table against apps served by Bun and Deno child processes (conformance.test.ts),
// run by Node: `pnpm test:runtimes` (scripts/runtimes.mjs), after the core suite under each runtime.
import { defineConfig } from 'vitest/config'
import { sourceConditions } from '../../vitest.config.js'

export default defineConfig({
  ...sourceConditions,
  test: {
    name: 'conformance on bun and deno',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/runtimes/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
