// What every framework adapter resolves once at start-up, so the three adapters share one rule.
import type { Authenticator, AuthenticatorOptions } from './types.js'

/** How an adapter renders an AuthError: its own response, or the framework's error handling. */
export type AdapterErrorMode = 'respond' | 'delegate'

/** What an adapter's `tokengate()` works with, resolved once. */
export interface AdapterSetup<Claims> {
  authenticator: Authenticator<Claims>
  onError: AdapterErrorMode
  realm: string | undefined
}

/**
 * Resolves an adapter's arguments: an existing authenticator is used as it is, options build one
 * (so a bad option throws at start-up), and `onError` is checked.
 * `create` is the entry's own `createAuthenticator`, so the Node entry keeps its fast path.
 */
export function setupAdapterWith<Claims>(
  create: (options: AuthenticatorOptions<Claims>) => Authenticator<Claims>,
  optionsOrAuthenticator: AuthenticatorOptions<Claims> | Authenticator<Claims>,
  adapterOptions: { onError?: AdapterErrorMode } = {},
): AdapterSetup<Claims> {
  const authenticator = isAuthenticator(optionsOrAuthenticator)
    ? optionsOrAuthenticator
    : create(optionsOrAuthenticator)
  const onError = adapterOptions.onError ?? 'respond'
  if (onError !== 'respond' && onError !== 'delegate') {
    throw new TypeError(
      `tokengate: adapterOptions.onError must be 'respond' or 'delegate', got ${JSON.stringify(onError)}.`,
    )
  }
  return { authenticator, onError, realm: authenticator.realm }
}

function isAuthenticator<Claims>(
  value: AuthenticatorOptions<Claims> | Authenticator<Claims>,
): value is Authenticator<Claims> {
  return typeof (value as Authenticator<Claims>).authenticate === 'function'
}

/** `'admin'` or `['admin', 'editor']`: guard arguments as a list. */
export function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value]
}
