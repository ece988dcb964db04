// Build of @tokengate/core: the portable entry and the Node entry (`node` export condition).
import { defineConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.base.ts'

export default defineConfig(packageBuild(['src/index.ts', 'src/index.node.ts']))
