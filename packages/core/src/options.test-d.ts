// The runtime rules of options.ts (util/validate.ts) and the public types of types.ts name the same options: an
// option added to one and not the other (or typed apart) fails here, not in an app.
import { describe, expectTypeOf, test } from 'vitest'
import type { multiIssuerSchema, optionsSchema } from './options.js'
import type { Input } from './util/validate.js'
import type {
  CacheOptions,
  CsrfOptions,
  ExtractOptions,
  MultiIssuerOptions,
  SingleIssuerOptions,
} from './types.js'

type Single = Input<typeof optionsSchema>
type Multi = Input<typeof multiIssuerSchema>

/** Lists the types take as `readonly X[]` (algorithm names): the rules accept them; their input type says `X[]`. */
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends { algorithms?: unknown }
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T

/** The keys of T whose public type the schema would refuse (never when every one fits). */
type Misfits<T, Schema> = {
  [K in keyof T]-?: K extends keyof Schema ? (Writable<T[K]> extends Schema[K] ? never : K) : K
}[keyof T]

describe('options schema and types.ts agree', () => {
  test('the same top-level options (issuers is checked by resolveIssuers)', () => {
    expectTypeOf<keyof Single>().toEqualTypeOf<keyof SingleIssuerOptions | 'issuers'>()
    expectTypeOf<keyof Multi>().toEqualTypeOf<
      keyof MultiIssuerOptions | 'algorithms' | 'key' | 'issuer'
    >()
  })

  test('the same members of the nested options', () => {
    expectTypeOf<keyof NonNullable<Single['from']>>().toEqualTypeOf<keyof ExtractOptions>()
    expectTypeOf<keyof Exclude<NonNullable<Single['cache']>, false>>().toEqualTypeOf<
      keyof CacheOptions
    >()
    expectTypeOf<keyof Exclude<NonNullable<Single['csrf']>, false>>().toEqualTypeOf<
      keyof CsrfOptions
    >()
    expectTypeOf<keyof NonNullable<Single['roles']>>().toEqualTypeOf<
      keyof NonNullable<SingleIssuerOptions['roles']>
    >()
  })

  test('every value the public types allow passes the schema', () => {
    expectTypeOf<Misfits<SingleIssuerOptions, Single>>().toEqualTypeOf<never>()
    expectTypeOf<Misfits<MultiIssuerOptions, Multi>>().toEqualTypeOf<never>()
    expectTypeOf<Misfits<ExtractOptions, NonNullable<Single['from']>>>().toEqualTypeOf<never>()
  })

  test('a required option of the types is required by the schema too', () => {
    expectTypeOf<Pick<Single, 'algorithms'>>().toEqualTypeOf<{ algorithms: string[] }>()
  })
})
