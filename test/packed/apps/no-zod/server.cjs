// An Express app that passes no `claims` schema, installed without zod (an optional peer of
// @tokengate/core): require() and import() both load, and a real ES256 token is verified over
// HTTP. Prints one JSON line for test/packed/packed.test.ts to judge.
'use strict'
const { once } = require('node:events')
const express = require('express')
const core = require('@tokengate/core')
const { tokengate } = require('@tokengate/express')

async function main() {
  const keys = await core.generateKeys('ES256')
  const issuer = core.createTokenIssuer({
    signingKey: keys.privateKey,
    alg: 'ES256',
    kid: keys.kid,
    expiresIn: '5m',
  })
  const app = express()
  app.use(tokengate({ algorithms: ['ES256'], key: { jwks: core.publicJwks([keys]) } }))
  app.get('/me', (req, res) => res.json({ sub: req.auth.payload.sub }))
  const server = app.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${server.address().port}/me`
  const call = async (authorization) => {
    const res = await fetch(url, authorization ? { headers: { authorization } } : {})
    return { status: res.status, body: await res.json() }
  }
  let zod = 'not installed'
  try {
    zod = require.resolve('zod')
  } catch {
    // The point: zod is an optional peer, and npm installs no optional peer by itself.
  }
  const esm = await import('@tokengate/express')
  const result = {
    zod,
    valid: await call(`Bearer ${await issuer.issue({ sub: 'alice' })}`),
    missing: await call(undefined),
    esmExports: Object.keys(esm).sort(),
    // A claims option that is not a zod schema is refused at start-up, zod or not.
    notASchema: (() => {
      try {
        core.createAuthenticator({ algorithms: ['ES256'], key: keys.publicKey, claims: {} })
        return 'accepted'
      } catch (err) {
        return err.message
      }
    })(),
  }
  server.close()
  console.log(JSON.stringify(result))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
