// A CommonJS Fastify app and a CommonJS Passport (Express) app, require() only, on the oldest Node
// that `engines` allows. Prints one JSON line for test/packed/packed.test.ts to judge.
'use strict'
const core = require('@tokengate/core')
const Fastify = require('fastify')
const express = require('express')
const passport = require('passport')
const { tokengate } = require('@tokengate/fastify')
const { TokengateStrategy, authenticate } = require('@tokengate/passport')

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
  const options = {
    algorithms: ['ES256'],
    key: { jwks: core.publicJwks([keys]) },
    issuer: ISSUER,
    audience: AUDIENCE,
  }

  const call = async (url, authorization) => {
    const res = await fetch(url, authorization ? { headers: { authorization } } : {})
    const text = await res.text()
    let body = text
    try {
      body = JSON.parse(text)
    } catch {
      // Passport's own failure answer is text, not JSON: keep it as it is.
    }
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body }
  }

  const fastify = Fastify()
  await fastify.register(tokengate, { authenticator: options })
  fastify.get('/me', async (request) => ({ sub: request.auth.payload.sub }))
  const fastifyUrl = (await fastify.listen({ port: 0, host: '127.0.0.1' })) + '/me'

  passport.use(new TokengateStrategy(options))
  const app = express()
  app.use(passport.initialize())
  app.get('/me', passport.authenticate('tokengate', { session: false }), (req, res) =>
    res.json({ sub: req.user.sub }),
  )
  app.get('/exact', authenticate(), (req, res) => res.json({ sub: req.auth.payload.sub }))
  const server = app.listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  const base = `http://127.0.0.1:${server.address().port}`

  const result = {
    node: process.version,
    fastifyEntry: require.resolve('@tokengate/fastify'),
    passportEntry: require.resolve('@tokengate/passport'),
    fastify: { valid: await call(fastifyUrl, `Bearer ${token}`), missing: await call(fastifyUrl) },
    passport: {
      valid: await call(`${base}/me`, `Bearer ${token}`),
      passportMissing: await call(`${base}/me`),
      missing: await call(`${base}/exact`),
    },
  }
  await fastify.close()
  server.close()
  console.log(JSON.stringify(result))
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
