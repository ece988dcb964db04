// Typing promises of @tokengate/hono: c.get('auth') is typed, and claims from a zod schema flow through.
import type { AuthContext } from '@tokengate/core'
import { Hono } from 'hono'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { requireClaims, requireScopes, tokengate } from './index.js'
import type { AuthVariables } from './index.js'

const claims = z.object({ sub: z.string(), tenant: z.string() })
type Claims = z.output<typeof claims>

describe('@tokengate/hono types', () => {
  test('new Hono<{ Variables: AuthVariables<Claims> }>() types c.get and c.var', () => {
    const app = new Hono<{ Variables: AuthVariables<Claims> }>()
    app.use(tokengate({ algorithms: ['ES256'], key: 'k', claims }))
    app.get('/', (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext<Claims>>()
      expectTypeOf(c.var.auth.payload.tenant).toEqualTypeOf<string>()
      return c.text('ok')
    })
  })

  test('route-level middleware carries the claims into the handler', () => {
    new Hono().get('/', tokengate({ algorithms: ['ES256'], key: 'k', claims }), (c) => {
      expectTypeOf(c.get('auth').payload).toEqualTypeOf<Claims>()
      return c.text('ok')
    })
  })

  test('optional mode: the context may be absent', () => {
    new Hono().get('/', tokengate({ algorithms: ['ES256'], key: 'k', optional: true }), (c) => {
      expectTypeOf(c.get('auth')).toEqualTypeOf<AuthContext | undefined>()
      return c.text('ok')
    })
  })

  test('guards fit any Hono app', () => {
    const app = new Hono<{ Variables: AuthVariables<Claims> }>()
    app.get(
      '/r',
      requireScopes('reports:read'),
      requireClaims<Claims>((p) => p.tenant === 'acme'),
      (c) => c.text(c.get('auth').payload.sub),
    )
  })
})
