// `tokengate inspect`: a token decoded without trusting it (no key, no signature check), with the
// things a reader should notice. It never says a token is good: only `explain` runs the checks.
import { decodeJwt, decodeProtectedHeader } from 'jose'
import { isoDate, relative } from '../time.js'
import type { Command } from './command.js'
import { UsageError } from '../io.js'

/** Tokengate's default `maxTokenLength` (packages/core/src/request/extract.ts). */
const DEFAULT_MAX_TOKEN_LENGTH = 8192
/** Tokengate's default `maxLifetime` when issuing (packages/core/src/issuing/issue.ts). */
const LONG_LIFETIME = 24 * 3600
const TIME_CLAIMS = ['exp', 'nbf', 'iat', 'auth_time'] as const
const HMAC_MIN_BYTES: Record<string, number> = { HS256: 32, HS384: 48, HS512: 64 }

/** One thing the reader should know about the token. */
export interface Finding {
  /** A stable name for scripts (`no_exp`, `alg_none`, `expired`...). */
  code: string
  /** What it means, with the rule it comes from. */
  message: string
}

/** What `inspect --json` prints. */
export interface Inspection {
  /** `jws` (3 segments, signed), `jwe` (5 segments, encrypted). */
  kind: 'jws' | 'jwe'
  /** Characters in the token. */
  length: number
  /** The protected header (for a JWE, its JWE protected header). */
  header: Record<string, unknown>
  /** The claims; absent for a JWE (they are encrypted) or a payload that is not a JSON object. */
  claims?: Record<string, unknown>
  /** Each time claim as a date and a distance from now. */
  times: Record<string, { value: number; date: string; relative: string }>
  /** Always false: nothing was verified. */
  verified: false
  warnings: Finding[]
}

/** Decodes a compact JWS or JWE without verifying it; throws a message when it is neither. */
export function inspectToken(input: string, now: number): Inspection {
  const token = input.trim().replace(/^(Bearer|DPoP)\s+/i, '')
  const segments = token.split('.')
  if (segments.length !== 3 && segments.length !== 5)
    throw new Error(
      `not a compact JWS or JWE: ${segments.length} dot-separated segment${segments.length === 1 ? '' : 's'}, expected 3 (signed) or 5 (encrypted) (RFC 7515 §7.1, RFC 7516 §7.1)`,
    )
  const kind = segments.length === 3 ? 'jws' : 'jwe'
  let header: Record<string, unknown>
  try {
    header = decodeProtectedHeader(token) as Record<string, unknown>
  } catch (err) {
    throw new Error(`the protected header cannot be decoded: ${(err as Error).message}`)
  }
  const warnings: Finding[] = []
  const warn = (code: string, message: string) => warnings.push({ code, message })
  let claims: Record<string, unknown> | undefined
  if (kind === 'jws') {
    try {
      claims = decodeJwt(token) as Record<string, unknown>
    } catch (err) {
      warn('payload', `the payload is not a JSON object of claims: ${(err as Error).message}`)
    }
  }

  const times: Inspection['times'] = {}
  for (const name of TIME_CLAIMS) {
    const value = claims?.[name]
    if (value === undefined) continue
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      warn('time_claim', `${name} is not a NumericDate (a number of seconds, RFC 7519 §2)`)
      continue
    }
    times[name] = { value, date: isoDate(value), relative: relative(name, value, now) }
  }

  headerWarnings(kind, header, warn)
  if (claims) claimWarnings(claims, times, now, warn)
  if (token.length > DEFAULT_MAX_TOKEN_LENGTH)
    warn(
      'size',
      `${token.length} characters: longer than tokengate's default maxTokenLength (${DEFAULT_MAX_TOKEN_LENGTH}), refused as token_too_large unless the API raises it; many proxies cap headers at 8 KiB`,
    )
  else if (token.length > 4000)
    warn(
      'size',
      `${token.length} characters: too large for a cookie (browsers keep at most 4096 bytes per cookie, RFC 6265 §6.1)`,
    )
  return {
    kind,
    length: token.length,
    header,
    ...(claims && { claims }),
    times,
    verified: false,
    warnings,
  }
}

function headerWarnings(
  kind: 'jws' | 'jwe',
  header: Record<string, unknown>,
  warn: (code: string, message: string) => void,
): void {
  const alg = header.alg
  if (typeof alg !== 'string') warn('no_alg', 'the header has no alg (RFC 7515 §4.1.1)')
  else if (alg.toLowerCase() === 'none')
    warn(
      'alg_none',
      'alg "none": an unsigned token, which anyone can write; tokengate refuses it whatever the configuration (RFC 8725 §3.1)',
    )
  else if (kind === 'jws' && HMAC_MIN_BYTES[alg] !== undefined)
    warn(
      'hmac',
      `${alg}: signed with a shared secret; whether that secret has the ${HMAC_MIN_BYTES[alg]} bytes ${alg} needs (RFC 7518 §3.2) cannot be known from the token (tokengate refuses a shorter secret at start-up)`,
    )
  if (header.crit !== undefined)
    warn(
      'crit',
      `crit ${JSON.stringify(header.crit)}: a verifier must refuse a token whose critical extensions it does not implement (RFC 7515 §4.1.11); tokengate implements none and refuses it (token_malformed)`,
    )
  if (kind === 'jws' && header.b64 !== undefined && header.b64 !== true)
    warn('b64', 'b64: false (RFC 7797 unencoded payload): tokengate refuses it')
  for (const member of ['jku', 'x5u', 'jwk', 'x5c'])
    if (header[member] !== undefined)
      warn(
        'embedded_key',
        `the header carries ${member}: a key named or carried by the token proves nothing; tokengate never fetches or uses it (RFC 8725 §3.10)`,
      )
  if (header.kid === undefined)
    warn(
      'no_kid',
      'no kid: a verifier with several keys has to try them (tokengate tries at most 5 that fit the alg)',
    )
  else if (typeof header.kid !== 'string')
    warn('kid', 'kid is not a string (RFC 7515 §4.1.4): tokengate refuses it')
  const typ = header.typ
  if (kind === 'jwe') {
    if (header.zip !== undefined)
      warn(
        'zip',
        `zip "${String(header.zip)}": compressed before encryption; tokengate refuses it (RFC 8725 §3.6)`,
      )
    if (typeof header.p2c === 'number' && header.p2c > 10_000)
      warn(
        'p2c',
        `p2c ${header.p2c}: a PBES2 count over 10000 costs the verifier that many hash rounds; tokengate refuses it`,
      )
    if (header.cty === undefined)
      warn(
        'cty',
        'no cty: a nested signed JWT inside a JWE says cty "JWT" (RFC 7519 §5.2); without it the plaintext may be claims that nobody signed',
      )
    return
  }
  if (typ === undefined)
    warn(
      'no_typ',
      'no typ: access tokens carry typ "at+jwt" (RFC 9068 §2.1); explicit typing keeps an ID token or another JWT from passing as an access token (RFC 8725 §3.11)',
    )
  else if (
    typeof typ !== 'string' ||
    !/^(application\/)?(at\+jwt|jwt)$/i.test(typ) // RFC 7515 §4.1.9: the application/ prefix may be omitted
  )
    warn(
      'typ',
      `typ ${JSON.stringify(typ)}: not an access-token type ("at+jwt", RFC 9068 §2.1, or "JWT"); an API that sets typ refuses it`,
    )
}

function claimWarnings(
  claims: Record<string, unknown>,
  times: Inspection['times'],
  now: number,
  warn: (code: string, message: string) => void,
): void {
  const { exp, nbf, iat } = times
  if (claims.exp === undefined)
    warn(
      'no_exp',
      'no exp: the token never expires; tokengate refuses it unless the API sets requireExp: false (RFC 9068 §2.2 requires exp)',
    )
  else if (exp && exp.value <= now) warn('expired', exp.relative)
  if (nbf && nbf.value > now) warn('not_yet', `nbf: ${nbf.relative}`)
  if (iat && iat.value > now) warn('iat_future', `iat: ${iat.relative} (clock skew at the issuer?)`)
  if (exp && iat && exp.value - iat.value > LONG_LIFETIME)
    warn(
      'lifetime',
      `a lifetime of ${Math.round((exp.value - iat.value) / 3600)} h: an access token this long-lived is hard to take back (RFC 9700 §2.2.2 recommends short-lived tokens)`,
    )
  if (claims.iss === undefined) warn('no_iss', 'no iss: an API cannot tell who issued it')
  if (claims.aud === undefined)
    warn(
      'no_aud',
      'no aud: every API that trusts this issuer would take it (RFC 9068 §2.2 requires aud)',
    )
}

/** `tokengate inspect <token|->`. */
export const inspect: Command = {
  name: 'inspect',
  summary: 'decode a token without trusting it: header, claims, times, warnings',
  usage: 'tokengate inspect <token | -> [--json]',
  help: `Decodes a JWS (3 segments) or JWE (5 segments) without any key: the protected header, the
claims with times as dates ("expires in 14 min"), and warnings (no exp, alg none, typ, crit,
embedded keys, size). Nothing is verified: use \`tokengate explain\` for that.

  <token>   the compact token (a leading "Bearer " is ignored); "-" reads it from stdin

Exit codes: 0 decoded, 1 not a JWS or JWE, 2 usage error.`,
  options: {},
  async run({ positionals, io, out, json, now }) {
    if (positionals.length !== 1)
      throw new UsageError('inspect takes one token (or "-" to read it from stdin)')
    const arg = positionals[0] as string
    const token = arg === '-' ? await io.readStdin() : arg
    const at = now()
    let result: Inspection
    try {
      result = inspectToken(token, at)
    } catch (err) {
      if (json) io.stdout(JSON.stringify({ error: (err as Error).message }, null, 2) + '\n')
      else io.stderr(`tokengate inspect: ${(err as Error).message}\n`)
      return 1
    }
    if (json) {
      io.stdout(JSON.stringify(result, null, 2) + '\n')
      return 0
    }
    const lines: string[] = []
    const title =
      result.kind === 'jws'
        ? `JWS (signed), ${result.length} characters`
        : `JWE (encrypted), ${result.length} characters`
    lines.push(
      out.bold(title) + out.dim('  decoded only: the signature and claims were not checked'),
    )
    lines.push('', out.bold(result.kind === 'jwe' ? 'JWE protected header' : 'Header'))
    lines.push(indent(JSON.stringify(result.header, null, 2)))
    if (result.claims) {
      lines.push('', out.bold('Claims'))
      lines.push(indent(JSON.stringify(result.claims, null, 2)))
    } else if (result.kind === 'jwe') {
      lines.push('', out.dim('Claims: encrypted (only the key holder can read them)'))
    }
    const times = Object.entries(result.times)
    if (times.length > 0) {
      lines.push('', out.bold('Times'))
      for (const [name, t] of times) {
        const colour = name === 'exp' && t.value <= at ? out.red : (s: string) => s
        lines.push(`  ${name.padEnd(9)} ${t.date}  ${colour(t.relative)}`)
      }
    }
    if (result.warnings.length > 0) {
      lines.push('', out.bold('Warnings'))
      for (const w of result.warnings) lines.push(`  ${out.yellow('!')} ${w.message}`)
    }
    io.stdout(lines.join('\n') + '\n')
    return 0
  },
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n')
}
