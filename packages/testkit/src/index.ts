// @tokengate/testkit: the repository's private test fixtures. Keys, token builders, hostile shapes,
// the loopback issuer and the hostile-request corpus are the public @tokengate/testing, re-exported
// here; what only this repository's suites use (node-jose interop, DPoP proofs) stays private.
export * from '@tokengate/testing'
export * from './foreign.js'
export * from './dpop.js'
// A loopback issuer (discovery, RFC 8414 metadata, JWKS) for the CLI's doctor and explain tests.
export * from './issuer.js'
export * from './certs.js'
