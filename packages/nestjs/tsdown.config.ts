// Build of @tokengate/express (ESM and CommonJS, see tsdown.base.ts).
import { defineConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.base.ts'

export default defineConfig(packageBuild(['src/index.ts']))
