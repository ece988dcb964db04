// `tokengate explain`: one token through the real pipeline of an app's own configuration, step by
// step, with the reason for a refusal and what was expected against what the token carries.
import { AuthError, createAuthenticator, isAuthError } from '@tokengate/core'
import type { AuthContext, AuthenticatorOptions } from '@tokengate/core'
import { loadConfig } from '../config.js'
import { UsageError } from '../io.js'
import type { Command } from './command.js'
import { inspectToken } from './inspect.js'

/** The pipeline's steps in the order run() takes them (packages/core/src/authenticate.ts). */
export const STEPS = [
  'extract',
  'csrf',
  'dpop',
  'decrypt',
  'verify',
  'claims',
  'revocation',
] as const
/** A step of the pipeline. */
export type Step = (typeof STEPS)[number]

/** The step each refusal code comes from, for a core that reports only the code. */
const STEP_OF_CODE: Record<string, Step> = {
  token_missing: 'extract',
  invalid_request: 'extract',
  multiple_tokens: 'extract',
  token_too_large: 'extract',
  csrf_rejected: 'csrf',
  invalid_dpop_proof: 'dpop',
  dpop_required: 'dpop',
  replay_check_unavailable: 'dpop',
  decryption_failed: 'decrypt',
  encryption_required: 'decrypt',
  signature_required: 'decrypt',
  token_malformed: 'verify',
  alg_not_allowed: 'verify',
  signature_invalid: 'verify',
  key_not_found: 'verify',
  kid_required: 'verify',
  keys_unavailable: 'verify',
  issuer_unknown: 'verify',
  token_expired: 'claims',
  token_not_yet_valid: 'claims',
  claim_invalid: 'claims',
  token_revoked: 'revocation',
  revocation_unavailable: 'revocation',
}

/** One step as explain reports it. */
export interface StepReport {
  step: Step
  status: 'passed' | 'failed' | 'skipped' | 'not reached'
  detail: string
  /** For a failure: what the configuration expects against what the token carries. */
  expected?: unknown
  received?: unknown
}

/** What `explain --json` prints. */
export interface Explanation {
  outcome: 'accepted' | 'refused'
  steps: StepReport[]
  /** For a refusal: the stable code, the HTTP status and the response an app would send. */
  code?: string
  status?: number
  description?: string
  /** The error's cause (a key fetch's reason, a jose error), never sent to a client. */
  cause?: string
  /** For an acceptance: the verified subject, issuer, audience, scopes and roles. */
  context?: { sub?: unknown; iss?: unknown; aud?: unknown; scopes: string[]; roles: string[] }
}

interface RequestShape {
  method: string
  url: string
  headers: Record<string, string>
  /** Where the token is put: the Authorization header, or the configured cookie. */
  via: string
}

function requestFor(
  options: AuthenticatorOptions,
  token: string,
  method: string,
  url: string,
  extra: Record<string, string>,
): RequestShape {
  const from = (options as { from?: { header?: boolean; cookie?: string } }).from
  const dpop = (options as { dpop?: { mode?: string } }).dpop
  const headers: Record<string, string> = { ...extra }
  if (from?.header === false && typeof from.cookie === 'string') {
    headers.cookie = `${from.cookie}=${token}`
    return { method, url, headers, via: `the ${from.cookie} cookie` }
  }
  // A DPoP-bound token travels with the DPoP scheme when a proof is given (RFC 9449 §7.1).
  const scheme = dpop && dpop.mode !== 'disabled' && headers.dpop ? 'DPoP' : 'Bearer'
  headers.authorization = `${scheme} ${token}`
  return { method, url, headers, via: `the Authorization header (${scheme})` }
}

/** What the token says for the claim or header member a refusal names, against the config. */
function expectation(
  error: AuthError,
  options: Record<string, unknown>,
  token: string,
  now: number,
): Pick<StepReport, 'expected' | 'received'> {
  let decoded: ReturnType<typeof inspectToken> | undefined
  try {
    decoded = inspectToken(token, now)
  } catch {
    return {}
  }
  const claims = decoded.claims ?? {}
  const m = error.description
  if (/\baud\b/.test(m)) return { expected: options.audience, received: claims.aud }
  if (/\biss\b/.test(m) || error.code === 'issuer_unknown')
    return {
      expected:
        options.issuer ?? (options.issuers as Array<{ issuer: string }>)?.map((i) => i.issuer),
      received: claims.iss,
    }
  if (/\btyp\b/.test(m)) return { expected: options.typ, received: decoded.header.typ }
  if (error.code === 'alg_not_allowed')
    return { expected: options.algorithms, received: decoded.header.alg }
  if (error.code === 'key_not_found')
    return { received: { kid: decoded.header.kid, alg: decoded.header.alg } }
  if (error.code === 'token_expired' || /\bexp\b/.test(m))
    return {
      expected: `exp after now (${new Date(now * 1000).toISOString()}) minus clockTolerance`,
      received: decoded.times.exp
        ? `${decoded.times.exp.date} (${decoded.times.exp.relative})`
        : claims.exp,
    }
  if (error.code === 'token_not_yet_valid')
    return {
      expected: 'nbf at or before now plus clockTolerance',
      received: decoded.times.nbf?.date,
    }
  return {}
}

/** Runs `token` through an authenticator built from `options` and reports every step. */
export async function explainToken(
  options: AuthenticatorOptions,
  token: string,
  request: { method: string; url: string; headers: Record<string, string> },
  now: number,
): Promise<Explanation> {
  const shape = requestFor(options, token, request.method, request.url, request.headers)
  const o = options as unknown as Record<string, unknown>
  const applies: Record<Step, boolean> = {
    extract: true,
    csrf: shape.via.endsWith('cookie') && !['GET', 'HEAD', 'OPTIONS'].includes(shape.method),
    dpop: typeof o.dpop === 'object' && (o.dpop as { mode?: string }).mode !== 'disabled',
    decrypt: token.split('.').length === 5,
    verify: true,
    claims: true,
    revocation: o.revocation !== undefined || o.isRevoked !== undefined,
  }
  // Start-up: the core refuses a bad configuration here, with the option and the fix (exit 1).
  const authenticator = createAuthenticator({ ...options, cache: false } as AuthenticatorOptions)
  let ctx: AuthContext | null = null
  let failure: AuthError | undefined
  try {
    ctx = await authenticator.authenticate({
      method: shape.method,
      url: shape.url,
      headers: shape.headers,
    })
  } catch (err) {
    if (!isAuthError(err)) throw err
    failure = err
  }
  const failedStep = failure ? (STEP_OF_CODE[failure.code] ?? 'verify') : undefined
  const steps: StepReport[] = []
  let reached = true
  for (const step of STEPS) {
    if (!applies[step]) {
      steps.push({ step, status: 'skipped', detail: skippedReason(step) })
      continue
    }
    if (!reached) {
      steps.push({ step, status: 'not reached', detail: '' })
      continue
    }
    if (failure && step === failedStep) {
      steps.push({
        step,
        status: 'failed',
        detail: `${failure.code}: ${failure.description}`,
        ...expectation(failure, o, token, now),
      })
      reached = false
      continue
    }
    steps.push({ step, status: 'passed', detail: passedDetail(step, shape, ctx, token) })
  }
  if (failure) {
    const cause = failure.cause instanceof Error ? failure.cause.message : undefined
    return {
      outcome: 'refused',
      steps,
      code: failure.code,
      status: failure.status,
      description: failure.description,
      ...(cause !== undefined && { cause }),
    }
  }
  const payload = (ctx?.payload ?? {}) as Record<string, unknown>
  return {
    outcome: 'accepted',
    steps,
    context: {
      sub: payload.sub,
      iss: payload.iss,
      aud: payload.aud,
      scopes: ctx?.scopes ?? [],
      roles: ctx?.roles ?? [],
    },
  }
}

function skippedReason(step: Step): string {
  switch (step) {
    case 'csrf':
      return 'only for a cookie-borne token on an unsafe method'
    case 'dpop':
      return 'dpop is not configured'
    case 'decrypt':
      return 'a JWS (signed, not encrypted)'
    case 'revocation':
      return 'no revocation store or isRevoked hook configured'
    default:
      return ''
  }
}

function passedDetail(
  step: Step,
  shape: RequestShape,
  ctx: AuthContext | null,
  token: string,
): string {
  let header: Record<string, unknown> | undefined = ctx?.protectedHeader
  if (header === undefined && token.split('.').length === 3) {
    try {
      header = inspectToken(token, 0).header
    } catch {
      header = undefined
    }
  }
  switch (step) {
    case 'extract':
      return `read from ${shape.via}`
    case 'csrf':
      return 'same-origin request'
    case 'dpop':
      return 'proof checked'
    case 'decrypt':
      return ctx?.encryption
        ? `decrypted (${String(ctx.encryption.protectedHeader.alg)}, ${String(ctx.encryption.protectedHeader.enc)})`
        : 'decrypted'
    case 'verify':
      return header
        ? `${String(header.alg)} signature checked${header.kid !== undefined ? ` with kid ${JSON.stringify(header.kid)}` : ''}`
        : 'signature checked'
    case 'claims':
      return 'exp, nbf, iat, iss, aud, typ and required claims as configured'
    case 'revocation':
      return 'not revoked'
  }
}

/** `tokengate explain --config <file> <token|->`. */
export const explain: Command = {
  name: 'explain',
  summary: 'run a token through your configuration and show each step, and why it is refused',
  usage: 'tokengate explain --config <file> <token | -> [--json]',
  help: `Loads your authenticator options from a config module and runs the token through
tokengate's real pipeline (createAuthenticator, authenticate): each step passed or failed, the
refusal's code and reason, and what was expected against what the token carries. Nothing is
sent to a client; the verdict is the one your API gives.

  --config, -c <file>     an ES module or CommonJS file whose default export (module.exports)
                          is the authenticator options, or a function returning them
  <token>                 the compact token; "-" reads it from stdin
  --method <method>       the request method (default GET)
  --url <url>             the request URL (default /)
  --header 'Name: value'  an extra request header (repeat): a DPoP proof, an Origin...

Exit codes: 0 accepted, 1 refused (or the configuration fails start-up), 2 usage error.`,
  options: {
    config: { type: 'string', short: 'c' },
    method: { type: 'string' },
    url: { type: 'string' },
    header: { type: 'string', multiple: true },
  },
  async run({ positionals, values, io, out, json, cwd, now }) {
    if (values.config === undefined) throw new UsageError('explain needs --config <file>')
    if (positionals.length !== 1)
      throw new UsageError('explain takes one token (or "-" to read it from stdin)')
    const arg = positionals[0] as string
    const token = (arg === '-' ? await io.readStdin() : arg)
      .trim()
      .replace(/^(Bearer|DPoP)\s+/i, '')
    const headers: Record<string, string> = {}
    for (const h of (values.header as string[] | undefined) ?? []) {
      const colon = h.indexOf(':')
      if (colon <= 0)
        throw new UsageError(`--header ${JSON.stringify(h)}: write it as 'Name: value'`)
      headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim()
    }
    const options = await loadConfig(values.config as string, cwd)
    const req = {
      method: ((values.method as string | undefined) ?? 'GET').toUpperCase(),
      url: (values.url as string | undefined) ?? '/',
      headers,
    }
    const result = await explainToken(options, token, req, now())
    if (json) {
      io.stdout(JSON.stringify(result, null, 2) + '\n')
      return result.outcome === 'accepted' ? 0 : 1
    }
    const width = Math.max(...STEPS.map((s) => s.length))
    const lines: string[] = [
      out.bold(`tokengate explain  ${values.config as string}`) +
        out.dim(`  ${token.length} characters, ${req.method} ${req.url}`),
    ]
    for (const s of result.steps) {
      const mark =
        s.status === 'passed'
          ? out.green('passed ')
          : s.status === 'failed'
            ? out.red('FAILED ')
            : out.dim(s.status === 'skipped' ? 'skipped' : '   -   ')
      const text = s.status === 'passed' || s.status === 'failed' ? s.detail : out.dim(s.detail)
      lines.push(`  ${mark}  ${s.step.padEnd(width)}  ${text}`.trimEnd())
      if ('expected' in s || 'received' in s) {
        const pad = ' '.repeat(width + 13)
        if (s.expected !== undefined) lines.push(`${pad}expected  ${out.green(show(s.expected))}`)
        lines.push(`${pad}received  ${out.red(show(s.received))}`)
      }
    }
    if (result.outcome === 'accepted') {
      const c = result.context!
      lines.push(
        '',
        `${out.green(out.bold('accepted'))}  sub ${show(c.sub)}, iss ${show(c.iss)}, aud ${show(c.aud)}, scopes [${c.scopes.join(' ')}], roles [${c.roles.join(' ')}]`,
      )
    } else {
      lines.push(
        '',
        `${out.red(out.bold('refused'))}  ${result.status} ${result.code}: ${result.description}`,
      )
      if (result.cause) lines.push(`  cause: ${result.cause}`)
    }
    io.stdout(lines.join('\n') + '\n')
    return result.outcome === 'accepted' ? 0 : 1
  },
}

function show(value: unknown): string {
  return value === undefined ? '(absent)' : JSON.stringify(value)
}
