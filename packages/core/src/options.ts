// Options: the rules of AuthenticatorOptions (util/validate.ts) and their resolution, once, at start-up.
import type { CacheConfig } from './token/cache.js'
import { normalizeTyp, type ClaimRules } from './token/claims.js'
import type { CsrfConfig } from './request/csrf.js'
import { resolveDecryptOptions, type Decryptor } from './token/jwe.js'
import { resolveDpop, type Dpop } from './dpop/index.js'
import { resolveMtls, type MtlsBinding } from './binding/mtls.js'
import { parseDuration } from './util/duration.js'
import type { ExtractConfig } from './request/extract.js'
import { resolveSkip, type SkipRule } from './request/skip.js'
import { NO_KEYS, resolveIssuers, type IssuerSet } from './policy/issuers.js'
import { DEFAULT_DPOP_ALGORITHMS, JWS_ALGORITHM_NAMES, jwsAlgorithm } from './keys/algorithms.js'
import type { KeySource } from './keys/public-key.js'
import { resolveKeys } from './keys/source.js'
import { resolveRevocation, type Revocation } from './policy/revocation.js'
import { resolveProtectedResource } from './policy/resource.js'
import type {
  AuthContext,
  AuthenticatorOptions,
  ClaimsSchema,
  MultiIssuerOptions,
  ProtectedResource,
  SingleIssuerOptions,
} from './types.js'
import { checkIsRevokedHook, unknownOptionError } from './util/options.js'
import { resolveIntrospection, type IntrospectionConfig } from './introspection/index.js'
import * as v from './util/validate.js'

const bool = v.boolean('must be true or false')
const fn = v.custom<(...args: never[]) => unknown>(
  (value) => typeof value === 'function',
  'must be a function',
)
const duration = v.union(
  [v.number(), v.string()],
  "must be a number of seconds or a string such as '30s'",
)
const listMessage = 'must be a non-empty string or a non-empty list of strings'
const stringOrList = v.union(
  [
    v.string(undefined, v.minLength(1, listMessage)),
    v.array(
      v.string(undefined, v.minLength(1, listMessage)),
      undefined,
      v.minLength(1, listMessage),
    ),
  ],
  listMessage,
)
// RFC 6265 §4.1.1: cookie-name is an RFC 2616 token.
const cookieName = v.string(
  undefined,
  v.pattern(
    /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/,
    'must be a valid cookie name (RFC 6265 token characters, e.g. "access_token")',
  ),
)
const maxTokenLengthMessage = 'must be an integer from 16 to 1048576 (default 8192)'

// Hand-written rules (util/validate.ts), not a schema library: zod stays out of every bundle
// and install unless the app passes a `claims` schema (issue 14 item 4). An option checked by
// its own resolver is one line `name: v.optional(v.unknown())`.
const schema = v.object({
  from: v.optional(
    v.object({
      header: v.optional(bool),
      cookie: v.optional(cookieName),
      custom: v.optional(fn),
    }),
  ),
  algorithms: v.array(
    v.string("must be a list of algorithm names such as ['RS256']"),
    "must be a non-empty list such as ['RS256']",
  ),
  key: v.custom<unknown>(
    (value) => value !== undefined && value !== null,
    'is required: a secret, PEM, JWK, CryptoKey, { jwks }, { jwksUri } or { discovery }',
  ),
  issuer: v.optional(stringOrList),
  audience: v.optional(stringOrList),
  clockTolerance: v.optional(duration),
  maxTokenAge: v.optional(duration),
  typ: v.optional(v.string(undefined, v.minLength(1, "must be a media type such as 'at+jwt'"))),
  requiredClaims: v.optional(
    v.array(v.string(undefined, v.minLength(1)), "must be a list of claim names such as ['sub']"),
  ),
  requireExp: v.optional(bool),
  claims: v.optional(
    v.custom<ClaimsSchema<unknown>>(
      (value) => typeof value === 'object' && value !== null && '_zod' in value,
      'must be a zod schema (zod 4)',
    ),
  ),
  decrypt: v.optional(
    v.custom<unknown>((value) => typeof value === 'object' && value !== null, 'must be an object'),
  ),
  roles: v.optional(
    v.object({
      claim: v.optional(
        v.string(
          undefined,
          v.minLength(1, "must be a claim name or dotted path such as 'realm_access.roles'"),
        ),
      ),
    }),
  ),
  cache: v.optional(
    v.union(
      [
        v.literal(false),
        v.object({
          max: v.optional(
            v.number(undefined, v.int(), v.positive('must be a positive integer (default 10000)')),
          ),
          ttl: v.optional(duration),
          // Bounds memory (issue 21): at least 1 MiB, so a heavy token still fits beside others.
          maxBytes: v.optional(
            v.number(
              undefined,
              v.int(),
              v.atLeast(
                1024 * 1024,
                'must be an integer of at least 1048576 (1 MiB); the default is 64 MiB',
              ),
            ),
          ),
          // perf (issue 17): cache a token on its first or (default) second recent verification.
          admitAfter: v.optional(
            v.union([v.literal(1), v.literal(2)], 'must be 1 or 2 (default 2)'),
          ),
        }),
      ],
      'must be false or { max?, ttl?, maxBytes?, admitAfter? }',
    ),
  ),
  isRevoked: v.optional(fn),
  revocation: v.optional(v.unknown()),
  optional: v.optional(bool),
  csrf: v.optional(
    v.union(
      [
        v.literal(false),
        v.object({
          allowedOrigins: v.optional(v.array(v.string(), 'must be a list of origins')),
        }),
      ],
      'must be false or { allowedOrigins?: string[] }',
    ),
  ),
  maxTokenLength: v.optional(
    v.number(
      undefined,
      v.int(maxTokenLengthMessage),
      v.atLeast(16, maxTokenLengthMessage),
      v.atMost(1_048_576, maxTokenLengthMessage),
    ),
  ),
  realm: v.optional(v.string('must be a string')),
  // Checked by resolveDpop and resolveIssuers, which name the member and the fix.
  dpop: v.optional(v.unknown()),
  trustProxy: v.optional(v.unknown()),
  issuers: v.optional(v.unknown()),
  // RFC 9728 protected resource metadata: checked by resolveProtectedResource (policy/resource.ts).
  protectedResource: v.optional(v.unknown()),
  // introspection: checked by resolveIntrospection (introspection/options.ts).
  introspection: v.optional(v.unknown()),
  // observe (issue 16): checked by observe/observer.ts resolveObserveOptions.
  onDecision: v.optional(v.unknown()),
  onKeyFetch: v.optional(v.unknown()),
  explain: v.optional(v.unknown()),
  eventClaims: v.optional(v.unknown()),
  // idioms (issue 15): checked by resolveSkip (request/skip.ts) and resolveIdioms.
  preflight: v.optional(v.unknown()),
  skip: v.optional(v.unknown()),
  passthrough: v.optional(v.unknown()),
  // mTLS (RFC 8705): checked by resolveMtls (binding/mtls.ts).
  mtls: v.optional(v.unknown()),
})
// With options.issuers, each issuer has its own key and algorithms (resolveIssuers refuses top-level ones).
const multiIssuerSchema = v.partial(schema, ['algorithms', 'key'])
// For options.test-d.ts, which proves that these rules and types.ts name the same options.
export { schema as optionsSchema, multiIssuerSchema }

/** Everything the pipeline needs, computed once. */
export interface ResolvedOptions {
  extract: ExtractConfig
  algorithms: ReadonlySet<string>
  keys: KeySource
  claims: ClaimRules
  schema: ClaimsSchema<unknown> | undefined
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
  /** Set with options.protectedResource (RFC 9728). */
  protectedResource: ProtectedResource | undefined
  /** Set when options.introspection is (RFC 7662). */
  introspection: IntrospectionConfig | undefined
  /** idioms (issue 15): preflights pass, requests skipped, refusals left anonymous. */
  preflight: boolean
  skip: SkipRule | undefined
  passthrough: boolean
  /** Certificate binding (RFC 8705 §3): always set, since a bound token is always checked. */
  mtls: MtlsBinding
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
    // introspection (RFC 7662): the issuer's keys verify signed answers (RFC 9701).
    introspection: resolveIntrospection(o.introspection, {
      keys,
      algorithms: new Set(algorithms),
      discovery: typeof discovery === 'string' ? discovery : undefined,
      issuers: rules.claims.issuers,
      audiences: rules.claims.audiences,
      multiIssuer: false,
    }),
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
    introspection: resolveIntrospection(o.introspection, {
      keys: NO_KEYS,
      algorithms: new Set(),
      discovery: undefined,
      issuers: undefined,
      audiences: undefined,
      multiIssuer: true,
    }),
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
  const extractHeader = o.from?.header ?? true
  const protectedResource = resolveProtectedResource(o.protectedResource, {
    header: extractHeader,
    ...dpopFacts(o.dpop),
  })
  const claims: ClaimRules = {
    issuers,
    audiences: audiencesFor(o.audience, protectedResource),
    clockTolerance: parseDuration(o.clockTolerance ?? 5, 'options.clockTolerance'),
    maxTokenAge:
      o.maxTokenAge === undefined ? undefined : parseDuration(o.maxTokenAge, 'options.maxTokenAge'),
    typ: o.typ === undefined ? undefined : normalizeTyp(o.typ),
    requiredClaims: o.requiredClaims ?? [],
    requireExp: o.requireExp ?? true,
  }
  const extract: ExtractConfig = {
    header: extractHeader,
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
    mtls: resolveMtls(o.mtls, o.trustProxy, 'options.mtls'),
    schema: o.claims as ClaimsSchema<unknown> | undefined,
    rolesClaim: { path: rolesPath, segments: rolesPath.split('.') },
    cache,
    protectedResource,
  }
}

/** What the metadata says of DPoP (RFC 9728 §2), from options.dpop as resolveDpop reads it. */
function dpopFacts(raw: unknown): {
  dpopAlgorithms: readonly string[] | undefined
  dpopRequired: boolean
} {
  const o = raw as { mode?: string; algorithms?: readonly string[] } | undefined
  const on = typeof o === 'object' && o !== null && o.mode !== 'disabled'
  return {
    dpopAlgorithms: on ? (o.algorithms ?? DEFAULT_DPOP_ALGORITHMS) : undefined,
    dpopRequired: on && o.mode === 'required',
  }
}

/**
 * The audiences a token must name. With a protected resource, its identifier by default (RFC 8707
 * §2: a token requested for this resource names it in `aud`); a configured `audience` must then
 * include it, or the API would refuse the very tokens its metadata tells clients to get.
 */
function audiencesFor(
  audience: string | readonly string[] | undefined,
  resource: ProtectedResource | undefined,
): string[] | undefined {
  const configured = audience === undefined ? undefined : toList(audience)
  if (resource?.audience === undefined) return configured
  if (configured === undefined) return [resource.audience]
  if (!configured.includes(resource.audience))
    throw new TypeError(
      `tokengate: options.audience must include options.protectedResource.resource ('${resource.audience}'), or be left out to default to it (or set protectedResource.checkAudience: false)`,
    )
  return configured
}

/** What both forms share, resolved after the keys: revocation, optional, CSRF, JWE, realm. */
function resolvePolicy(o: CommonOptions) {
  return {
    isRevoked: checkedIsRevoked(o.isRevoked),
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
    ...resolveIdioms(o),
  }
}

// idioms (issue 15): preflight, skip and passthrough, each checked with the fix in its message.
function resolveIdioms(o: CommonOptions) {
  for (const name of ['preflight', 'passthrough'] as const)
    if (o[name] !== undefined && typeof o[name] !== 'boolean')
      throw new TypeError(`tokengate: options.${name} must be true or false`)
  return {
    preflight: o.preflight ?? true,
    skip: resolveSkip(o.skip, 'options.skip'),
    passthrough: o.passthrough ?? false,
  }
}

// idioms (issue 15): a hook written for express-jwt or koa-jwt is refused with the fix.
function checkedIsRevoked(hook: unknown): ResolvedOptions['isRevoked'] {
  checkIsRevokedHook(hook, 'options.isRevoked')
  return hook as ResolvedOptions['isRevoked']
}

function toList(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value]
}

/** Checks the options against the rules; throws the first problem, named by its path. */
function parse(against: v.Rule<unknown>, options: object): void {
  const issue = v.firstIssue(against, options)
  if (issue) throw new TypeError(describeIssue(issue))
}

function describeIssue(issue: v.Issue): string {
  const where = ['options', ...issue.path.map(String)].join('.')
  if (issue.kind === 'unknown')
    return unknownOptionError(
      (issue.keys ?? []).map((k) => `${where}.${k}`),
      'check the spelling against the documented options (README of @tokengate/core)',
    ).message
  if (issue.kind === 'type' && issue.input === undefined) return `tokengate: ${where} is required`
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
