// A Hono Worker that reads its secret from c.env, as Hono documents for its own jwt(): the factory
// form of tokengate() builds the authenticator once per env object (per isolate), never per request.
import { tokengate } from '@tokengate/hono'
import { Hono } from 'hono'

type Bindings = { JWT_SECRET: string; ISSUER: string }

/** How many times the factory ran: the test asserts 1 after many requests. */
let built = 0

const app = new Hono<{ Bindings: Bindings }>()
  .use(
    '/api/*',
    tokengate<{ Bindings: Bindings }>((c) => {
      built++
      return { algorithms: ['HS256'], key: c.env.JWT_SECRET, issuer: c.env.ISSUER }
    }),
  )
  // Typed: c.get('auth') is the context, c.env the bindings.
  .get('/api/me', (c) => c.json({ sub: c.get('auth').payload.sub, issuer: c.env.ISSUER }))
  .get('/built', (c) => c.json({ built }))

export default app
