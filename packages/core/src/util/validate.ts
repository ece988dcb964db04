// Start-up option checks: a few composable rules, so the core needs no schema library (zod is an
// optional peer, needed only by apps that pass a `claims` schema; issue 14 item 4).
//
// The rules keep the semantics and the English wording the options had under zod/mini, so every
// start-up message stayed the same: a strict object reports its members in declaration order, then
// its unknown ones; a failed type stops the checks of that value ("fatal"); a union reports the one
// branch that had the right type, else its own message.

/** A path into the options: member names and list indexes. */
export type IssuePath = readonly (string | number)[]

/** The first thing wrong with a value, where it is, and how it reads. */
export interface Issue {
  readonly path: IssuePath
  /** The rule's own message, or the default English one ("Invalid input: expected string, received number"). */
  readonly message: string
  /** The value found at `path` (undefined when the option is missing). */
  readonly input: unknown
  /** `type`: the value has the wrong type; `unknown`: members outside the known ones (`keys`). */
  readonly kind: 'type' | 'unknown' | 'other'
  readonly keys?: readonly string[]
  /** The value has the wrong shape: later checks of it are skipped, and a union counts it out. */
  readonly fatal: boolean
}

/**
 * A check of one value. `In` is what it accepts, for types only (`Input<typeof rule>`);
 * `optional` marks a rule that also accepts a missing value.
 *
 * @example
 * const port: Rule<number> = number(undefined, int())
 */
export interface Rule<In> {
  readonly check: (value: unknown) => Issue[]
  readonly optional?: true
  /** Never set: carries the accepted type. */
  readonly '~input'?: In
}

/** What a rule accepts. */
export type Input<R> = R extends Rule<infer T> ? T : never

/** A check that runs once a value has the right type; it may return an issue. */
export type Check<T> = (value: T) => Issue | undefined

type Shape = Record<string, Rule<unknown>>
type ObjectInput<S extends Shape> = {
  [K in keyof S as S[K] extends { optional: true } ? never : K]: Input<S[K]>
} & {
  [K in keyof S as S[K] extends { optional: true } ? K : never]?: Input<S[K]>
}

/** The type name of a value as the messages print it (`array`, `null`, `NaN`, a class name). */
function typeName(value: unknown): string {
  if (typeof value === 'number') return Number.isFinite(value) ? 'number' : String(value)
  if (typeof value !== 'object') return typeof value
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  const proto: unknown = Object.getPrototypeOf(value)
  const ctor = (value as { constructor?: { name?: string } }).constructor
  return proto !== Object.prototype && ctor ? String(ctor.name) : 'object'
}

function problem(input: unknown, message: string, fatal = false): Issue {
  return { path: [], message, input, kind: 'other', fatal }
}

function wrongType(expected: string, input: unknown, message?: string): Issue[] {
  const text = message ?? `Invalid input: expected ${expected}, received ${typeName(input)}`
  return [{ path: [], message: text, input, kind: 'type', fatal: true }]
}

function prefix(key: string | number, issues: Issue[]): Issue[] {
  return issues.map((issue) => ({ ...issue, path: [key, ...issue.path] }))
}

/** Runs checks in order; a fatal one stops the rest. */
function runChecks<T>(value: T, checks: readonly Check<T>[], issues: Issue[] = []): Issue[] {
  for (const check of checks) {
    const found = check(value)
    if (!found) continue
    issues.push(found)
    if (found.fatal) break
  }
  return issues
}

/**
 * Any value.
 *
 * @example
 * const shape = { dpop: optional(unknown()) } // checked by its own resolver
 */
export function unknown(): Rule<unknown> {
  return { check: () => [] }
}

/**
 * A missing (undefined) value, or one that passes `rule`.
 *
 * @example
 * optional(boolean('must be true or false'))
 */
export function optional<T>(rule: Rule<T>): Rule<T | undefined> & { optional: true } {
  return { check: (v) => (v === undefined ? [] : rule.check(v)), optional: true }
}

/**
 * A boolean.
 *
 * @example
 * boolean('must be true or false')
 */
export function boolean(message?: string): Rule<boolean> {
  return { check: (v) => (typeof v === 'boolean' ? [] : wrongType('boolean', v, message)) }
}

/**
 * A string, then `checks` ({@link minLength}, {@link pattern}).
 *
 * @example
 * string(undefined, minLength(1, 'must be a non-empty string'))
 */
export function string(message?: string, ...checks: Check<string>[]): Rule<string> {
  return {
    check: (v) => (typeof v === 'string' ? runChecks(v, checks) : wrongType('string', v, message)),
  }
}

/**
 * A finite number, then `checks` ({@link int}, {@link atLeast}, {@link atMost}, {@link positive}).
 *
 * @example
 * number(undefined, int(), atLeast(16, 'must be at least 16'))
 */
export function number(message?: string, ...checks: Check<number>[]): Rule<number> {
  return {
    check: (v) =>
      typeof v === 'number' && Number.isFinite(v)
        ? runChecks(v, checks)
        : wrongType('number', v, message),
  }
}

/**
 * Exactly `value` (used for `false` in "false or an object").
 *
 * @example
 * literal(false)
 */
export function literal<const T extends string | number | boolean>(value: T): Rule<T> {
  return {
    check: (v) =>
      v === value ? [] : [problem(v, `Invalid input: expected ${JSON.stringify(value)}`, true)],
  }
}

/**
 * A value that `accepts`, with `message` otherwise.
 *
 * @example
 * custom<Function>((v) => typeof v === 'function', 'must be a function')
 */
export function custom<T>(accepts: (value: unknown) => boolean, message: string): Rule<T> {
  return { check: (v) => (accepts(v) ? [] : [problem(v, message)]) }
}

/**
 * A list whose every item passes `item`, then `checks` ({@link minLength}).
 *
 * @example
 * array(string(), "must be a list such as ['sub']", minLength(1))
 */
export function array<T>(
  item: Rule<T>,
  message?: string,
  ...checks: Check<readonly unknown[]>[]
): Rule<T[]> {
  return {
    check: (v) => {
      if (!Array.isArray(v)) return wrongType('array', v, message)
      const issues = v.flatMap((entry: unknown, i) => prefix(i, item.check(entry)))
      return issues.some((issue) => issue.fatal) ? issues : runChecks(v, checks, issues)
    },
  }
}

/**
 * One of `rules`. When none passes: the issues of the one rule the value had the right shape
 * for, or else `message`.
 *
 * @example
 * union([number(), string()], "must be a number of seconds or a string such as '30s'")
 */
export function union<const R extends readonly Rule<unknown>[]>(
  rules: R,
  message: string,
): Rule<Input<R[number]>> {
  return {
    check: (v) => {
      const results: Issue[][] = []
      for (const rule of rules) {
        const issues = rule.check(v)
        if (issues.length === 0) return []
        results.push(issues)
      }
      const shaped = results.filter((issues) => !issues.some((issue) => issue.fatal))
      return shaped.length === 1 ? shaped[0]! : [problem(v, message, true)]
    },
  }
}

/** A strict object rule: its shape is kept, so {@link partial} can relax it. */
export interface ObjectRule<S extends Shape> extends Rule<ObjectInput<S>> {
  readonly shape: S
}

/**
 * An object with the members of `shape`, each checked in order, and no other (an unknown member
 * is an issue of kind `unknown`, reported after the others).
 *
 * @example
 * object({ allowedOrigins: optional(array(string())) })
 */
export function object<S extends Shape>(shape: S, message?: string): ObjectRule<S> {
  return {
    shape,
    check: (v) => {
      if (typeof v !== 'object' || v === null || Array.isArray(v))
        return wrongType('object', v, message)
      const record = v as Record<string, unknown>
      const issues = Object.entries(shape).flatMap(([key, rule]) =>
        prefix(key, rule.check(record[key])),
      )
      const unknownKeys: string[] = []
      // for...in: every enumerable member a caller could have meant, inherited ones included.
      for (const key in record) if (!Object.hasOwn(shape, key)) unknownKeys.push(key)
      if (unknownKeys.length > 0)
        issues.push({
          path: [],
          message: `Unrecognized keys: ${unknownKeys.join(', ')}`,
          input: v,
          kind: 'unknown',
          keys: unknownKeys,
          fatal: false,
        })
      return issues
    },
  }
}

/**
 * `rule` with the members named in `keys` made optional.
 *
 * @example
 * partial(options, ['algorithms', 'key'])
 */
export function partial<S extends Shape, K extends keyof S & string>(
  rule: ObjectRule<S>,
  keys: readonly K[],
): ObjectRule<Omit<S, K> & { [P in K]: ReturnType<typeof optional<Input<S[P]>>> }> {
  const shape: Shape = { ...rule.shape }
  for (const key of keys) shape[key] = optional(rule.shape[key]!)
  return object(shape) as never
}

/**
 * At least `min` characters or items.
 *
 * @example
 * string(undefined, minLength(1, 'must not be empty'))
 */
export function minLength(min: number, message?: string): Check<string | readonly unknown[]> {
  return (v) => {
    if (v.length >= min) return undefined
    const [origin, unit] = typeof v === 'string' ? ['string', 'characters'] : ['array', 'items']
    return problem(v, message ?? `Too small: expected ${origin} to have >=${min} ${unit}`)
  }
}

/**
 * Matches `re`.
 *
 * @example
 * string(undefined, pattern(/^[a-z]+$/, 'must be lower-case letters'))
 */
export function pattern(re: RegExp, message?: string): Check<string> {
  return (v) =>
    re.test(v) ? undefined : problem(v, message ?? `Invalid string: must match pattern ${re}`)
}

/**
 * A safe integer; fatal otherwise, so the bounds after it are not checked.
 *
 * @example
 * number(undefined, int('must be an integer'))
 */
export function int(message?: string): Check<number> {
  return (v) => {
    if (!Number.isInteger(v))
      return {
        ...problem(v, message ?? 'Invalid input: expected int, received number', true),
        kind: 'type',
      }
    if (Number.isSafeInteger(v)) return undefined
    return problem(
      v,
      message ??
        (v > 0
          ? `Too big: expected int to be <=${Number.MAX_SAFE_INTEGER}`
          : `Too small: expected int to be >=${Number.MIN_SAFE_INTEGER}`),
    )
  }
}

/**
 * At least `min`.
 *
 * @example
 * number(undefined, atLeast(16))
 */
export function atLeast(min: number, message?: string): Check<number> {
  return (v) =>
    v >= min ? undefined : problem(v, message ?? `Too small: expected number to be >=${min}`)
}

/**
 * At most `max`.
 *
 * @example
 * number(undefined, atMost(1_048_576))
 */
export function atMost(max: number, message?: string): Check<number> {
  return (v) =>
    v <= max ? undefined : problem(v, message ?? `Too big: expected number to be <=${max}`)
}

/**
 * Over zero.
 *
 * @example
 * number(undefined, int(), positive('must be a positive integer'))
 */
export function positive(message?: string): Check<number> {
  return (v) => (v > 0 ? undefined : problem(v, message ?? 'Too small: expected number to be >0'))
}

/**
 * The first issue of `value` against `rule`, or undefined when it passes.
 *
 * @example
 * const issue = firstIssue(optionsRule, options)
 */
export function firstIssue(rule: Rule<unknown>, value: unknown): Issue | undefined {
  return rule.check(value)[0]
}
