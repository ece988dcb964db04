// One vitest run covers every workspace: unit tests beside the code, the cross-framework suite, examples.
import { defineConfig } from 'vitest/config'

// The workspace packages resolve to their TypeScript sources through the `@tokengate/source`
// export condition (their `import`/`require` conditions name the built dist/). Setting conditions
// replaces Vite's defaults, so these are Vite's defaultClientConditions / defaultServerConditions
// with ours first; packages/core/vitest.portable.config.ts and test/packed reuse them.
export const sourceConditions = {
  resolve: { conditions: ['@tokengate/source', 'module', 'browser', 'development|production'] },
  ssr: {
    resolve: { conditions: ['@tokengate/source', 'module', 'node', 'development|production'] },
  },
}

export default defineConfig({
  ...sourceConditions,
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
      'examples/migrate/*/test/**/*.test.ts',
    ],
    // test/packed runs the built tarballs: `pnpm test:packed`, after `pnpm pack:check`.
    // test/runtimes drives Bun and Deno child processes: `pnpm test:runtimes` (scripts/runtimes.mjs).
    exclude: ['**/node_modules/**', '**/dist/**', 'test/packed/**', 'test/runtimes/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    typecheck: {
      enabled: true,
      include: [
        'packages/*/src/**/*.test-d.ts',
        'packages/*/test/**/*.test-d.ts',
        'test/**/*.test-d.ts',
      ],
      tsconfig: './tsconfig.typetests.json',
    },
  },
})
