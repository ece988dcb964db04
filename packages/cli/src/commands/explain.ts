// `tokengate explain`: one token through the real pipeline of an app's own configuration, step by
// step, with the reason for a refusal and what was expected against what the token carries.
import { createAuthenticator, isAuthError } from '@tokengate/core'
import type {
  AuthContext,
  Authenticator,
  AuthenticatorOptions,
  AuthError,
  DecisionEvent,
  DecisionStep,
  ExplainedTime,
  Explanation,
  KeyFailure,
} from '@tokengate/core'
import { loadConfig } from '../config.js'
import { UsageError } from '../io.js'
import type { Command } from './command.js'
import { isoDate, relative } from '../time.js'

/**
 * The pipeline's steps in the order run() takes them (packages/core/src/authenticate.ts), as its
 * decision events name them. The CLI turns the verified-token cache off, so `cache` never decides.
 */
export const STEPS: readonly DecisionStep[] = [
  'extract',
  'csrf',
  'dpop',
  'decrypt',
  'verify',
  'claims',
  'revocation',
  'binding',
]
/** A step of the pipeline, as the core's decision events name it. */
export type Step = DecisionStep

/** One value the core compared (explain mode): what the configuration expects, what the token has. */
export interface Compared {
  /** `alg`, `typ`, `kid`, `iss`, `aud`, `exp`, `nbf`, `iat`. */
  name: string
  expected: unknown
  received: unknown
  ok: boolean
}

/** One step as explain reports it. */
export interface StepReport {
  step: Step
  status: 'passed' | 'failed' | 'skipped' | 'not reached'
  detail: string
  /** For a failure: the first value that did not match, expected against received. */
  expected?: unknown
  received?: unknown
  /** For the verify and claims steps: every value the core compared. */
  compared?: Compared[]
}

/** What `explain --json` prints. */
export interface ExplainReport {
  outcome: 'accepted' | 'refused'
  steps: StepReport[]
  /** For a refusal: the stable code, the HTTP status and the description a client gets. */
  code?: string
  status?: number
  description?: string
  /** The real cause of a key failure (HTTP status, DNS, refused, timeout, bad JSON...). */
  keyFailure?: KeyFailure
  /** For an acceptance: the verified subject, issuer, audience, scopes and roles. */
  context?: { sub?: unknown; iss?: unknown; aud?: unknown; scopes: string[]; roles: string[] }
  /** The core's decision event, as `onDecision` received it (explain mode on). */
  event: DecisionEvent
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

/** The values of the core's explanation that belong to a step, in the order it checks them. */
function comparedAt(step: Step, e: Explanation | undefined): Compared[] {
  if (!e) return []
  const names =
    step === 'verify'
      ? (['alg', 'kid'] as const)
      : step === 'claims'
        ? (['typ', 'iss', 'aud'] as const)
        : []
  const out: Compared[] = []
  for (const name of names) {
    const line = e[name]
    if (line && (line.expected !== undefined || !line.ok))
      out.push({ name, expected: line.expected, received: line.received, ok: line.ok })
  }
  if (step === 'claims')
    for (const name of ['exp', 'nbf', 'iat'] as const) {
      const line = e[name]
      if (!line || (line.value === undefined && line.ok)) continue
      out.push({
        name,
        expected: timeRule(name, e, line),
        received:
          typeof line.value === 'number'
            ? `${isoDate(line.value)} (${relative(name, line.value, e.now)})`
            : line.value,
        ok: line.ok,
      })
    }
  return out
}

function timeRule(
  name: 'exp' | 'nbf' | 'iat',
  e: Explanation,
  line: ExplainedTime & { maxTokenAge?: number },
): string {
  const now = isoDate(e.now)
  const tolerance = `clockTolerance ${e.clockTolerance} s`
  if (line.value === undefined) return `${name} present`
  if (name === 'exp') return `after ${now} (now), ${tolerance}`
  if (line.maxTokenAge !== undefined)
    return `at or before now, and within maxTokenAge ${line.maxTokenAge} s, ${tolerance}`
  return `at or before ${now} (now), ${tolerance}`
}

/** Runs `token` through an authenticator built from `options` and reports every step. */
export async function explainToken(
  options: AuthenticatorOptions,
  token: string,
  request: { method: string; url: string; headers: Record<string, string> },
): Promise<ExplainReport> {
  const shape = requestFor(options, token, request.method, request.url, request.headers)
  const o = options as unknown as Record<string, unknown>
  const dpop = typeof o.dpop === 'object' && (o.dpop as { mode?: string }).mode !== 'disabled'
  const applies: Partial<Record<Step, boolean>> = {
    extract: true,
    csrf: shape.via.endsWith('cookie') && !['GET', 'HEAD', 'OPTIONS'].includes(shape.method),
    dpop,
    decrypt: token.split('.').length === 5,
    verify: true,
    claims: true,
    revocation: o.revocation !== undefined || o.isRevoked !== undefined,
    binding: dpop,
  }
  let event: DecisionEvent | undefined
  const app = o.onDecision as ((e: DecisionEvent) => void) | undefined
  // Start-up: the core refuses a bad configuration here, with the option and the fix (exit 1).
  // Explain mode's start-up warning is for apps that leave it on; here it is the point: muted.
  const warn = console.warn
  console.warn = () => undefined
  let authenticator: Authenticator
  try {
    authenticator = createAuthenticator({
      ...options,
      cache: false,
      explain: true,
      onDecision: (e: DecisionEvent) => {
        event = e
        app?.(e)
      },
    } as AuthenticatorOptions)
  } finally {
    console.warn = warn
  }
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
  if (event === undefined) throw new Error('the core reported no decision event')
  const decided = event
  const steps: StepReport[] = []
  let reached = true
  // A step this list does not know (introspection, from a later core) is shown where it decided.
  const order = STEPS.includes(decided.step)
    ? STEPS
    : [...STEPS.slice(0, 5), decided.step, ...STEPS.slice(5)]
  for (const step of order) {
    if (!applies[step] && decided.step !== step) {
      steps.push({ step, status: 'skipped', detail: skippedReason(step) })
      continue
    }
    if (!reached) {
      steps.push({ step, status: 'not reached', detail: '' })
      continue
    }
    const compared = comparedAt(step, decided.explain)
    if (failure && step === decided.step) {
      const first = compared.find((c) => !c.ok)
      steps.push({
        step,
        status: 'failed',
        detail: `${failure.code}: ${failure.description}`,
        ...(first && { expected: first.expected, received: first.received }),
        ...(compared.length > 0 && { compared }),
      })
      reached = false
      continue
    }
    steps.push({
      step,
      status: 'passed',
      detail: passedDetail(step, shape, decided, ctx),
      ...(compared.length > 0 && { compared }),
    })
  }
  if (failure) {
    return {
      outcome: 'refused',
      steps,
      code: failure.code,
      status: failure.status,
      description: failure.description,
      ...(decided.keyFailure && { keyFailure: decided.keyFailure }),
      event: decided,
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
    event: decided,
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
    case 'binding':
      return 'dpop is not configured'
    default:
      return ''
  }
}

function passedDetail(
  step: Step,
  shape: RequestShape,
  event: DecisionEvent,
  ctx: AuthContext | null,
): string {
  switch (step) {
    case 'extract':
      return `read from ${shape.via}`
    case 'csrf':
      return 'same-origin request'
    case 'dpop':
      return 'proof checked (RFC 9449 §4.3)'
    case 'decrypt':
      return ctx?.encryption
        ? `decrypted (${String(ctx.encryption.protectedHeader.alg)}, ${String(ctx.encryption.protectedHeader.enc)})`
        : 'decrypted'
    case 'verify':
      return `${event.alg ?? ''} signature checked${event.kid !== undefined ? ` with kid ${JSON.stringify(event.kid)}` : ''}`.trim()
    case 'claims':
      return 'registered claims, typ and the schema as configured'
    case 'revocation':
      return 'not revoked'
    case 'binding':
      return 'the token is bound to the proof key (cnf.jkt), the proof not replayed'
    default:
      return 'checked'
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
  async run({ positionals, values, io, out, json, cwd }) {
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
    const result = await explainToken(options, token, req)
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
      const pad = ' '.repeat(width + 13)
      for (const c of s.compared ?? []) {
        const name = c.name.padEnd(4)
        // Time claims come as sentences ("after 2026-12-06T20:54:13Z (now)..."), shown bare.
        const bare = ['exp', 'nbf', 'iat'].includes(c.name)
        const received = show(c.received, bare)
        if (s.status === 'passed') lines.push(`${pad}${out.dim(`${name} ${received}`)}`)
        else if (c.ok) lines.push(`${pad}${out.dim(`ok  ${name} ${received}`)}`)
        else {
          lines.push(
            `${pad}${out.red('no')}  ${name} expected  ${out.green(show(c.expected, bare))}`,
          )
          lines.push(`${pad}         received  ${out.red(received)}`)
        }
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
      const k = result.keyFailure
      if (k)
        lines.push(
          `  key failure: ${k.reason}${k.status !== undefined ? ` (HTTP ${k.status})` : ''}: ${k.message}${k.url ? ` [${k.url}]` : ''}`,
        )
    }
    io.stdout(lines.join('\n') + '\n')
    return result.outcome === 'accepted' ? 0 : 1
  },
}

function show(value: unknown, bare = false): string {
  if (value === undefined) return '(absent)'
  return bare && typeof value === 'string' ? value : JSON.stringify(value)
}
