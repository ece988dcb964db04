// Node entry of @tokengate/core (the `node` export condition): the public API of index.ts, with the
// node:crypto signature path. Same exports, same rules, same tests; other runtimes get index.ts.
import { setupAdapterWith, type AdapterErrorMode, type AdapterSetup } from './adapter/index.js'
import { createAuthenticator } from './authenticate.node.js'
import type { Authenticator, AuthenticatorOptions } from './types.js'

export * from './index.js'
export { createAuthenticator }

/** As in index.ts, with the node:crypto authenticator. */
export function setupAdapter<Claims>(
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions?: { onError?: AdapterErrorMode },
): AdapterSetup<Claims> {
  return setupAdapterWith(createAuthenticator, optionsOrAuthenticator, adapterOptions)
}
