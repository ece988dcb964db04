// Options: the zod schema of AuthenticatorOptions and their resolution, once, at start-up.
import { en } from 'zod/locales'
import * as z from 'zod/mini'
import type { CacheConfig } from './token/cache.js'
import { normalizeTyp, type ClaimRules } from './token/claims.js'
import type { CsrfConfig } from './request/csrf.js'
import { resolveDecryptOptions, type Decryptor } from './token/jwe.js'
import { resolveDpop, type Dpop } from './dpop/index.js'
import { parseDuration } from './util/duration.js'
import type { ExtractConfig } from './request/extract.js'
import type { ZodType } from 'zod'
import { NO_KEYS, resolveIssuers, type IssuerSet } from './policy/issuers.js'
import { JWS_ALGORITHM_NAMES, jwsAlgorithm } from './keys/algorithms.js'
import type { KeySource } from './keys/public-key.js'
import { resolveKeys } from './keys/source.js'
import { resolveRevocation, type Revocation } from './policy/revocation.js'
import type {
  AuthContext,
  AuthenticatorOptions,
  MultiIssuerOptions,
  SingleIssuerOptions,
} from './types.js'
import { unknownOptionError } from './util/options.js'

const bool = z.boolean({ message: 'must be true or false' })
const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === 'function', {
  message: 'must be a function',
})
const duration = z.union([z.number(), z.string()], {
  message: "must be a number of seconds or a string such as '30s'",
})
const listMessage = { message: 'must be a non-empty string or a non-empty list of strings' }
const stringOrList = z.union(
  [
    z.string().check(z.minLength(1, listMessage)),
    z.array(z.string().check(z.minLength(1, listMessage))).check(z.minLength(1, listMessage)),
  ],
  listMessage,
)
// RFC 6265 §4.1.1: cookie-name is an RFC 2616 token.
const cookieName = z.string().check(
  z.regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, {
    message: 'must be a valid cookie name (RFC 6265 token characters, e.g. "access_token")',
  }),
)
const maxTokenLengthMessage = { message: 'must be an integer from 16 to 1048576 (default 8192)' }

// zod/mini, not zod: the same checks and messages, tree-shakable, so an edge bundle carries only
// the few validators used here (issue 14 item 4).
const schema = z.strictObject({
  from: z.optional(
    z.strictObject({
      header: z.optional(bool),
      cookie: z.optional(cookieName),
      custom: z.optional(fn),
    }),
  ),
  algorithms: z.array(
    z.string({ message: "must be a list of algorithm names such as ['RS256']" }),
    {
      message: "must be a non-empty list such as ['RS256']",
    },
  ),
  key: z.custom<unknown>((v) => v !== undefined && v !== null, {
    message: 'is required: a secret, PEM, JWK, CryptoKey, { jwks }, { jwksUri } or { discovery }',
  }),
  issuer: z.optional(stringOrList),
  audience: z.optional(stringOrList),
  clockTolerance: z.optional(duration),
  maxTokenAge: z.optional(duration),
  typ: z.optional(
    z.string().check(z.minLength(1, { message: "must be a media type such as 'at+jwt'" })),
  ),
  requiredClaims: z.optional(
    z.array(z.string().check(z.minLength(1)), {
      message: "must be a list of claim names such as ['sub']",
    }),
  ),
  requireExp: z.optional(bool),
  claims: z.optional(
    z.custom<unknown>((v) => typeof v === 'object' && v !== null && '_zod' in v, {
      message: 'must be a zod schema (zod 4)',
    }),
  ),
  decrypt: z.optional(
    z.custom<unknown>((v) => typeof v === 'object' && v !== null, { message: 'must be an object' }),
  ),
  roles: z.optional(
    z.strictObject({
      claim: z.optional(
        z.string().check(
          z.minLength(1, {
            message: "must be a claim name or dotted path such as 'realm_access.roles'",
          }),
        ),
      ),
    }),
  ),
  cache: z.optional(
    z.union(
      [
        z.literal(false),
        z.strictObject({
          max: z.optional(
            z
              .number()
              .check(
                z.int(),
                z.positive({ message: 'must be a positive integer (default 10000)' }),
              ),
          ),
          ttl: z.optional(duration),
          // Bounds memory (issue 21): at least 1 MiB, so a heavy token still fits beside others.
          maxBytes: z.optional(
            z.number().check(
              z.int(),
              z.gte(1024 * 1024, {
                message: 'must be an integer of at least 1048576 (1 MiB); the default is 64 MiB',
              }),
            ),
          ),
          // perf (issue 17): cache a token on its first or (default) second recent verification.
          admitAfter: z.optional(
            z.union([z.literal(1), z.literal(2)], { message: 'must be 1 or 2 (default 2)' }),
          ),
        }),
      ],
      { message: 'must be false or { max?, ttl?, maxBytes?, admitAfter? }' },
    ),
  ),
  isRevoked: z.optional(fn),
  revocation: z.optional(z.unknown()),
  optional: z.optional(bool),
  csrf: z.optional(
    z.union(
      [
        z.literal(false),
        z.strictObject({
          allowedOrigins: z.optional(z.array(z.string(), { message: 'must be a list of origins' })),
        }),
      ],
      {
        message: 'must be false or { allowedOrigins?: string[] }',
      },
    ),
  ),
  maxTokenLength: z.optional(
    z
      .number()
      .check(
        z.int(maxTokenLengthMessage),
        z.gte(16, maxTokenLengthMessage),
        z.lte(1_048_576, maxTokenLengthMessage),
      ),
  ),
  realm: z.optional(z.string({ message: 'must be a string' })),
  // Checked by resolveDpop and resolveIssuers, which name the member and the fix.
  dpop: z.optional(z.unknown()),
  trustProxy: z.optional(z.unknown()),
  issuers: z.optional(z.unknown()),
})
// With options.issuers, each issuer has its own key and algorithms (resolveIssuers refuses top-level ones).
const multiIssuerSchema = z.partial(schema, { algorithms: true, key: true })
// For options.test-d.ts, which proves that this schema and types.ts name the same options.
export { schema as optionsSchema, multiIssuerSchema }

/** Everything the pipeline needs, computed once. */
export interface ResolvedOptions {
  extract: ExtractConfig
  algorithms: ReadonlySet<string>
  keys: KeySource
  claims: ClaimRules
  schema: ZodType | undefined
  rolesClaim: { path: string; segments: readonly string[] }
  cache: CacheConfig | undefined
  isRevoked: ((ctx: AuthContext<unknown>) => boolean | Promise<boolean>) | undefined
  revocation: Revocation | undefined
  optional: boolean
  csrf: CsrfConfig | undefined
  decryptor: Decryptor | undefined
  realm: string | undefined
  /** Set with options.issuers: the token's `iss` picks the keys, algorithms and claim rules. */
  issuers: IssuerSet | undefined
  /** Set when options.dpop is on (RFC 9449). */
  dpop: Dpop | undefined
}

/**
 * Validates options (unknown ones included) and resolves them; throws a TypeError whose message
 * names the option and the fix. One issuer (`key`, `algorithms`, `issuer`) or several
 * (`options.issuers`, each with its own): the rest is common to both.
 *
 * @example
 * const resolved = resolveOptions({ algorithms: ['ES256'], key: publicPem })
 */
export function resolveOptions(options: AuthenticatorOptions<unknown>): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new TypeError('tokengate: options must be an object with at least algorithms and key')
  return (options as { issuers?: unknown }).issuers !== undefined
    ? resolveMultiIssuer(options as MultiIssuerOptions<unknown>)
    : resolveSingleIssuer(options as SingleIssuerOptions<unknown>)
}

/** One issuer: `key` and `algorithms` at the top, `issuer` (or the discovered one) checked in claims. */
function resolveSingleIssuer(o: SingleIssuerOptions<unknown>): ResolvedOptions {
  parse(schema, o)
  const algorithms = checkAlgorithms(o.algorithms, 'options.algorithms')
  const discovery =
    typeof o.key === 'object' && o.key !== null && 'discovery' in o.key
      ? (o.key as { discovery: unknown }).discovery
      : undefined
  const issuers = o.issuer === undefined ? undefined : toList(o.issuer)
  if (typeof discovery === 'string' && issuers && !issuers.includes(discovery)) {
    throw new TypeError(
      'tokengate: options.issuer must include options.key.discovery (the discovered issuer), or be left out to default to it',
    )
  }
  const rules = resolveRules(
    o,
    issuers ?? (typeof discovery === 'string' ? [discovery] : undefined),
  )
  const keys = resolveKeys(o.key as unknown, algorithms, 'options')
  return {
    ...rules,
    ...resolvePolicy(o),
    algorithms: new Set(algorithms),
    keys,
    issuers: undefined,
  }
}

/** Several issuers: the token's `iss` picks the keys, algorithms and claim rules of one entry. */
function resolveMultiIssuer(o: MultiIssuerOptions<unknown>): ResolvedOptions {
  parse(multiIssuerSchema, o)
  const rules = resolveRules(o, undefined)
  const issuers = resolveIssuers(
    o.issuers,
    o as unknown as Record<string, unknown>,
    rules.claims,
    checkAlgorithms,
  )
  return {
    ...rules,
    ...resolvePolicy(o),
    // Nothing verifies at the top level: an issuer must be chosen first.
    algorithms: new Set(),
    keys: NO_KEYS,
    claims: { ...rules.claims, issuers: [] },
    issuers,
  }
}

type CommonOptions = Omit<SingleIssuerOptions<unknown>, 'key' | 'algorithms' | 'issuer'>

/** What both forms share, resolved before the keys: extraction, claim rules, DPoP, cache. */
function resolveRules(o: CommonOptions, issuers: string[] | undefined) {
  const cache =
    o.cache === false
      ? undefined
      : {
          max: o.cache?.max ?? 10_000,
          ttlMs:
            o.cache?.ttl === undefined
              ? undefined
              : parseDuration(o.cache.ttl, 'options.cache.ttl') * 1000,
          ...(o.cache?.maxBytes !== undefined && { maxBytes: o.cache.maxBytes }),
          ...(o.cache?.admitAfter !== undefined && { admitAfter: o.cache.admitAfter }),
        }
  const rolesPath = o.roles?.claim ?? 'roles'
  const claims: ClaimRules = {
    issuers,
    audiences: o.audience === undefined ? undefined : toList(o.audience),
    clockTolerance: parseDuration(o.clockTolerance ?? 5, 'options.clockTolerance'),
    maxTokenAge:
      o.maxTokenAge === undefined ? undefined : parseDuration(o.maxTokenAge, 'options.maxTokenAge'),
    typ: o.typ === undefined ? undefined : normalizeTyp(o.typ),
    requiredClaims: o.requiredClaims ?? [],
    requireExp: o.requireExp ?? true,
  }
  const extract: ExtractConfig = {
    header: o.from?.header ?? true,
    cookie: o.from?.cookie,
    custom: o.from?.custom,
    maxTokenLength: o.maxTokenLength ?? 8192,
  }
  const dpop = resolveDpop(
    o.dpop,
    o.trustProxy,
    { ...extract, clockTolerance: claims.clockTolerance },
    'options.dpop',
  )
  return {
    extract: dpop ? { ...extract, dpop: true } : extract,
    claims,
    dpop,
    schema: o.claims as ZodType | undefined,
    rolesClaim: { path: rolesPath, segments: rolesPath.split('.') },
    cache,
  }
}

/** What both forms share, resolved after the keys: revocation, optional, CSRF, JWE, realm. */
function resolvePolicy(o: CommonOptions) {
  return {
    isRevoked: o.isRevoked as ResolvedOptions['isRevoked'],
    revocation: resolveRevocation(o.revocation, 'options.revocation'),
    optional: o.optional ?? false,
    csrf:
      o.csrf === false
        ? undefined
        : {
            allowedOrigins: new Set(
              (o.csrf?.allowedOrigins ?? []).map((origin) =>
                checkOrigin(origin, 'options.csrf.allowedOrigins'),
              ),
            ),
          },
    decryptor:
      o.decrypt === undefined ? undefined : resolveDecryptOptions(o.decrypt, 'options.decrypt'),
    realm: o.realm,
  }
}

function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value]
}

/** Checks the options against the schema; throws the first problem, named by its path. */
function parse(against: z.ZodMiniType, options: object): void {
  const parsed = z.safeParse(against, options, { error: english })
  if (!parsed.success) throw new TypeError(describeIssue(parsed.error.issues[0], options))
}

// zod/mini loads no locale (full zod sets English globally); ours is passed per parse, so the
// app's own zod configuration is left alone.
const english = en().localeError

function describeIssue(issue: z.core.$ZodIssue | undefined, options: object): string {
  if (!issue) return 'tokengate: invalid options'
  const where = ['options', ...issue.path.map(String)].join('.')
  if (issue.code === 'unrecognized_keys')
    return unknownOptionError(
      issue.keys.map((k) => `${where}.${k}`),
      'check the spelling against the documented options (README of @tokengate/core)',
    ).message
  let value: unknown = options
  for (const key of issue.path) value = (value as Record<PropertyKey, unknown> | undefined)?.[key]
  if (issue.code === 'invalid_type' && value === undefined) return `tokengate: ${where} is required`
  return `tokengate: ${where} ${issue.message.replace(/^Invalid input: /, 'is invalid: ')}`
}

/** The allowlist of signature algorithms at `path` (`options.algorithms` or an issuer's). */
function checkAlgorithms(list: readonly string[], path: string): string[] {
  if (list.length === 0)
    throw new TypeError(
      `tokengate: ${path} must not be empty: list the algorithms your issuer signs with, e.g. ['RS256']`,
    )
  for (const alg of list) {
    if (alg.toLowerCase() === 'none')
      throw new TypeError(
        `tokengate: ${path} must not contain 'none': unsigned tokens are never accepted (RFC 8725 §3.2)`,
      )
    if (!jwsAlgorithm(alg)) {
      const hint = JWS_ALGORITHM_NAMES.find((a) => a.toLowerCase() === alg.toLowerCase())
      throw new TypeError(
        `tokengate: ${path} contains unsupported '${alg}'${hint ? ` (algorithm names are case-sensitive: '${hint}')` : ''}; supported: ${JWS_ALGORITHM_NAMES.join(', ')}`,
      )
    }
  }
  const symmetric = list.filter((a) => jwsAlgorithm(a)?.kty === 'oct')
  if (symmetric.length > 0 && symmetric.length < list.length) {
    throw new TypeError(
      `tokengate: ${path} mixes HMAC (${symmetric.join(', ')}) with public-key algorithms, which invites algorithm confusion (RFC 8725 §3.1); use one family per authenticator`,
    )
  }
  return [...new Set(list)]
}

function checkOrigin(origin: string, path: string): string {
  let normalised: string | undefined
  try {
    normalised = new URL(origin).origin
  } catch {
    normalised = undefined
  }
  if (
    normalised === undefined ||
    normalised === 'null' ||
    normalised !== origin.replace(/\/$/, '').toLowerCase()
  ) {
    throw new TypeError(
      `tokengate: ${path} entry '${origin}' must be an origin: scheme://host[:port], no path (e.g. 'https://app.example.com')`,
    )
  }
  return normalised
}
