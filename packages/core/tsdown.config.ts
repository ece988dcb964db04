// Build of @tokengate/core: the portable entry and the Node entry (`node` export condition), which
// share one chunk so each format holds one AuthError. Types come from index.ts alone, in a second
// pass: declaration chunks split between two entries export their names mangled (`AuthError as
// D`), which TypeScript refuses in consumers (TS2460); both entries have the same public surface.
// The bundled index.d.ts has no relative imports, so it serves CommonJS as index.d.cts unchanged.
import { copyFileSync } from 'node:fs'
import { defineConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.base.ts'

export default defineConfig([
  { ...packageBuild(['src/index.ts', 'src/index.node.ts']), dts: false },
  {
    ...packageBuild(['src/index.ts']),
    format: ['esm'],
    dts: { emitDtsOnly: true },
    hooks: {
      'build:done': () => copyFileSync('dist/index.d.ts', 'dist/index.d.cts'),
    },
  },
])
