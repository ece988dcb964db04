// `pnpm test:packed`: the scratch-app checks of the packed tarballs (run `pnpm pack:check` first).
// No `@tokengate/source` condition here: the scratch apps resolve what npm installed.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    name: 'packed',
    root: new URL('.', import.meta.url).pathname,
    include: ['*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 600_000,
  },
})
