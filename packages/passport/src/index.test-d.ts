// Typing promises of @tokengate/passport: req.auth is typed, and claims from a zod schema reach `user`.
import type { AuthContext, AuthError } from '@tokengate/core'
import express from 'express'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { TokengateStrategy, authenticate, requireRoles } from './index.js'
import type { AuthSlot } from './index.js'

// The same claims as @tokengate/express's type test: both merge into the one Express.Request of the
// repository's type-test program, as they would in an app that used both packages.
const claims = z.object({ sub: z.string(), tenant: z.string(), email_verified: z.boolean() })
type Claims = z.output<typeof claims>

declare module './index.js' {
  interface Register {
    claims: Claims
  }
}

describe('@tokengate/passport types', () => {
  test('req.auth is the registered AuthContext; req.authError the refusal', () => {
    express().get('/', authenticate(), requireRoles('admin'), (req, res) => {
      expectTypeOf(req.auth).toEqualTypeOf<AuthContext<Claims> | undefined>()
      expectTypeOf(req.authError).toEqualTypeOf<AuthError | undefined>()
      res.end()
    })
    expectTypeOf<AuthSlot>().toEqualTypeOf<{ auth?: AuthContext<Claims> }>()
  })

  test('the schema types the context the user mapper sees', () => {
    new TokengateStrategy(
      { algorithms: ['ES256'], key: 'k', claims },
      {
        user: (context) => {
          expectTypeOf(context.payload).toEqualTypeOf<Claims>()
          return { id: context.payload.sub }
        },
      },
    )
  })
})
