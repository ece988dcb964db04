// The Hono conformance app inside workerd (miniflare): bundled with esbuild, called through dispatchFetch.
//
// Only JSON-serialisable specs run here (options with functions, zod schemas or an Authenticator
// instance cannot cross into the worker); start() refuses the others. Repeated header lines are
// sent with Headers.append, which, as in every Fetch runtime, joins them into one `a, b` value.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { drivers } from './drivers.js'
import type { AppSpec, Driver, DriverResponse } from './drivers.js'
import { DEFAULT_HOST, lowercase, toDriverResponse } from './http.js'

let bundled: Promise<string> | undefined

/** The worker script: test/support/worker-entry.ts and everything it imports, as one ES module. */
export function workerScript(): Promise<string> {
  bundled ??= build({
    entryPoints: [fileURLToPath(new URL('./worker-entry.ts', import.meta.url))],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    // Workers resolve packages the way a browser-like runtime does (jose's web build, not its node one);
    // `@tokengate/source` bundles the workspace packages from their sources, not their dist/.
    conditions: ['@tokengate/source', 'workerd', 'worker', 'browser', 'import', 'default'],
    mainFields: ['browser', 'module', 'main'],
    write: false,
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]!.text)
  return bundled
}

function serialise(spec: AppSpec): string {
  const text = JSON.stringify(spec, (_key, value: unknown) => {
    if (typeof value === 'function' || value instanceof Uint8Array) {
      throw new TypeError(
        'workers driver: options must be plain JSON data (keys as JWK, no functions)',
      )
    }
    return value
  })
  return text
}

export const workersDriver: Driver = {
  name: 'hono-workers',
  async start(spec) {
    if (typeof (spec.options as { authenticate?: unknown }).authenticate === 'function') {
      throw new TypeError('workers driver: pass options, not an Authenticator instance')
    }
    const mf = new Miniflare({
      modules: true,
      script: await workerScript(),
      compatibilityDate: '2025-01-01',
      bindings: { SPEC: serialise(spec) },
    })
    await mf.ready
    return {
      async request(r): Promise<DriverResponse> {
        const headers = new Headers()
        for (const [name, value] of Object.entries(lowercase(r.headers))) {
          for (const v of [value].flat()) headers.append(name, v)
        }
        if (r.body !== undefined && !headers.has('content-type'))
          headers.set('content-type', 'text/plain')
        const host = headers.get('host') ?? DEFAULT_HOST
        const res = await mf.dispatchFetch(`http://${host}${r.path}`, {
          method: r.method ?? 'GET',
          headers,
          ...(r.body !== undefined && { body: r.body }),
          redirect: 'manual',
        })
        const flat: Record<string, string> = {}
        res.headers.forEach((value, name) => {
          if (name !== 'set-cookie') flat[name] = value
        })
        return toDriverResponse(res.status, flat, res.headers.getSetCookie(), await res.text())
      },
      close: () => mf.dispose(),
    }
  },
}

/**
 * Every driver: the Node drivers (the core's node:crypto fast path) and workerd (its portable Web
 * Crypto path). For suites whose options are plain JSON; options with functions or zod schemas
 * run on `drivers` (drivers.ts) only.
 */
export const allDrivers: readonly Driver[] = [...drivers, workersDriver]
