// @tokengate/testkit: shared test fixtures (keys for every algorithm, token builders, hostile shapes).
// Other suites add modules here (e.g. hostile.ts); re-export them from this file.
export * from './base64url.js'
export * from './keys.js'
export * from './tokens.js'
export * from './foreign.js'
export * from './hostile.js'
export * from './dpop.js'
export * from './certs.js'
