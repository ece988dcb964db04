// Express 5 bench server: one variant (bare, tokengate, a peer, thin jose) for one algorithm.
import { createSecretKey } from 'node:crypto'
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express'
import { AUDIENCE, ISSUER } from '../config.js'
import { publicKeyObject, sigAlgOf } from '../material.js'
import {
  fastJwtVerifier,
  joseVerifier,
  reportListening,
  serverConfig,
  tokengateOptions,
} from './common.js'

const { variant, alg, material } = serverConfig()
const sigAlg = sigAlgOf(alg)
const app = express()
app.disable('x-powered-by')
app.disable('etag')

type Sub = (req: Request) => unknown
let sub: Sub = () => 'anonymous'

if (variant === 'tokengate' || variant === 'tokengate-nocache') {
  const { tokengate } = await import('@tokengate/express')
  app.use(tokengate(tokengateOptions(material, alg, variant === 'tokengate')) as RequestHandler)
  sub = (req) => (req as unknown as { auth: { payload: { sub?: string } } }).auth.payload.sub
} else if (variant === 'jose') {
  const verify = await joseVerifier(material, alg)
  app.use((req, res, next) => {
    verify(req.headers.authorization).then(
      (payload) => {
        ;(req as unknown as { jwt: unknown }).jwt = payload
        next()
      },
      () => res.status(401).json({ error: 'invalid_token' }),
    )
  })
  sub = (req) => (req as unknown as { jwt: { sub?: string } }).jwt.sub
} else if (variant === 'express-jwt') {
  const { expressjwt } = await import('express-jwt')
  // KeyObjects: given a string, jsonwebtoken tries it as a public key first (a thrown OpenSSL error
  // per request), and would parse a PEM again on every request.
  const secret =
    sigAlg === 'HS256'
      ? createSecretKey(Buffer.from(material.hs256))
      : publicKeyObject(material, alg)
  app.use(
    expressjwt({ secret, algorithms: [sigAlg as 'HS256'], issuer: ISSUER, audience: AUDIENCE }),
  )
  sub = (req) => (req as unknown as { auth: { sub?: string } }).auth.sub
} else if (variant === 'express-oauth2-jwt-bearer') {
  const { auth } = await import('express-oauth2-jwt-bearer')
  const { publicJwk } = await import('../material.js')
  app.use(
    sigAlg === 'HS256'
      ? auth({
          issuer: ISSUER,
          audience: AUDIENCE,
          secret: material.hs256,
          tokenSigningAlg: 'HS256',
        })
      : auth({
          issuer: ISSUER,
          audience: AUDIENCE,
          publicKey: publicJwk(material, alg),
          tokenSigningAlg: sigAlg,
        }),
  )
  sub = (req) => (req as unknown as { auth: { payload: { sub?: string } } }).auth.payload.sub
} else if (variant === 'fast-jwt') {
  const verify = await fastJwtVerifier(material, alg)
  app.use((req, res, next) => {
    try {
      ;(req as unknown as { jwt: unknown }).jwt = verify(req.headers.authorization)
    } catch {
      res.status(401).json({ error: 'invalid_token' })
      return
    }
    next()
  })
  sub = (req) => (req as unknown as { jwt: { sub?: string } }).jwt.sub
} else if (variant === 'noop') {
  app.use((_req, _res, next) => next())
} else if (variant !== 'bare') {
  throw new Error(`express server: unknown variant ${variant}`)
}

app.get('/', (req, res) => {
  res.json({ sub: sub(req) })
})

const onError: ErrorRequestHandler = (err: { status?: number }, _req, res, _next) => {
  res.status(err.status ?? 500).json({ error: 'invalid_token' })
}
app.use(onError)

const server = app.listen(0, '127.0.0.1', () => reportListening(server))
