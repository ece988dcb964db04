// Build of @tokengate/core: the entry and both signature checks behind the private
// `#signature-check` import (package.json `imports`: node:crypto under the `node` condition, jose
// elsewhere). The import stays external so that the runtime, not the build, picks the file; the
// three entries share chunks, so each format holds one AuthError. Types come from index.ts alone,
// in a second pass: declaration chunks split between entries export their names mangled
// (`AuthError as D`), which TypeScript refuses in consumers (TS2460). The bundled index.d.ts has no
// relative imports, so it serves CommonJS as index.d.cts unchanged.
import { copyFileSync } from 'node:fs'
import { defineConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.base.ts'

const entries = {
  index: 'src/index.ts',
  'signature-check': 'src/token/signature-check.ts',
  'signature-check.node': 'src/token/signature-check.node.ts',
}

export default defineConfig([
  { ...packageBuild(entries), dts: false, external: ['#signature-check'] },
  {
    ...packageBuild(['src/index.ts']),
    format: ['esm'],
    dts: { emitDtsOnly: true },
    external: ['#signature-check'],
    hooks: {
      'build:done': () => copyFileSync('dist/index.d.ts', 'dist/index.d.cts'),
    },
  },
])
