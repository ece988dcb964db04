// Several trusted issuers: `options.issuers` resolved at start-up (a list), or per tenant (a function),
// and the token's `iss` choosing one.
import { Lru } from '../util/lru.js'
import { normalizeTyp, type ClaimRules } from '../token/claims.js'
import { AuthError } from '../errors.js'
import type { KeySource } from '../keys/public-key.js'
import { parsePayloadObject } from '../token/compact.js'
import { decode } from '../util/base64url.js'
import { resolveKeys } from '../keys/source.js'
import { rejectUnknownOptions } from '../util/options.js'

/** One configured issuer: the only keys, algorithms and claim rules its tokens are verified with. */
export interface IssuerEntry {
  readonly issuer: string
  readonly keys: KeySource
  readonly algorithms: ReadonlySet<string>
  /** The common rules with `issuers: [issuer]` and this issuer's audience and typ. */
  readonly claims: ClaimRules
}

/** The configured issuers, looked up by a token's `iss`. */
export interface IssuerSet {
  /**
   * Reads `iss` from a compact JWS payload, decoded but NOT yet verified, and returns its entry;
   * throws 401 `issuer_unknown` for a missing or unlisted issuer, before any key is fetched. A
   * Promise only when `options.issuers` is a function whose answer for this `iss` is not cached.
   */
  forToken(jws: string): IssuerEntry | Promise<IssuerEntry>
  /** The same for claims already in hand (an encrypted-only token's JWE plaintext). */
  forClaims(claims: Readonly<Record<string, unknown>>): IssuerEntry | Promise<IssuerEntry>
}

/** The top-level key source when issuers are configured: never reached, refuses if it were. */
export const NO_KEYS: KeySource = {
  select() {
    throw new AuthError('issuer_unknown', 'no issuer was chosen for this token')
  },
}

const ENTRY_MEMBERS = ['issuer', 'key', 'algorithms', 'audience', 'typ']

/**
 * Validates `options.issuers` against the rest of the options and resolves each entry's keys.
 * `common` holds the claim rules every issuer shares; `checkAlgorithms` is the allowlist check of
 * `options.algorithms`, given the path of the list it checks. Throws a TypeError naming the entry and the fix.
 *
 * @example
 * const issuers = resolveIssuers([{ issuer, key: { jwksUri }, algorithms: ['RS256'] }], options, rules, check)
 */
export function resolveIssuers(
  value: unknown,
  options: Readonly<Record<string, unknown>>,
  common: ClaimRules,
  checkAlgorithms: (list: readonly string[], path: string) => string[],
): IssuerSet {
  for (const name of ['key', 'algorithms', 'issuer']) {
    if (options[name] !== undefined)
      throw new TypeError(
        `tokengate: options.${name} and options.issuers are mutually exclusive: with several issuers, give each its own issuer, key and algorithms in options.issuers`,
      )
  }
  if (typeof value === 'function')
    return resolverSet(value as IssuerResolverFn, common, checkAlgorithms)
  if (!Array.isArray(value) || value.length === 0)
    throw new TypeError(
      'tokengate: options.issuers must be a non-empty list of { issuer, key, algorithms, audience?, typ? }, or a function (iss) => entry | undefined',
    )
  const byIssuer = new Map<string, IssuerEntry>()
  for (const [i, entry] of value.entries()) {
    const resolved = resolveEntry(entry, `options.issuers.${i}`, common, checkAlgorithms)
    if (byIssuer.has(resolved.issuer))
      throw new TypeError(
        `tokengate: options.issuers.${i}.issuer repeats an earlier entry; list each issuer once`,
      )
    byIssuer.set(resolved.issuer, resolved)
  }
  const lookup = (claims: Readonly<Record<string, unknown>>): IssuerEntry => {
    const found = byIssuer.get(issOf(claims))
    // The value is the attacker's: it is not echoed.
    if (!found) throw unknownIssuer()
    return found
  }
  return {
    forToken: (jws) => lookup(unverifiedPayload(jws)),
    forClaims: lookup,
  }
}

/** One `{ issuer, key, algorithms, audience?, typ? }` entry at `where`, its keys resolved. */
function resolveEntry(
  entry: unknown,
  where: string,
  common: ClaimRules,
  checkAlgorithms: (list: readonly string[], path: string) => string[],
): IssuerEntry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
    throw new TypeError(`tokengate: ${where} must be an object { issuer, key, algorithms }`)
  const e = entry as Record<string, unknown>
  rejectUnknownOptions(e, ENTRY_MEMBERS, where, `an issuer takes { ${ENTRY_MEMBERS.join(', ')} }`)
  if (typeof e.issuer !== 'string' || e.issuer === '')
    throw new TypeError(
      `tokengate: ${where}.issuer must be the exact iss of its tokens (a non-empty string)`,
    )
  if (!Array.isArray(e.algorithms) || !e.algorithms.every((a) => typeof a === 'string'))
    throw new TypeError(`tokengate: ${where}.algorithms must be a non-empty list such as ['RS256']`)
  if (e.key === undefined || e.key === null)
    throw new TypeError(
      `tokengate: ${where}.key is required: a secret, PEM, JWK, CryptoKey, { jwks }, { jwksUri } or { discovery }`,
    )
  const discovery = (e.key as { discovery?: unknown }).discovery
  if (typeof discovery === 'string' && discovery !== e.issuer)
    throw new TypeError(
      `tokengate: ${where}.issuer must equal ${where}.key.discovery: the discovered issuer must be the token's iss`,
    )
  const algorithms = checkAlgorithms(e.algorithms as string[], `${where}.algorithms`)
  const keys = resolveKeys(e.key, algorithms, where)
  return {
    issuer: e.issuer,
    keys,
    algorithms: new Set(algorithms),
    claims: {
      ...common,
      issuers: [e.issuer],
      audiences: e.audience === undefined ? common.audiences : audiences(e.audience, where),
      typ: e.typ === undefined ? common.typ : typ(e.typ, where),
    },
  }
}

// ── issuers as a function (issue 15: tenants not known at start-up) ────────────────────────────
type IssuerResolverFn = (iss: string) => unknown

/** How many answers of the function are kept, and for how long (documented in the core README). */
export const ISSUER_LOOKUP = {
  /** Issuers whose entry is kept (least recently used dropped first). */
  max: 1000,
  /** An entry is asked for again after this long, so a tenant's changed keys are picked up. */
  ttlMs: 60 * 60 * 1000,
  /** Unknown issuers (`undefined`) kept apart, so a flood of made-up `iss` cannot evict tenants. */
  unknownMax: 1000,
  /** An unknown issuer is asked for again after this long (a tenant just signed up). */
  unknownTtlMs: 30 * 1000,
  /** A lookup that has not settled by then is 503 `keys_unavailable`. */
  timeoutMs: 5000,
} as const

/**
 * `options.issuers` as a function of the token's unverified `iss`. Its answer only chooses keys
 * and rules: the token is then verified with that entry's keys, and its `iss` must equal the
 * entry's `issuer` exactly. Answers are cached (bounded; concurrent lookups of one `iss` share one
 * call); `undefined` is 401 `issuer_unknown`, like an unlisted issuer; a function that throws,
 * rejects, does not settle within 5 s or answers an invalid entry is 503 `keys_unavailable`.
 */
function resolverSet(
  fn: IssuerResolverFn,
  common: ClaimRules,
  checkAlgorithms: (list: readonly string[], path: string) => string[],
): IssuerSet {
  // Each answer carries its own end (epoch ms), checked on read; the LRUs bound the count.
  const known = new Lru<string, { entry: IssuerEntry; until: number }>(
    ISSUER_LOOKUP.max,
    Number.POSITIVE_INFINITY,
    () => 0,
  )
  const unknown = new Lru<string, number>(
    ISSUER_LOOKUP.unknownMax,
    Number.POSITIVE_INFINITY,
    () => 0,
  )
  const fresh = <T>(cache: Lru<string, T>, iss: string, until: (value: T) => number) => {
    const value = cache.get(iss)
    if (value === undefined) return undefined
    if (until(value) > Date.now()) return value
    cache.delete(iss)
    return undefined
  }
  const inFlight = new Map<string, Promise<IssuerEntry | undefined>>()

  async function ask(iss: string): Promise<IssuerEntry | undefined> {
    let timer: ReturnType<typeof setTimeout> | undefined
    try {
      const answer = await Promise.race([
        Promise.resolve().then(() => fn(iss)),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new Error(`options.issuers did not answer within ${ISSUER_LOOKUP.timeoutMs} ms`),
              ),
            ISSUER_LOOKUP.timeoutMs,
          )
        }),
      ])
      if (answer === undefined) {
        unknown.set(iss, Date.now() + ISSUER_LOOKUP.unknownTtlMs)
        return undefined
      }
      const entry = resolveEntry(answer, 'options.issuers(iss)', common, checkAlgorithms)
      if (entry.issuer !== iss)
        throw new TypeError(
          'tokengate: options.issuers(iss) must answer the entry whose issuer is exactly the iss it was given, or undefined',
        )
      known.set(iss, { entry, until: Date.now() + ISSUER_LOOKUP.ttlMs })
      return entry
    } catch (cause) {
      // The app's lookup is down or broken: the token may be fine, so 503 (never 500, never a pass).
      throw new AuthError('keys_unavailable', 'the issuer lookup failed', { cause, retryAfter: 5 })
    } finally {
      clearTimeout(timer)
    }
  }

  const lookup = (
    claims: Readonly<Record<string, unknown>>,
  ): IssuerEntry | Promise<IssuerEntry> => {
    const iss = issOf(claims)
    const cached = fresh(known, iss, (v) => v.until)
    if (cached) return cached.entry
    if (iss === '' || fresh(unknown, iss, (until) => until) !== undefined) throw unknownIssuer()
    let pending = inFlight.get(iss)
    if (!pending) {
      pending = ask(iss).finally(() => inFlight.delete(iss))
      inFlight.set(iss, pending)
    }
    return pending.then((entry) => {
      if (!entry) throw unknownIssuer()
      return entry
    })
  }
  return {
    forToken: (jws) => lookup(unverifiedPayload(jws)),
    forClaims: lookup,
  }
}

function issOf(claims: Readonly<Record<string, unknown>>): string {
  const iss = claims.iss
  if (typeof iss !== 'string')
    throw new AuthError(
      'issuer_unknown',
      'the token has no iss claim, which is needed to choose among the configured issuers',
    )
  return iss
}

function unknownIssuer(): AuthError {
  return new AuthError('issuer_unknown', 'the token issuer is not a configured issuer')
}

/** The payload of a compact JWS whose shape was already checked: decoded only, nothing trusted. */
function unverifiedPayload(jws: string): Record<string, unknown> {
  const start = jws.indexOf('.') + 1
  let bytes: Uint8Array
  try {
    bytes = decode(jws.slice(start, jws.indexOf('.', start)))
  } catch (cause) {
    throw new AuthError('token_malformed', 'the token payload is not valid JSON', { cause })
  }
  return parsePayloadObject(
    bytes,
    'token_malformed',
    'the token payload is not valid JSON',
    'the token payload is not a JSON object (RFC 7519 §7.2)',
  )
}

function audiences(value: unknown, where: string): string[] {
  const list = typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((a) => typeof a === 'string' && a !== '')
  )
    throw new TypeError(
      `tokengate: ${where}.audience must be a non-empty string or list of strings`,
    )
  return [...list]
}

function typ(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`tokengate: ${where}.typ must be a media type such as 'at+jwt'`)
  return normalizeTyp(value)
}
