// Claims: payload shape, registered claims (RFC 7519 §4.1), typ (RFC 7515 §4.1.9), zod schema, roles and scopes.
import { AuthError } from '../errors.js'
import type { ClaimsSchema } from '../types.js'
import { parsePayloadObject } from './compact.js'

export interface ClaimRules {
  issuers: readonly string[] | undefined
  audiences: readonly string[] | undefined
  /** Seconds. */
  clockTolerance: number
  /** Seconds; requires `iat`. */
  maxTokenAge: number | undefined
  /** Normalised with {@link normalizeTyp}. */
  typ: string | undefined
  requiredClaims: readonly string[]
  requireExp: boolean
}

/** Parses the JWS payload: it must be a JSON object (RFC 7519 §7.2 step 10). */
export function parsePayload(bytes: Uint8Array): Record<string, unknown> {
  // No cause (compact.ts): the parser's message quotes the text, and a nested token's payload is plaintext.
  return parsePayloadObject(
    bytes,
    'token_malformed',
    'the token payload is not valid JSON',
    'the token payload is not a JSON object (RFC 7519 §7.2)',
  )
}

/**
 * RFC 7515 §4.1.9: media types are case-insensitive and `application/` may be omitted, so
 * `at+JWT`, `application/at+jwt` and `AT+JWT` all name the same type.
 */
export function normalizeTyp(typ: string): string {
  const lower = typ.toLowerCase()
  return lower.startsWith('application/') ? lower.slice(12) : lower
}

/**
 * Checks the registered claims and `typ` at `now` (seconds); returns the time (seconds) after which
 * the result must not be reused (the cache bound), or `Infinity`.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  typ: unknown,
  rules: ClaimRules,
  now: number,
): number {
  const tolerance = rules.clockTolerance
  if (rules.typ !== undefined && (typeof typ !== 'string' || normalizeTyp(typ) !== rules.typ)) {
    throw new AuthError(
      'claim_invalid',
      'the token typ header is not the expected type (RFC 7515 §4.1.9)',
    )
  }
  const exp = timeClaim(payload, 'exp')
  const nbf = timeClaim(payload, 'nbf')
  const iat = timeClaim(payload, 'iat')
  let notAfter = Number.POSITIVE_INFINITY
  if (exp === undefined) {
    if (rules.requireExp)
      throw new AuthError(
        'claim_invalid',
        'claim exp is required (set requireExp: false to accept tokens without it)',
      )
  } else {
    // RFC 7519 §4.1.4: the token MUST NOT be accepted on or after exp.
    if (exp <= now - tolerance) throw new AuthError('token_expired', 'the token has expired')
    notAfter = exp + tolerance
  }
  if (nbf !== undefined && nbf > now + tolerance)
    throw new AuthError('token_not_yet_valid', 'the token is not valid yet (nbf)')
  if (iat !== undefined && iat > now + tolerance)
    throw new AuthError('claim_invalid', 'claim iat is in the future')
  if (rules.maxTokenAge !== undefined) {
    if (iat === undefined)
      throw new AuthError('claim_invalid', 'claim iat is required (maxTokenAge is set)')
    const limit = iat + rules.maxTokenAge + tolerance
    if (now >= limit) throw new AuthError('token_expired', 'the token is older than maxTokenAge')
    if (limit < notAfter) notAfter = limit
  }
  const iss = payload.iss
  if (iss !== undefined && typeof iss !== 'string')
    throw new AuthError('claim_invalid', 'claim iss is not a string')
  if (rules.issuers && (typeof iss !== 'string' || !rules.issuers.includes(iss))) {
    throw new AuthError(
      'claim_invalid',
      iss === undefined ? 'claim iss is required' : 'claim iss is not an accepted issuer',
    )
  }
  const aud = payload.aud
  if (
    aud !== undefined &&
    typeof aud !== 'string' &&
    !(Array.isArray(aud) && aud.every((a) => typeof a === 'string'))
  ) {
    throw new AuthError('claim_invalid', 'claim aud is not a string or an array of strings')
  }
  if (rules.audiences) {
    // RFC 7519 §4.1.3: accepted when one of the token's audiences is ours.
    const ok =
      typeof aud === 'string'
        ? rules.audiences.includes(aud)
        : Array.isArray(aud) && aud.some((a) => rules.audiences!.includes(a as string))
    if (!ok)
      throw new AuthError(
        'claim_invalid',
        aud === undefined ? 'claim aud is required' : 'claim aud does not include this audience',
      )
  }
  if (payload.sub !== undefined && typeof payload.sub !== 'string')
    throw new AuthError('claim_invalid', 'claim sub is not a string')
  if (payload.jti !== undefined && typeof payload.jti !== 'string')
    throw new AuthError('claim_invalid', 'claim jti is not a string')
  for (const name of rules.requiredClaims) {
    if (payload[name] === undefined)
      throw new AuthError('claim_invalid', `claim ${printable(name)} is required`)
  }
  return notAfter
}

// RFC 7519 §2 NumericDate: a finite JSON number (JSON.parse turns 1e400 into Infinity, refused here).
function timeClaim(
  payload: Record<string, unknown>,
  name: 'exp' | 'nbf' | 'iat',
): number | undefined {
  const value = payload[name]
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new AuthError('claim_invalid', `claim ${name} is not a finite NumericDate (RFC 7519 §2)`)
  }
  return value
}

/**
 * Runs the zod schema; a failure names the first failing path and the issue code, never a value.
 * A `transform`, `refine` or `superRefine` that throws (or rejects) is the app's verdict on these
 * claims, not a server fault: it is `claim_invalid` too, with the thrown error in `cause` only
 * (its message may quote the claims, so it never reaches the response).
 *
 * Always `safeParseAsync`, never a synchronous attempt first: on meeting an async refinement,
 * zod's synchronous parse throws and abandons the Promise the refinement returned, and when that
 * Promise rejects nobody handles it; on Node an unhandled rejection ends the process.
 * The schema's own method, not zod's `safeParseAsync` function: the core imports no zod at run
 * time (an optional peer, needed only by apps that pass `claims`; issue 14 item 4).
 */
export async function applySchema<C>(
  schema: ClaimsSchema<C>,
  payload: Record<string, unknown>,
): Promise<C> {
  let result: Awaited<ReturnType<ClaimsSchema<C>['safeParseAsync']>>
  try {
    result = await schema.safeParseAsync(payload)
  } catch (cause) {
    throw new AuthError('claim_invalid', 'the claims schema threw while checking the claims', {
      cause,
    })
  }
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const path = issue && issue.path.length > 0 ? schemaPath(schema, issue.path) : '(payload)'
  throw new AuthError(
    'claim_invalid',
    `claim ${path} fails the claims schema (${issue?.code ?? 'invalid'})`,
    { cause: result.error },
  )
}

/**
 * Reads a claim by dotted path (`realm_access.roles`); a claim whose full name contains dots
 * (`https://example.com/roles`, Auth0 style) is found first.
 */
export function readPath(
  payload: Record<string, unknown>,
  path: string,
  segments: readonly string[],
): unknown {
  if (Object.hasOwn(payload, path)) return payload[path]
  let value: unknown = payload
  for (const segment of segments) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined
    value = Object.hasOwn(value, segment) ? (value as Record<string, unknown>)[segment] : undefined
  }
  return value
}

/** Roles: a string or an array (non-string entries are ignored, so they grant nothing). */
export function toRoles(value: unknown): string[] {
  if (typeof value === 'string') return value === '' ? [] : [value]
  if (Array.isArray(value)) return value.filter((r): r is string => typeof r === 'string')
  return []
}

/** Scopes: `scope` space-delimited (RFC 8693 §4.2, RFC 9068 §2.2.3), else `scp` as array or string. */
export function toScopes(payload: Record<string, unknown>): string[] {
  const scope = payload.scope
  if (typeof scope === 'string') return splitScopes(scope)
  const scp = payload.scp
  if (typeof scp === 'string') return splitScopes(scp)
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string')
  return []
}

function splitScopes(value: string): string[] {
  const parts = value.split(' ')
  // Usually single spaces and none at the ends: nothing to drop, no second array (perf, issue 17).
  for (const part of parts) if (part === '') return parts.filter((s) => s !== '')
  return parts
}

/**
 * The failing path as the app's schema names it. The description goes into `WWW-Authenticate`,
 * and nothing of the token may be reflected there (issue 12 "Also"): a member the schema declares
 * is printed, an array index too, but a key the token chose (a `z.record` key, a `catchall`
 * member) is `*`. Walks zod 4's schema definition (`_zod.def`); anything it does not know ends the
 * walk, and what follows is `*`.
 */
function schemaPath(schema: unknown, path: readonly PropertyKey[]): string {
  let current: unknown = schema
  return path
    .map((segment) => {
      const def = unwrap(current)
      if (typeof segment === 'number') {
        current =
          def?.type === 'array'
            ? def.element
            : def?.type === 'tuple'
              ? def.items?.[segment]
              : undefined
        return String(segment)
      }
      if (
        def?.type === 'object' &&
        typeof segment === 'string' &&
        def.shape &&
        Object.hasOwn(def.shape, segment)
      ) {
        current = def.shape[segment]
        return printable(segment)
      }
      current =
        def?.type === 'record' ? def.valueType : def?.type === 'object' ? def.catchall : undefined
      return '*'
    })
    .join('.')
}

interface SchemaDef {
  type?: string
  shape?: Record<string, unknown>
  catchall?: unknown
  element?: unknown
  items?: unknown[]
  valueType?: unknown
  innerType?: unknown
  in?: unknown
}

/** The definition under optional, nullable, default, readonly, catch and pipe wrappers. */
function unwrap(schema: unknown): SchemaDef | undefined {
  let current = schema
  for (let depth = 0; depth < 32; depth++) {
    const def = (current as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def
    if (typeof def !== 'object' || def === null) return undefined
    if (def.innerType !== undefined) current = def.innerType
    else if (def.type === 'pipe') current = def.in
    else return def
  }
  return undefined
}

function printable(name: string): string {
  return /^[\w.:/+-]{1,64}$/.test(name) ? name : '(unprintable)'
}
