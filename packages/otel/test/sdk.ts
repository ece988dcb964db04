// The real OpenTelemetry SDK for the tests, bundled by esbuild as an app's bundler would. Its
// packages ship bundler-only ESM (imports without file extensions) under the `module` condition,
// which vitest hands to Node (--conditions module) and which Node cannot load; a bundle can.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'

type Sdk = typeof import('@opentelemetry/sdk-metrics') &
  typeof import('@opentelemetry/sdk-trace-base')

/** Bundles and imports `@opentelemetry/sdk-metrics` and `@opentelemetry/sdk-trace-base`. */
export async function loadSdk(): Promise<Sdk> {
  const result = await build({
    stdin: {
      contents:
        "export * from '@opentelemetry/sdk-metrics'\nexport * from '@opentelemetry/sdk-trace-base'\n",
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'node',
    // Their ESM builds (a CommonJS main would reach `export *` only as a default export).
    mainFields: ['module', 'main'],
    conditions: ['module'],
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  })
  const file = join(mkdtempSync(join(tmpdir(), 'tokengate-otel-')), 'sdk.mjs')
  writeFileSync(file, result.outputFiles[0]!.text)
  return (await import(pathToFileURL(file).href)) as Sdk
}
