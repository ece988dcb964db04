// The pipeline of authenticate.ts with JWS signatures checked by node:crypto (token/jws.node.ts).
import type { JWTPayload } from 'jose'
import { createAuthenticatorWith } from './authenticate.js'
import type { Authenticator, AuthenticatorOptions } from './types.js'
import { nodeSignatureCheck } from './token/jws.node.js'

export * from './authenticate.js'

/**
 * {@link createAuthenticator} of authenticate.ts, identical in every rule, with the signature itself
 * checked synchronously by node:crypto on KeyObjects: on Node, Web Crypto costs several times more
 * per token (bench/README.md has the numbers).
 *
 * @example
 * const authenticator = createAuthenticator({ algorithms: ['ES256'], key: { jwksUri }, issuer, audience })
 */
export function createAuthenticator<Claims = JWTPayload>(
  options: AuthenticatorOptions<Claims>,
): Authenticator<Claims> {
  return createAuthenticatorWith(options, nodeSignatureCheck)
}
