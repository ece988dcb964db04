// Several trusted issuers: `options.issuers` resolved at start-up, and the token's `iss` choosing one.
import { normalizeTyp, type ClaimRules } from '../token/claims.js'
import { AuthError } from '../errors.js'
import { decodeJwkMember } from '../keys/check.js'
import type { KeySource } from '../keys/public-key.js'
import { resolveKeys } from '../keys/source.js'

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
   * throws 401 `issuer_unknown` for a missing or unlisted issuer, before any key is fetched.
   */
  forToken(jws: string): IssuerEntry
  /** The same for claims already in hand (an encrypted-only token's JWE plaintext). */
  forClaims(claims: Readonly<Record<string, unknown>>): IssuerEntry
}

/** The top-level key source when issuers are configured: never reached, refuses if it were. */
export const NO_KEYS: KeySource = {
  select() {
    throw new AuthError('issuer_unknown', 'no issuer was chosen for this token')
  },
}

const ENTRY_MEMBERS = ['issuer', 'key', 'algorithms', 'audience', 'typ']
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * Validates `options.issuers` against the rest of the options and resolves each entry's keys.
 * `common` holds the claim rules every issuer shares; `checkAlgorithms` is the allowlist check of
 * `options.algorithms`. Throws a TypeError naming the entry and the fix.
 *
 * @example
 * const issuers = resolveIssuers([{ issuer, key: { jwksUri }, algorithms: ['RS256'] }], options, rules, check)
 */
export function resolveIssuers(
  value: unknown,
  options: Readonly<Record<string, unknown>>,
  common: ClaimRules,
  checkAlgorithms: (list: readonly string[]) => string[],
): IssuerSet {
  for (const name of ['key', 'algorithms', 'issuer']) {
    if (options[name] !== undefined)
      throw new TypeError(
        `tokengate: options.${name} and options.issuers are mutually exclusive: with several issuers, give each its own issuer, key and algorithms in options.issuers`,
      )
  }
  if (!Array.isArray(value) || value.length === 0)
    throw new TypeError(
      'tokengate: options.issuers must be a non-empty list of { issuer, key, algorithms, audience?, typ? }',
    )
  const byIssuer = new Map<string, IssuerEntry>()
  for (const [i, entry] of value.entries()) {
    const where = `options.issuers.${i}`
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new TypeError(`tokengate: ${where} must be an object { issuer, key, algorithms }`)
    const e = entry as Record<string, unknown>
    const extra = Object.keys(e).filter((k) => !ENTRY_MEMBERS.includes(k))
    if (extra.length > 0)
      throw new TypeError(
        `tokengate: unknown option ${extra.map((k) => `${where}.${k}`).join(', ')}: an issuer takes { ${ENTRY_MEMBERS.join(', ')} }`,
      )
    if (typeof e.issuer !== 'string' || e.issuer === '')
      throw new TypeError(
        `tokengate: ${where}.issuer must be the exact iss of its tokens (a non-empty string)`,
      )
    if (byIssuer.has(e.issuer))
      throw new TypeError(
        `tokengate: ${where}.issuer repeats an earlier entry; list each issuer once`,
      )
    if (!Array.isArray(e.algorithms) || !e.algorithms.every((a) => typeof a === 'string'))
      throw new TypeError(
        `tokengate: ${where}.algorithms must be a non-empty list such as ['RS256']`,
      )
    if (e.key === undefined || e.key === null)
      throw new TypeError(
        `tokengate: ${where}.key is required: a secret, PEM, JWK, CryptoKey, { jwks }, { jwksUri } or { discovery }`,
      )
    const discovery = (e.key as { discovery?: unknown }).discovery
    if (typeof discovery === 'string' && discovery !== e.issuer)
      throw new TypeError(
        `tokengate: ${where}.issuer must equal ${where}.key.discovery: the discovered issuer must be the token's iss`,
      )
    const algorithms = renamed(where, () => checkAlgorithms(e.algorithms as string[]))
    const keys = renamed(where, () => resolveKeys(e.key, algorithms))
    byIssuer.set(e.issuer, {
      issuer: e.issuer,
      keys,
      algorithms: new Set(algorithms),
      claims: {
        ...common,
        issuers: [e.issuer],
        audiences: e.audience === undefined ? common.audiences : audiences(e.audience, where),
        typ: e.typ === undefined ? common.typ : typ(e.typ, where),
      },
    })
  }
  const lookup = (claims: Readonly<Record<string, unknown>>): IssuerEntry => {
    const iss = claims.iss
    if (typeof iss !== 'string')
      throw new AuthError(
        'issuer_unknown',
        'the token has no iss claim, which is needed to choose among the configured issuers',
      )
    const found = byIssuer.get(iss)
    // The value is the attacker's: it is not echoed.
    if (!found) throw new AuthError('issuer_unknown', 'the token issuer is not a configured issuer')
    return found
  }
  return {
    forToken: (jws) => lookup(unverifiedPayload(jws)),
    forClaims: lookup,
  }
}

/** The payload of a compact JWS whose shape was already checked: decoded only, nothing trusted. */
function unverifiedPayload(jws: string): Record<string, unknown> {
  const start = jws.indexOf('.') + 1
  let payload: unknown
  try {
    // The shape is canonical base64url already; an undecodable segment fails JSON.parse below.
    const bytes = decodeJwkMember(jws.slice(start, jws.indexOf('.', start)))
    payload = JSON.parse(decoder.decode(bytes ?? new Uint8Array()))
  } catch (cause) {
    throw new AuthError('token_malformed', 'the token payload is not valid JSON', { cause })
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw new AuthError('token_malformed', 'the token payload is not a JSON object (RFC 7519 §7.2)')
  return payload as Record<string, unknown>
}

/** Runs a check written for top-level options and names the entry in its message instead. */
function renamed<T>(where: string, check: () => T): T {
  try {
    return check()
  } catch (err) {
    if (err instanceof TypeError)
      throw new TypeError(err.message.replace(/options\.(key|algorithms)\b/g, `${where}.$1`))
    throw err
  }
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
