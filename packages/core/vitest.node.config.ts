// The core's own test suite run a second time against the Node entry: in a test file, a relative
// import of './x.js' (or '../dir/x.js') resolves to its '.node.ts' twin where one exists (what the `node` export condition
// selects), so every core test also exercises the node:crypto signature path. *.node.test.ts files
// import both paths on purpose and are left alone.
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const root = dirname(fileURLToPath(import.meta.url))
const src = join(root, 'src')

export default defineConfig({
  root,
  plugins: [
    {
      name: 'tokengate-node-entry',
      enforce: 'pre',
      resolveId(source, importer) {
        const file = importer?.split('?')[0]
        if (!file || !file.startsWith(src) || !/\.test(-d)?\.ts$/.test(file)) return null
        if (file.endsWith('.node.test.ts')) return null
        const match = /^(\.{1,2}\/(?:[\w-]+\/)*[\w-]+)\.js$/.exec(source)
        if (!match) return null
        const node = join(dirname(file), `${match[1]}.node.ts`)
        return existsSync(node) ? node : null
      },
    },
  ],
  test: {
    name: 'core (node entry)',
    include: ['src/**/*.test.ts'],
    exclude: ['**/node_modules/**', '**/dist/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
