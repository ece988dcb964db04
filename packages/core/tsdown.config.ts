// Build of @tokengate/core: the app-facing entry, the adapters' subpath (`@tokengate/core/adapter`)
// and both signature checks and JWE decryption steps behind the private `#signature-check` and
// `#jwe-decrypt` imports (package.json `imports`: node:crypto under the `node` condition, jose
// elsewhere). Those imports stay external so that the
// runtime, not the build, picks the file; all entries share chunks, so each format holds one
// AuthError. Types come from one entry per pass: declaration chunks split between entries export
// their names mangled (`AuthError as D`), which TypeScript refuses in consumers (TS2460). Each
// bundled .d.ts has no relative imports, so it serves CommonJS as .d.cts unchanged. The code passes
// are one per format, as only CommonJS inlines jose (below).
import { copyFileSync } from 'node:fs'
import { defineConfig, type UserConfig } from 'tsdown'
import { packageBuild } from '../../tsdown.base.ts'

const entries = {
  index: 'src/index.ts',
  adapter: 'src/adapter/index.ts',
  'signature-check': 'src/token/signature-check.ts',
  'signature-check.node': 'src/token/signature-check.node.ts',
  'jwe-decrypt': 'src/token/jwe-decrypt.ts',
  'jwe-decrypt.node': 'src/token/jwe-decrypt.node.ts',
}
// The runtime-picked private imports (package.json `imports`): never bundled.
const seams = ['#signature-check', '#jwe-decrypt']

/** A types-only pass for one entry, written as dist/<name>.d.ts and .d.cts. */
const types = (name: string, entry: string): UserConfig => ({
  ...packageBuild({ [name]: entry }),
  format: ['esm'],
  clean: false,
  dts: { emitDtsOnly: true },
  external: seams,
  hooks: {
    'build:done': () => copyFileSync(`dist/${name}.d.ts`, `dist/${name}.d.cts`),
  },
})

const code: UserConfig = { ...packageBuild(entries), dts: false, external: seams }

export default defineConfig([
  { ...code, format: ['esm'] },
  // CommonJS inlines jose (only the parts the core uses), as it is ESM only: require() of its 46
  // modules through Node's require(esm) was most of `require('@tokengate/express')`'s cold start
  // (`pnpm size`). The ESM build imports the installed jose, which stays a dependency: the app's
  // copy, updated by semver and seen by `npm audit`; a jose fix reaches CommonJS apps with the
  // next tokengate release.
  { ...code, format: ['cjs'], clean: false, noExternal: ['jose'] },
  types('index', 'src/index.ts'),
  types('adapter', 'src/adapter/index.ts'),
])
