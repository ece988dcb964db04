// @tokengate/testing as a user runs it from their own project: require() on the oldest Node that
// `engines` allows, a loopback issuer, an Express app on @tokengate/express trusting its JWKS, the
// hostile corpus against it, then the same corpus against an app that never verifies (which must
// fail, naming what it accepted). Prints one JSON line for test/packed/packed.test.ts to judge.
'use strict'
const { once } = require('node:events')
const { createServer } = require('node:http')
const express = require('express')
const { tokengate } = require('@tokengate/express')
const { expectRejectsHostileTokens, startIssuer } = require('@tokengate/testing')

async function listen(server) {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${server.address().port}`
}

async function main() {
  const issuer = await startIssuer({ algorithms: ['ES256'] })
  const app = express()
  app.use(
    tokengate({
      algorithms: ['ES256'],
      key: { jwksUri: issuer.jwksUri },
      issuer: issuer.url,
      audience: issuer.audience,
      from: { header: true, cookie: 'session' },
    }),
  )
  app.all('/api/me', (req, res) => res.json({ sub: req.auth.payload.sub }))
  const server = createServer(app)
  const report = await expectRejectsHostileTokens(await listen(server), {
    issuer,
    path: '/api/me',
    cookie: 'session',
  })

  // An app that decodes the payload without verifying it.
  const naive = createServer((req, res) => {
    const token = /^Bearer (\S+)/.exec(req.headers.authorization || '')
    if (!token) return res.writeHead(401).end()
    try {
      JSON.parse(Buffer.from(token[1].split('.')[1], 'base64url').toString())
      res.writeHead(200).end('{}')
    } catch {
      res.writeHead(400).end()
    }
  })
  const failure = await expectRejectsHostileTokens(await listen(naive), { issuer }).then(
    () => 'passed',
    (err) => err.message,
  )
  server.close()
  naive.close()
  await issuer.close()
  console.log(
    JSON.stringify({
      node: process.version,
      testingEntry: require.resolve('@tokengate/testing'),
      control: report.control,
      sent: report.sent,
      accepted: report.accepted.length,
      crashed: report.crashed.length,
      naive: failure,
    }),
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
