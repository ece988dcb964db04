// Explain mode: expected against received for a token, read without trusting it (issue 16 item 2).
// Runs only after a decision, only with `explain: true`: never on the hot path of a plain setup.
import type { ExplainedTime, ExplainedValue, Explanation } from '../events.js'
import { decode as fromB64url } from '../util/base64url.js'
import type { KeySource } from '../keys/public-key.js'
import { decodeHeader } from '../token/compact.js'
import { normalizeTyp, type ClaimRules } from '../token/claims.js'

/** What the pipeline knew when it decided: the rules and keys the token was (to be) checked by. */
export interface ExplainInput {
  /** The compact JWS that was verified (the inner one of a nested JWE), if reached. */
  jws: string | undefined
  /** The verified claims, when verification succeeded. */
  claims: Readonly<Record<string, unknown>> | undefined
  /** The claim rules, allowlist and keys of the issuer the token was checked for. */
  rules: ClaimRules
  algorithms: ReadonlySet<string>
  keys: KeySource | undefined
  /** Seconds since the epoch. */
  now: number
}

/**
 * Builds the {@link Explanation}: each header member and registered claim against the
 * configuration, as `checkClaims` and `verifyJws` compare them (token/claims.ts, token/jws.ts).
 */
export function explain(input: ExplainInput): Explanation {
  const { rules, now } = input
  const tolerance = rules.clockTolerance
  const out: Explanation = {
    verified: input.claims !== undefined,
    now: Math.floor(now),
    clockTolerance: tolerance,
  }
  const header = input.jws === undefined ? undefined : readHeader(input.jws)
  const claims = input.claims ?? (input.jws === undefined ? undefined : readPayload(input.jws))
  if (header) {
    const alg = header.alg
    out.alg = {
      expected: [...input.algorithms],
      received: alg,
      ok: typeof alg === 'string' && input.algorithms.has(alg),
    }
    const typ = header.typ
    out.typ = {
      expected: rules.typ,
      received: typ,
      ok: rules.typ === undefined || (typeof typ === 'string' && normalizeTyp(typ) === rules.typ),
    }
    const described = input.keys?.describe?.() ?? []
    const fitting = described.filter((k) => typeof alg === 'string' && k.algorithms.includes(alg))
    const kid = header.kid
    const tried = fitting.filter((k) => kid === undefined || k.kid === undefined || k.kid === kid)
    out.kid = {
      expected: fitting.map((k) => k.kid).filter((k) => k !== undefined),
      received: kid,
      ok: tried.length > 0,
    }
    out.keys = {
      tried: tried.map((k) => ({
        ...(k.kid !== undefined && { kid: k.kid }),
        algorithms: [...k.algorithms],
      })),
      available: described.length,
    }
  }
  if (claims) {
    out.iss = compare(
      rules.issuers,
      claims.iss,
      (iss) => typeof iss === 'string' && rules.issuers!.includes(iss),
    )
    out.aud = compare(rules.audiences, claims.aud, (aud) =>
      typeof aud === 'string'
        ? rules.audiences!.includes(aud)
        : Array.isArray(aud) && aud.some((a) => rules.audiences!.includes(a as string)),
    )
    // The same comparisons as checkClaims (RFC 7519 §4.1.4, §4.1.5, §4.1.6).
    out.exp = time(claims.exp, now, (v) => v > now - tolerance, rules.requireExp)
    out.nbf = time(claims.nbf, now, (v) => v <= now + tolerance, false)
    const iat = time(claims.iat, now, (v) => v <= now + tolerance, rules.maxTokenAge !== undefined)
    if (rules.maxTokenAge !== undefined) {
      const limit =
        typeof claims.iat === 'number' ? claims.iat + rules.maxTokenAge + tolerance : NaN
      out.iat = { ...iat, ok: iat.ok && now < limit, maxTokenAge: rules.maxTokenAge }
    } else {
      out.iat = iat
    }
  }
  return out
}

/** A one-line summary of what failed (for the cause's message and DEBUG logs). */
export function summarize(e: Explanation): string {
  const parts: string[] = []
  for (const name of ['alg', 'typ', 'kid', 'iss', 'aud'] as const) {
    const line = e[name]
    if (line && !line.ok)
      parts.push(`${name}: expected ${show(line.expected)}, received ${show(line.received)}`)
  }
  for (const name of ['exp', 'nbf', 'iat'] as const) {
    const line = e[name]
    if (line && !line.ok)
      parts.push(
        line.value === undefined
          ? `${name}: missing`
          : `${name}: ${show(line.value)} is ${describeDelta(line.delta ?? 0)} (now ${e.now}, tolerance ${e.clockTolerance}s)`,
      )
  }
  if (!e.verified) parts.push('claims shown unverified')
  return parts.length > 0 ? parts.join('; ') : 'every explained value matches'
}

function compare(
  expected: readonly string[] | undefined,
  received: unknown,
  ok: (value: unknown) => boolean,
): ExplainedValue {
  return { expected, received, ok: expected === undefined || ok(received) }
}

function time(
  value: unknown,
  now: number,
  ok: (value: number) => boolean,
  required: boolean,
): ExplainedTime {
  if (value === undefined) return { value, ok: !required }
  if (typeof value !== 'number' || !Number.isFinite(value)) return { value, ok: false }
  return { value, delta: Math.round(value - now), ok: ok(value) }
}

function describeDelta(delta: number): string {
  return delta < 0 ? `${-delta}s in the past` : `${delta}s in the future`
}

function show(value: unknown): string {
  if (value === undefined) return '(none)'
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 200 ? `${text.slice(0, 200)}…` : text
}

function readHeader(jws: string): Record<string, unknown> | undefined {
  try {
    return decodeHeader(jws.slice(0, jws.indexOf('.')))
  } catch {
    return undefined
  }
}

/** The payload, decoded without verifying it: explain mode marks it `verified: false`. */
function readPayload(jws: string): Record<string, unknown> | undefined {
  try {
    const segment = jws.split('.')[1] ?? ''
    const value: unknown = JSON.parse(new TextDecoder().decode(fromB64url(segment)))
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}
