// Hono 4 on @hono/node-server bench server: one variant (bare, tokengate, hono/jwt, thin jose) for one algorithm.
import { serve } from '@hono/node-server'
import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { AUDIENCE, ISSUER } from '../config.js'
import { sigAlgOf } from '../material.js'
import {
  fastJwtVerifier,
  joseVerifier,
  reportListening,
  serverConfig,
  tokengateOptions,
  webCryptoPublicKey,
} from './common.js'

const { variant, alg, material } = serverConfig()
const sigAlg = sigAlgOf(alg)
const app = new Hono()

let sub: (c: Context) => unknown = () => 'anonymous'

if (variant === 'tokengate' || variant === 'tokengate-nocache') {
  const { tokengate } = await import('@tokengate/hono')
  app.use(tokengate(tokengateOptions(material, alg, variant === 'tokengate')) as MiddlewareHandler)
  sub = (c) => (c.get('auth' as never) as { payload: { sub?: string } }).payload.sub
} else if (variant === 'jose') {
  const verify = await joseVerifier(material, alg)
  app.use(async (c, next) => {
    try {
      c.set('jwt' as never, (await verify(c.req.header('authorization'))) as never)
    } catch {
      return c.json({ error: 'invalid_token' }, 401)
    }
    await next()
  })
  sub = (c) => (c.get('jwt' as never) as { sub?: string }).sub
} else if (variant === 'hono-jwt') {
  const { jwt } = await import('hono/jwt')
  const secret = await webCryptoPublicKey(material, alg)
  app.use(jwt({ secret, alg: sigAlg, verification: { iss: ISSUER, aud: AUDIENCE } }))
  sub = (c) => (c.get('jwtPayload' as never) as { sub?: string }).sub
} else if (variant === 'fast-jwt') {
  const verify = await fastJwtVerifier(material, alg)
  app.use(async (c, next) => {
    try {
      c.set('jwt' as never, verify(c.req.header('authorization')) as never)
    } catch {
      return c.json({ error: 'invalid_token' }, 401)
    }
    await next()
  })
  sub = (c) => (c.get('jwt' as never) as { sub?: string }).sub
} else if (variant === 'noop') {
  app.use(async (_c, next) => {
    await next()
  })
} else if (variant !== 'bare') {
  throw new Error(`hono server: unknown variant ${variant}`)
}

app.get('/', (c) => c.json({ sub: sub(c) }))

const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
  reportListening(server),
)
