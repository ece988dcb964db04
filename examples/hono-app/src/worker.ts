// Cloudflare Workers entry of the Hono example: the same app as on Node, built once per isolate and cookie mode.
import {
  createRevocationStore,
  isLoopbackHttp,
  loadKeys,
  parsePrivateJwk,
  type ExampleConfig,
} from '@tokengate/example-shared'
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
let shared: Promise<Pick<ExampleConfig, 'keys' | 'revocation'>> | undefined
// Secure cookies are decided per request, from that request's own URL: plain http on localhost
// (wrangler dev) gets cookies without Secure, anything else Secure and `__Host-`. One app per mode,
// both on the same keys and revocation store, so the first request an isolate sees decides nothing
// for the ones after it.
const apps = new Map<boolean, Promise<App>>()

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const insecureDevCookies = isLoopbackHttp(new URL(request.url).origin)
    let app = apps.get(insecureDevCookies)
    if (!app) {
      app = appFor(insecureDevCookies, env)
      apps.set(insecureDevCookies, app)
      app.catch(() => {
        // A bad secret: report it on every request until fixed, do not cache the failure.
        apps.delete(insecureDevCookies)
        shared = undefined
      })
    }
    return (await app).fetch(request, env)
  },
}

async function appFor(insecureDevCookies: boolean, env: Env): Promise<App> {
  shared ??= loadKeys(keysFrom(env)).then((keys) => ({
    keys,
    revocation: createRevocationStore(),
  }))
  return createApp({ ...(await shared), insecureDevCookies })
}

function keysFrom(env: Env): Pick<ExampleConfig, 'signingJwk' | 'encryptionJwk'> {
  return {
    ...(env.TOKENGATE_SIGNING_JWK && {
      signingJwk: parsePrivateJwk(env.TOKENGATE_SIGNING_JWK, 'TOKENGATE_SIGNING_JWK'),
    }),
    ...(env.TOKENGATE_ENCRYPTION_JWK && {
      encryptionJwk: parsePrivateJwk(env.TOKENGATE_ENCRYPTION_JWK, 'TOKENGATE_ENCRYPTION_JWK'),
    }),
  }
}
