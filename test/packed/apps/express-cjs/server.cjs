// A CommonJS Express app as most express-jwt users write one: require() only, on the oldest Node
// that `engines` allows. Prints one JSON line for test/packed/packed.test.ts to judge.
'use strict'
const { once } = require('node:events')
const express = require('express')
const core = require('@tokengate/core')
const { tokengate, isAuthError } = require('@tokengate/express')

const ISSUER = 'https://issuer.test'
const AUDIENCE = 'https://api.test'

async function main() {
  const keys = await core.generateKeys('ES256')
  const issuer = core.createTokenIssuer({
    signingKey: keys.privateKey,
    alg: 'ES256',
    kid: keys.kid,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: '5m',
  })
  const token = await issuer.issue({ sub: 'alice' })

  const app = express()
  app.use(
    tokengate({
      algorithms: ['ES256'],
      key: { jwks: core.publicJwks([keys]) },
      issuer: ISSUER,
      audience: AUDIENCE,
    }),
  )
  app.get('/me', (req, res) => res.json({ sub: req.auth.payload.sub }))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${server.address().port}/me`

  const call = async (authorization) => {
    const res = await fetch(url, authorization ? { headers: { authorization } } : {})
    return {
      status: res.status,
      challenge: res.headers.get('www-authenticate'),
      body: await res.json(),
    }
  }
  const result = {
    node: process.version,
    coreEntry: require.resolve('@tokengate/core'),
    // The private #signature-check import, resolved from inside the core's package scope.
    signatureCheck: require('node:module')
      .createRequire(require.resolve('@tokengate/core'))
      .resolve('#signature-check'),
    expressEntry: require.resolve('@tokengate/express'),
    valid: await call(`Bearer ${token}`),
    missing: await call(undefined),
    forged: await call(`Bearer ${token.slice(0, -4)}AAAA`),
  }
  server.close()

  // The dual-package hazard: the CommonJS and the ESM build are two copies of the core, so their
  // AuthError classes differ; isAuthError recognises an error from either.
  const esm = await import('@tokengate/core')
  const fromCjs = new core.AuthError('token_missing', 'no token')
  result.dual = {
    sameClass: esm.AuthError === core.AuthError,
    instanceofAcross: fromCjs instanceof esm.AuthError,
    isAuthErrorAcross:
      esm.isAuthError(fromCjs) && isAuthError(new esm.AuthError('token_missing', 'x')),
  }
  console.log(JSON.stringify(result))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
