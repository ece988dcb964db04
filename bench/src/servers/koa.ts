// Koa 3 bench server: one variant (bare, tokengate, koa-jwt, thin jose) for one algorithm.
import { createSecretKey } from 'node:crypto'
import Koa, { type Context, type Middleware } from 'koa'
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
const app = new Koa()

let sub: (ctx: Context) => unknown = () => 'anonymous'

if (variant === 'tokengate' || variant === 'tokengate-nocache') {
  const { tokengate } = await import('@tokengate/koa')
  app.use(tokengate(tokengateOptions(material, alg, variant === 'tokengate')) as Middleware)
  sub = (ctx) => (ctx.state.auth as { payload: { sub?: string } }).payload.sub
} else if (variant === 'jose') {
  const verify = await joseVerifier(material, alg)
  app.use(async (ctx, next) => {
    try {
      ctx.state.jwt = await verify(ctx.get('authorization') || undefined)
    } catch {
      ctx.status = 401
      ctx.body = { error: 'invalid_token' }
      return
    }
    await next()
  })
  sub = (ctx) => (ctx.state.jwt as { sub?: string }).sub
} else if (variant === 'koa-jwt') {
  const { default: koajwt } = await import('koa-jwt')
  // KeyObjects: given a string, jsonwebtoken tries it as a public key first (a thrown OpenSSL error
  // per request), and would parse a PEM again on every request.
  const secret =
    sigAlg === 'HS256'
      ? createSecretKey(Buffer.from(material.hs256))
      : publicKeyObject(material, alg)
  app.use(
    koajwt({
      secret: secret as unknown as string,
      algorithms: [sigAlg],
      issuer: ISSUER,
      audience: AUDIENCE,
    }),
  )
  sub = (ctx) => (ctx.state.user as { sub?: string }).sub
} else if (variant === 'fast-jwt') {
  const verify = await fastJwtVerifier(material, alg)
  app.use(async (ctx, next) => {
    try {
      ctx.state.jwt = verify(ctx.get('authorization') || undefined)
    } catch {
      ctx.status = 401
      ctx.body = { error: 'invalid_token' }
      return
    }
    await next()
  })
  sub = (ctx) => (ctx.state.jwt as { sub?: string }).sub
} else if (variant === 'noop') {
  app.use((_ctx, next) => next())
} else if (variant !== 'bare') {
  throw new Error(`koa server: unknown variant ${variant}`)
}

app.use((ctx) => {
  ctx.body = { sub: sub(ctx) }
})

const server = app.listen(0, '127.0.0.1', () => reportListening(server))
