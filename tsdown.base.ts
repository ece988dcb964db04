// The one build every publishable package shares: ESM (.js + .d.ts) and CommonJS (.cjs + .d.cts)
// from the same sources, dependencies left external, no source maps (the sources ship in src/).
import type { UserConfig } from 'tsdown'

export function packageBuild(entry: string[] | Record<string, string>): UserConfig {
  return {
    entry,
    format: ['esm', 'cjs'],
    // `neutral` keeps the output free of Node shims: the core and the Hono adapter run on workerd.
    platform: 'neutral',
    target: 'es2022',
    // .js/.d.ts for ESM and .cjs/.d.cts for CommonJS (the packages are "type": "module").
    fixedExtension: false,
    // The build must see the packages as a user does: dependencies through their dist, not the
    // `@tokengate/source` condition (tsconfig.build.json clears customConditions).
    tsconfig: 'tsconfig.build.json',
    dts: true,
    sourcemap: false,
    checks: { pluginTimings: false },
    hash: false,
    clean: true,
    // package.json `exports` are written by hand (with the `@tokengate/source` condition first).
    exports: false,
    publint: false,
    attw: false,
  }
}
