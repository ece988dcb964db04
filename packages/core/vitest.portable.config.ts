// The core's own test suite run a second time on the portable signature path (jose on Web Crypto),
// as Workers and browsers load it (Bun and Deno honour `node`: vitest.runtime.config.ts): the
// `#signature-check` import (package.json `imports`) is resolved without the `node` condition,
// which Vite adds on the server by default, so signature-check.ts is chosen instead of
// signature-check.node.ts. The default run covers the node:crypto path;
// signature-check.path.test.ts fails when either run is on the other path.
import { dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = dirname(fileURLToPath(import.meta.url))
// Vite's default conditions without 'node', with the in-repo source condition (package.json).
const portableConditions = ['@tokengate/source', 'module', 'browser', 'development|production']

export default defineConfig({
  root,
  plugins: [
    {
      name: 'tokengate-portable-conditions',
      // Vitest puts ['node', ...] in every environment's resolve.conditions, and config merging
      // concatenates arrays, so `resolve.conditions` here could only add to it: replace it instead.
      configEnvironment(_name, options) {
        options.resolve = { ...options.resolve, conditions: portableConditions }
      },
    },
  ],
  test: {
    name: 'core (portable signature path)',
    include: ['src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    env: { TOKENGATE_SIGNATURE_PATH: 'jose' },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
