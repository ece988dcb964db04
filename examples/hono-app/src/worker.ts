// Cloudflare Workers entry of the Hono example: the same app as on Node, built once per isolate.
import { isLoopbackHttp, parsePrivateJwk, type ExampleConfig } from '@tokengate/example-shared'
import { createApp, type App } from './app.js'

/** Bindings: optional secrets (`wrangler secret put TOKENGATE_SIGNING_JWK`) holding private JWKs. */
export interface Env {
  TOKENGATE_SIGNING_JWK?: string
  TOKENGATE_ENCRYPTION_JWK?: string
}

// Without the secrets, each isolate generates its own keys on its first request. Fine for a demo
// on one isolate (wrangler dev); in production Cloudflare runs many isolates, and a token issued by
// one could not be decrypted by another, so set both secrets there. Revocation is per isolate too
// (in memory): a deployment needs a shared store, e.g. Durable Objects or Workers KV.
let app: Promise<App> | undefined

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    app ??= createApp(configFrom(request, env)).catch((err: unknown) => {
      app = undefined // a bad secret: report it on every request until fixed, do not cache the failure
      throw err
    })
    return (await app).fetch(request, env)
  },
}

function configFrom(request: Request, env: Env): ExampleConfig {
  return {
    // Only `wrangler dev` on http://localhost gets cookies without Secure.
    insecureDevCookies: isLoopbackHttp(new URL(request.url).origin),
    ...(env.TOKENGATE_SIGNING_JWK && {
      signingJwk: parsePrivateJwk(env.TOKENGATE_SIGNING_JWK, 'TOKENGATE_SIGNING_JWK'),
    }),
    ...(env.TOKENGATE_ENCRYPTION_JWK && {
      encryptionJwk: parsePrivateJwk(env.TOKENGATE_ENCRYPTION_JWK, 'TOKENGATE_ENCRYPTION_JWK'),
    }),
  }
}
