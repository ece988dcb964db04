// One vitest run covers every workspace: unit tests beside the code, the cross-framework suite, examples.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/*/test/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/dist/**'],
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
