// `pnpm bench:hooks`: what events, telemetry and introspection cost when they are not configured
// (issue 17 goal 6). A CPU-time difference of nothing is below any timer's noise on a shared
// machine, so this counts instead: V8's precise coverage (call counts, the inspector's
// Profiler.takePreciseCoverage) over N authenticate() calls, summed over the functions of the
// hooks' modules (core/src/observe/, core/src/introspection/, packages/otel/). Not configured, the
// count must be 0 per request; with a listener (what @tokengate/otel installs) it is not.
import { Session } from 'node:inspector/promises'
import { pathToFileURL } from 'node:url'
import type { Alg } from './config.js'
import { generateMaterial, makeTokens } from './material.js'
import { tokengateOptions } from './servers/common.js'

/** Calls into the hooks' modules per authenticate(), by configuration and path. */
export interface HooksRow {
  setting: 'none' | 'onDecision'
  path: 'fresh' | 'cached'
  requests: number
  /** Calls into observe/, introspection/ and @tokengate/otel functions, per request. */
  callsPerRequest: number
  /** The functions called, with their counts (empty when none). */
  functions: Record<string, number>
}

const HOOK_MODULES = /\/packages\/(core\/src\/(observe|introspection)\/|otel\/src\/)/

interface Coverage {
  result: Array<{
    url: string
    functions: Array<{ functionName: string; ranges: Array<{ count: number }> }>
  }>
}

export async function runHooks(alg: Alg = 'HS256', requests = 20_000): Promise<HooksRow[]> {
  const { createAuthenticator } = await import('@tokengate/core')
  const material = generateMaterial()
  const tokens = await makeTokens(material, alg, 2_000)
  const session = new Session()
  session.connect()
  await session.post('Profiler.enable')
  await session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false })
  const rows: HooksRow[] = []
  const listener = { last: undefined as unknown }
  for (const setting of ['none', 'onDecision'] as const) {
    for (const path of ['fresh', 'cached'] as const) {
      const base = tokengateOptions(material, alg, path === 'cached') as Record<string, unknown>
      const options =
        setting === 'none'
          ? base
          : { ...base, onDecision: (event: unknown) => (listener.last = event) }
      const authenticator = createAuthenticator(options as never)
      const send = (i: number) =>
        authenticator.authenticate({
          method: 'GET',
          url: '/',
          headers: {
            authorization: `Bearer ${tokens[path === 'cached' ? 0 : i % tokens.length]}`,
          },
        })
      for (let i = 0; i < 200; i++) await send(i) // warm-up (and, cached, the admission)
      await session.post('Profiler.takePreciseCoverage') // resets the counters
      for (let i = 0; i < requests; i++) await send(i)
      const { result } = (await session.post('Profiler.takePreciseCoverage')) as Coverage
      const functions: Record<string, number> = {}
      let calls = 0
      for (const script of result) {
        if (!HOOK_MODULES.test(script.url)) continue
        for (const fn of script.functions) {
          const count = fn.ranges[0]?.count ?? 0
          if (count === 0 || fn.functionName === '') continue
          const name = `${fn.functionName} ${script.url.replace(/^.*\/packages\//, '')}`
          functions[name] = (functions[name] ?? 0) + count
          calls += count
        }
      }
      rows.push({ setting, path, requests, callsPerRequest: calls / requests, functions })
      process.stderr.write(
        `  hooks ${setting} ${path}: ${(calls / requests).toFixed(2)} calls/request\n`,
      )
    }
  }
  await session.post('Profiler.stopPreciseCoverage')
  session.disconnect()
  return rows
}

// Standalone (`pnpm bench:hooks`) or as the child of run.ts (result on stdout).
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const rows = await runHooks()
  process.stdout.write(`RESULT ${JSON.stringify(rows)}\n`)
}
