// @tokengate/testing: a loopback issuer, token factories for every algorithm and shape, hostile
// token builders, and the hostile-request corpus to run against your own app.
export * from './base64url.js'
export * from './keys.js'
export * from './tokens.js'
export * from './hostile.js'
export * from './issuer.js'
export * from './corpus.js'
