// Typing promises of @tokengate/nestjs: @Auth()'s parameter type follows the registered claims.
import type { AuthContext } from '@tokengate/core'
import { describe, expectTypeOf, test } from 'vitest'
import { z } from 'zod'
import { RequireClaims, TokengateModule, type AuthOf, type RegisteredClaims } from './index.js'

const claims = z.object({ sub: z.string(), tenant: z.string(), email_verified: z.boolean() })
type Claims = z.output<typeof claims>

// The recipe from the README: register the claims once for the whole app.
declare module './index.js' {
  interface Register {
    claims: Claims
  }
}

describe('@tokengate/nestjs types', () => {
  test('AuthOf is the registered context, undefined when absent', () => {
    expectTypeOf<RegisteredClaims>().toEqualTypeOf<Claims>()
    expectTypeOf<AuthOf>().toEqualTypeOf<AuthContext<Claims> | undefined>()
    expectTypeOf<NonNullable<AuthOf>['payload']['tenant']>().toEqualTypeOf<string>()
    expectTypeOf<AuthOf<{ org: number }>>().toEqualTypeOf<
      AuthContext<{ org: number }> | undefined
    >()
  })

  test('@RequireClaims() predicates see the registered claims', () => {
    RequireClaims((payload) => {
      expectTypeOf(payload.email_verified).toEqualTypeOf<boolean>()
      return payload.email_verified
    })
  })

  test('forRoot takes the claims schema and types nothing else loosely', () => {
    TokengateModule.forRoot({ algorithms: ['ES256'], key: 'jwk-or-pem', claims })
    // @ts-expect-error -- adapter options are { onError?, property? }
    TokengateModule.forRoot({ algorithms: ['ES256'], key: 'k' }, { onError: 'throw' })
  })
})
