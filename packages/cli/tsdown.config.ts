// Build of @tokengate/cli: the programmatic entry (ESM and CommonJS, like every package) and the
// `tokengate` executable (ESM, Node only, its shebang kept).
import { defineConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.base.ts'

export default defineConfig([
  { ...packageBuild(['src/index.ts']), platform: 'node' },
  {
    ...packageBuild({ bin: 'src/bin.ts' }),
    platform: 'node',
    format: ['esm'],
    dts: false,
    clean: false,
  },
])
