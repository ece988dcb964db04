// Workers entry for the conformance app: the same Hono app as on Node, its spec read from a binding.
import { buildHonoApp } from './apps/hono.js'
import type { AppSpec } from './drivers.js'

interface Env {
  /** JSON of an AppSpec whose options are plain data (keys as JWK). */
  SPEC: string
}

let app: ReturnType<typeof buildHonoApp> | undefined

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    // Proof of where this runs: workerd answers 'Cloudflare-Workers'.
    if (new URL(request.url).pathname === '/__runtime') {
      return new Response(
        String((globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent),
      )
    }
    app ??= buildHonoApp(JSON.parse(env.SPEC) as AppSpec)
    return app.fetch(request, env)
  },
}
