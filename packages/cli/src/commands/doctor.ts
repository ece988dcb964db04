// `tokengate doctor`: what an issuer serves, checked the way tokengate will use it: discovery
// (OpenID Connect Discovery 1.0 §4, RFC 8414 §3), the JWKS (RFC 7517 §5), its cache headers, its
// keys against the allowed algorithms, kids, the server's clock; then tokengate's own key fetch.
import {
  ASYMMETRIC_JWS_ALGORITHMS,
  AuthError,
  createAuthenticator,
  parseDuration,
} from '@tokengate/core'
import type { AuthenticatorOptions, DecisionEvent, JwsAlgorithm } from '@tokengate/core'
import { loadConfig } from '../config.js'
import { UsageError } from '../io.js'
import type { Command } from './command.js'

/** The asymmetric JWS algorithms of the core's registry: keys from a URL are public keys. */
const ASYMMETRIC = ASYMMETRIC_JWS_ALGORITHMS
/** tokengate's defaults (packages/core/src/keys/source.ts, options.ts). */
const DEFAULT_CACHE_MAX_AGE = 600
const DEFAULT_CLOCK_TOLERANCE = 5
const MAX_BODY_BYTES = 512 * 1024
/** Skew past which tokens are refused or accepted at the wrong moment whatever the tolerance. */
const SKEW_FAIL = 300

/** One check's verdict. */
export interface Check {
  /** What was checked: url, discovery, jwks, cache, kid, keys, clock, pipeline. */
  check: string
  status: 'ok' | 'warn' | 'fail'
  /** What was found. */
  detail: string
  /** How to fix it (warn and fail). */
  fix?: string
}

/** What to check: an issuer (discovery) or a JWKS URL, with the settings tokengate will use. */
export interface Target {
  issuer?: string
  jwksUri?: string
  algorithms: readonly string[]
  /** Whether `algorithms` came from the user (else every asymmetric alg is tried). */
  configured: boolean
  allowHttp: boolean
  allowJwksOrigins: readonly string[]
  clockTolerance: number
  cacheMaxAge: number
  timeoutMs: number
}

interface Fetched {
  url: string
  status?: number
  headers?: Headers
  body?: unknown
  bytes?: number
  /** Why there is no answer: refused, DNS, timeout, TLS... */
  error?: string
  receivedAt: number
}

async function get(url: string, timeoutMs: number): Promise<Fetched> {
  try {
    // Like tokengate's own fetch (packages/core/src/keys/remote-jwks.ts): no redirects followed.
    const response = await fetch(url, {
      redirect: 'manual',
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(timeoutMs),
    })
    const receivedAt = Date.now()
    const text = await response.text()
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      body = undefined
    }
    return {
      url,
      status: response.status,
      headers: response.headers,
      body,
      bytes: Buffer.byteLength(text),
      receivedAt,
    }
  } catch (err) {
    return { url, error: networkCause(err, timeoutMs), receivedAt: Date.now() }
  }
}

/** Node's fetch says "fetch failed"; the reason is in its cause (an errno code, or a TLS error). */
function networkCause(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e.name === 'TimeoutError' || e.name === 'AbortError')
    return `no answer within ${timeoutMs} ms`
  const code = e.cause?.code
  const known: Record<string, string> = {
    ECONNREFUSED: 'connection refused (nothing listens there)',
    ENOTFOUND: 'DNS: the host name does not resolve',
    EAI_AGAIN: 'DNS: temporary failure to resolve the host name',
    ECONNRESET: 'connection reset by the server',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    CERT_HAS_EXPIRED: 'TLS: the server certificate has expired',
    DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS: self-signed certificate',
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS: the certificate chain cannot be verified',
    ERR_TLS_CERT_ALTNAME_INVALID: 'TLS: the certificate does not name this host',
  }
  if (code !== undefined) return known[code] ?? `${code}: ${e.cause?.message ?? ''}`.trim()
  return e.cause?.message ?? e.message ?? String(err)
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname)
}

/** Runs every check for one target. */
export async function diagnose(target: Target): Promise<Check[]> {
  const checks: Check[] = []
  const add = (check: string, status: Check['status'], detail: string, fix?: string) =>
    checks.push({ check, status, detail, ...(fix !== undefined && { fix }) })
  const start = target.issuer ?? (target.jwksUri as string)

  // 1. The URL rule, decided by the core itself (start-up refuses what it would never fetch).
  const probeAlg = (target.algorithms[0] ?? 'RS256') as JwsAlgorithm
  const keyOption = target.issuer
    ? {
        discovery: target.issuer,
        allowHttp: target.allowHttp,
        allowJwksOrigins: [...target.allowJwksOrigins],
      }
    : { jwksUri: target.jwksUri as string, allowHttp: target.allowHttp }
  try {
    createAuthenticator({ algorithms: [probeAlg], key: keyOption })
    const url = new URL(start)
    if (url.protocol === 'https:') add('url', 'ok', `${start} is https`)
    else
      add(
        'url',
        isLoopback(url.hostname) ? 'ok' : 'warn',
        isLoopback(url.hostname)
          ? `${start}: http on a loopback host, accepted for development only`
          : `${start}: http accepted only because allowHttp is set`,
        isLoopback(url.hostname) ? undefined : 'serve the issuer over https',
      )
  } catch (err) {
    add(
      'url',
      'fail',
      (err as Error).message.replace(/^tokengate: /, ''),
      'serve the issuer and its keys over https (http is for loopback development only)',
    )
    return checks
  }

  // 2. Discovery: both well-known locations, the issuer named exactly, a jwks_uri on its origin.
  let jwksUri = target.jwksUri
  const responses: Fetched[] = []
  if (target.issuer) {
    const url = new URL(target.issuer)
    const path = url.pathname.replace(/\/$/, '')
    const locations = [
      `${url.origin}${path}/.well-known/openid-configuration`,
      `${url.origin}/.well-known/oauth-authorization-server${path}`,
    ]
    const docs = await Promise.all(locations.map((l) => get(l, target.timeoutMs)))
    responses.push(...docs)
    const found = docs.find((d) => d.status === 200 && isObject(d.body))
    for (const doc of docs) {
      if (doc.error) add('discovery', 'fail', `${doc.url}: ${doc.error}`, unreachableFix(doc.url))
      else if (doc.status === 200 && isObject(doc.body))
        add('discovery', 'ok', `${doc.url}: ${doc.status}, ${contentType(doc)}`)
      else if (doc.status === 200)
        add(
          'discovery',
          'fail',
          `${doc.url}: 200 but not a JSON object`,
          'serve the metadata as JSON (OpenID Connect Discovery 1.0 §4.2)',
        )
      else if (doc.status !== undefined && doc.status >= 300 && doc.status < 400)
        add(
          'discovery',
          'fail',
          `${doc.url}: ${doc.status} redirect to ${doc.headers?.get('location') ?? '?'}: tokengate does not follow redirects for keys`,
          'configure the URL the redirect points to',
        )
      else if (found)
        add(
          'discovery',
          'ok',
          `${doc.url}: HTTP ${doc.status}, not served (the other document is enough)`,
        )
      else
        add(
          'discovery',
          'fail',
          `${doc.url}: HTTP ${doc.status}`,
          'check the issuer URL: it is the exact `iss` of the tokens, and its metadata lives under /.well-known/',
        )
    }
    if (!found) return finish()
    const doc = found.body as Record<string, unknown>
    if (doc.issuer !== target.issuer) {
      const near =
        typeof doc.issuer === 'string' &&
        doc.issuer.replace(/\/$/, '') === target.issuer.replace(/\/$/, '')
      add(
        'issuer',
        'fail',
        `the document names issuer ${JSON.stringify(doc.issuer)}, expected ${JSON.stringify(target.issuer)}${near ? ' (they differ by a trailing slash)' : ''}; tokengate refuses a document for another issuer (OpenID Connect Discovery 1.0 §4.3, RFC 8414 §3.3)`,
        `use exactly ${JSON.stringify(doc.issuer)} as the issuer (it must equal the tokens' iss)`,
      )
    } else add('issuer', 'ok', `the document names issuer ${JSON.stringify(doc.issuer)}`)
    if (typeof doc.jwks_uri !== 'string') {
      add(
        'jwks_uri',
        'fail',
        'the document has no jwks_uri',
        'publish the key set and name it in jwks_uri (RFC 8414 §2)',
      )
      return finish()
    }
    jwksUri = doc.jwks_uri
    let jwksOrigin: string | undefined
    try {
      jwksOrigin = new URL(jwksUri).origin
    } catch {
      add('jwks_uri', 'fail', `jwks_uri ${JSON.stringify(jwksUri)} is not a URL`)
      return finish()
    }
    if (jwksOrigin === url.origin) add('jwks_uri', 'ok', `${jwksUri} (on the issuer's origin)`)
    else if (target.allowJwksOrigins.includes(jwksOrigin))
      add('jwks_uri', 'ok', `${jwksUri} (on ${jwksOrigin}, listed in allowJwksOrigins)`)
    else
      add(
        'jwks_uri',
        'fail',
        `${jwksUri} is on ${jwksOrigin}, not on the issuer's origin ${url.origin}: tokengate refuses it`,
        `if the issuer really publishes its keys there, set key.allowJwksOrigins: ['${jwksOrigin}'] (https only)`,
      )
  }

  // 3. The key set.
  const set = await get(jwksUri as string, target.timeoutMs)
  responses.push(set)
  if (set.error) {
    add('jwks', 'fail', `${set.url}: ${set.error}`, unreachableFix(set.url))
    return finish()
  }
  if (set.status !== 200) {
    add(
      'jwks',
      'fail',
      `${set.url}: HTTP ${set.status}; tokengate answers every token with 503 keys_unavailable`,
      set.status === 404
        ? 'check jwks_uri: nothing is served there'
        : 'the key server must answer 200 with the JWK Set',
    )
    return finish()
  }
  const keys = (set.body as { keys?: unknown } | undefined)?.keys
  if ((set.bytes ?? 0) > MAX_BODY_BYTES) {
    add(
      'jwks',
      'fail',
      `${set.url}: ${set.bytes} bytes; tokengate refuses key sets over ${MAX_BODY_BYTES} bytes`,
      'publish only the current keys',
    )
    return finish()
  }
  if (!Array.isArray(keys)) {
    add(
      'jwks',
      'fail',
      `${set.url}: 200 but not a JWK Set ({"keys": [...]}, RFC 7517 §5)`,
      'serve the public keys as a JWK Set',
    )
    return finish()
  }
  add('jwks', 'ok', `${set.url}: 200, ${contentType(set)}, ${keys.length} key(s)`)

  // 4. Cache headers: how long the server says its keys hold, against tokengate's cacheMaxAge.
  const cacheControl = set.headers?.get('cache-control') ?? undefined
  const maxAge = cacheControl ? /(?:^|,)\s*max-age=(\d+)/i.exec(cacheControl)?.[1] : undefined
  if (cacheControl === undefined)
    add(
      'cache',
      'warn',
      `no Cache-Control on the JWKS; tokengate keeps keys ${target.cacheMaxAge} s (cacheMaxAge) regardless, but caches and other clients may refetch on every request`,
      'send Cache-Control: public, max-age=<seconds the keys stay published>',
    )
  else if (/no-store|no-cache/i.test(cacheControl) || maxAge === '0')
    add(
      'cache',
      'warn',
      `Cache-Control: ${cacheControl}: the server asks not to cache its keys; tokengate still keeps them ${target.cacheMaxAge} s and refetches for an unknown kid`,
      'send a max-age: keys are meant to be cached (rotation adds a key before using it)',
    )
  else if (maxAge === undefined)
    add('cache', 'warn', `Cache-Control: ${cacheControl} (no max-age)`, 'add max-age=<seconds>')
  else if (Number(maxAge) < target.cacheMaxAge)
    add(
      'cache',
      'warn',
      `Cache-Control max-age=${maxAge}, shorter than tokengate's cacheMaxAge (${target.cacheMaxAge} s)`,
      `set key.cacheMaxAge: '${maxAge}s' to follow the server`,
    )
  else add('cache', 'ok', `Cache-Control: ${cacheControl}`)

  // 5. kids: present and unique (RFC 7517 §4.5), and no private material published.
  const jwks = keys.filter(isObject)
  const signing = jwks.filter((k) => k.use === undefined || k.use === 'sig')
  const seen = new Map<string, number>()
  for (const k of jwks) if (typeof k.kid === 'string') seen.set(k.kid, (seen.get(k.kid) ?? 0) + 1)
  const duplicates = [...seen].filter(([, n]) => n > 1).map(([kid]) => kid)
  const missingKid = signing.filter((k) => typeof k.kid !== 'string').length
  if (duplicates.length > 0)
    add(
      'kid',
      'fail',
      `kid ${duplicates.map((d) => JSON.stringify(d)).join(', ')} names more than one key: verifiers pick a key by kid, and many refuse an ambiguous set`,
      'give every key its own kid (RFC 7517 §4.5), e.g. its RFC 7638 thumbprint',
    )
  else if (missingKid > 0)
    add(
      'kid',
      signing.length > 1 ? 'warn' : 'ok',
      `${missingKid} signing key(s) without kid`,
      signing.length > 1
        ? 'give every key a kid and put it in the token header: without one, every key that fits the alg is tried'
        : undefined,
    )
  else add('kid', 'ok', `every key has a kid, all distinct`)
  const privateMembers = jwks.filter((k) => k.kty === 'oct' || 'd' in k || 'p' in k)
  if (privateMembers.length > 0)
    add(
      'keys',
      'fail',
      `${privateMembers.length} key(s) in the public set carry private or secret material (d, p or kty oct)`,
      'publish public keys only (tokengate publicJwks strips the rest); rotate the exposed keys now',
    )

  // 6. Key types against the algorithms: the core's own start-up fit check, key by key.
  const fits = new Map<Record<string, unknown>, string[]>()
  const reasons = new Map<Record<string, unknown>, string>()
  for (const jwk of signing) {
    const ok: string[] = []
    for (const alg of target.algorithms) {
      try {
        createAuthenticator({
          algorithms: [alg as JwsAlgorithm],
          key: { jwks: { keys: [jwk as never] } },
        })
        ok.push(alg)
      } catch (err) {
        reasons.set(jwk, (err as Error).message.replace(/^tokengate: /, ''))
      }
    }
    fits.set(jwk, ok)
  }
  for (const jwk of signing) {
    const label = keyLabel(jwk)
    const ok = fits.get(jwk) ?? []
    if (ok.length > 0) add('keys', 'ok', `${label}: verifies ${ok.join(', ')}`)
    else
      add(
        'keys',
        target.configured ? 'warn' : 'fail',
        `${label}: fits none of ${target.algorithms.join(', ')}; tokens signed with it are refused${reasons.get(jwk) ? ` (${reasons.get(jwk)})` : ''}`,
        target.configured
          ? 'add its algorithm to algorithms, or stop publishing it'
          : 'publish keys of a supported type (RSA of 2048 bits or more, EC P-256/384/521, Ed25519)',
      )
  }
  for (const k of jwks.filter((k) => !signing.includes(k)))
    add('keys', 'ok', `${keyLabel(k)}: use ${JSON.stringify(k.use)}, not for signatures (skipped)`)
  if (target.configured)
    for (const alg of target.algorithms)
      if (![...fits.values()].some((algs) => algs.includes(alg)))
        add(
          'algorithms',
          'fail',
          `no key in the set verifies ${alg}: every ${alg} token is refused (key_not_found)`,
          `set algorithms to what the issuer signs with (${[...new Set(signing.map((k) => String(k.alg ?? k.kty)))].join(', ') || 'none published'}), or publish a ${alg} key`,
        )

  return finish()

  async function finish(): Promise<Check[]> {
    clock(responses)
    if (!checks.some((c) => c.status === 'fail')) await pipeline()
    return checks
  }

  // 7. The server's clock (its Date header, RFC 9110 §6.6.1) against ours.
  function clock(fetched: Fetched[]): void {
    const answered = fetched.find((f) => f.headers?.get('date'))
    const date = answered?.headers?.get('date')
    if (!answered || !date) {
      if (fetched.some((f) => f.status !== undefined))
        add(
          'clock',
          'warn',
          'the server sends no Date header: its clock cannot be compared',
          'send Date (RFC 9110 §6.6.1)',
        )
      return
    }
    const server = Date.parse(date)
    if (Number.isNaN(server)) {
      add('clock', 'warn', `Date ${JSON.stringify(date)} is not an HTTP date`)
      return
    }
    // The Date header has a resolution of one second: a skew under it is no skew.
    const skew = Math.round((server - answered.receivedAt) / 1000)
    const tolerance = target.clockTolerance
    const ahead = skew > 0 ? 'ahead of' : 'behind'
    if (Math.abs(skew) <= Math.max(1, tolerance))
      add(
        'clock',
        'ok',
        `the server's Date is ${Math.abs(skew)} s from this machine's clock (clockTolerance ${tolerance} s)`,
      )
    else
      add(
        'clock',
        Math.abs(skew) > SKEW_FAIL ? 'fail' : 'warn',
        `the server's clock is ${Math.abs(skew)} s ${ahead} this machine's, beyond clockTolerance (${tolerance} s): ${skew > 0 ? 'fresh tokens look issued in the future (claim_invalid) or not yet usable' : 'tokens look expired early'}`,
        'synchronise both clocks with NTP (chrony, systemd-timesyncd); raising clockTolerance only hides it',
      )
  }

  // 8. tokengate's own key fetch, end to end: a probe token that names a published key is run
  // through the real pipeline; a signature refusal means the keys were fetched and one was chosen.
  async function pipeline(): Promise<void> {
    const candidate = signing.find((k) => (fits.get(k) ?? []).length > 0)
    if (!candidate) return
    const alg = (fits.get(candidate) as string[])[0] as JwsAlgorithm
    let event: DecisionEvent | undefined
    const authenticator = createAuthenticator({
      algorithms: [alg],
      key: keyOption,
      cache: false,
      onDecision: (e: DecisionEvent) => (event = e),
    } as AuthenticatorOptions)
    const header = { alg, ...(typeof candidate.kid === 'string' && { kid: candidate.kid }) }
    const probe = `${b64(header)}.${b64({ iss: target.issuer ?? 'probe', exp: 1 })}.${b64('probe')}`
    try {
      await authenticator.authenticate({
        method: 'GET',
        url: '/',
        headers: { authorization: `Bearer ${probe}` },
      })
    } catch (err) {
      if (err instanceof AuthError && err.code === 'signature_invalid') {
        add(
          'pipeline',
          'ok',
          `tokengate fetched the keys itself and chose ${keyLabel(candidate)} for an ${alg} token`,
        )
        return
      }
      // The decision event names the real cause of a key failure (HTTP status, DNS, refused...).
      const failure = (event as DecisionEvent | undefined)?.keyFailure
      const cause = failure
        ? `${failure.reason}${failure.status !== undefined ? ` ${failure.status}` : ''}: ${failure.message}`
        : ''
      add(
        'pipeline',
        'fail',
        `tokengate's own key fetch: ${err instanceof AuthError ? `${err.code}: ${err.description}` : String(err)}${cause ? ` (cause: ${cause})` : ''}`,
        'see the checks above: the cause is what onDecision reports as keyFailure in your API',
      )
    }
  }
}

function b64(value: unknown): string {
  return Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString(
    'base64url',
  )
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function contentType(f: Fetched): string {
  return f.headers?.get('content-type')?.split(';')[0] ?? 'no content-type'
}

function keyLabel(jwk: Record<string, unknown>): string {
  const type =
    jwk.kty === 'RSA'
      ? `RSA ${typeof jwk.n === 'string' ? Buffer.from(jwk.n, 'base64url').length * 8 : '?'}-bit`
      : `${String(jwk.kty)} ${typeof jwk.crv === 'string' ? jwk.crv : ''}`.trim()
  const kid = typeof jwk.kid === 'string' ? `kid ${JSON.stringify(jwk.kid)}` : 'no kid'
  return `${kid} (${type}${typeof jwk.alg === 'string' ? `, alg ${jwk.alg}` : ''})`
}

function unreachableFix(url: string): string {
  return `check that ${new URL(url).origin} is up and reachable from here (DNS, firewall, proxy)`
}

/** The targets of a config module: one per issuer (discovery) or JWKS URL it names. */
function targetsOf(options: AuthenticatorOptions, base: Omit<Target, 'algorithms'>): Target[] {
  // Start-up first: a configuration the core refuses is the first thing to fix (a TypeError: exit 1).
  createAuthenticator(options)
  const o = options as unknown as Record<string, unknown>
  const clockTolerance =
    o.clockTolerance !== undefined
      ? parseDuration(o.clockTolerance as never, 'options.clockTolerance')
      : base.clockTolerance
  const entries = Array.isArray(o.issuers)
    ? (o.issuers as Array<Record<string, unknown>>)
    : [{ key: o.key, algorithms: o.algorithms }]
  const targets: Target[] = []
  for (const entry of entries) {
    const key = entry.key as Record<string, unknown> | undefined
    if (!isObject(key) || (!('discovery' in key) && !('jwksUri' in key))) continue
    targets.push({
      ...base,
      ...(typeof key.discovery === 'string'
        ? { issuer: key.discovery }
        : { jwksUri: key.jwksUri as string }),
      algorithms: entry.algorithms as string[],
      configured: true,
      allowHttp: key.allowHttp === true,
      allowJwksOrigins: (key.allowJwksOrigins as string[] | undefined) ?? [],
      clockTolerance,
      ...(key.cacheMaxAge !== undefined && {
        cacheMaxAge: parseDuration(key.cacheMaxAge as never, 'options.key.cacheMaxAge'),
      }),
    })
  }
  return targets
}

/** `tokengate doctor --issuer <url> | --jwks-uri <url> | --config <file>`. */
export const doctor: Command = {
  name: 'doctor',
  summary: "check an issuer's discovery, JWKS, keys and clock as tokengate will use them",
  usage: 'tokengate doctor --issuer <url> | --jwks-uri <url> | --config <file> [--alg ES256]',
  help: `Fetches what an issuer serves and checks it the way tokengate uses it: the URL (https, or
http on loopback), discovery (/.well-known/openid-configuration and RFC 8414
/.well-known/oauth-authorization-server), the issuer named exactly, the JWKS (status, size,
JSON), its Cache-Control, every kid present and unique, each key against the allowed
algorithms, the server's clock (its Date header), and finally tokengate's own key fetch through
the real pipeline. Each check prints ok, warn or fail, with a fix.

  --issuer <url>          the issuer (the tokens' iss); its metadata is discovered
  --jwks-uri <url>        a JWKS URL, when there is no discovery
  --config <file>         a config module (see \`explain\`): its issuers, algorithms, tolerance
  --alg <alg>             an allowed algorithm (repeat, or comma-separated); default: any
  --clock-tolerance <s>   seconds of skew tolerated (default 5, tokengate's default)
  --allow-http            allow http on a host that is not loopback (a private test network)
  --timeout <ms>          per request (default 5000)
  --json                  { targets: [{ issuer, checks: [{ check, status, detail, fix }] }] }

Exit codes: 0 no failure (warnings allowed), 1 a check failed, 2 usage error.`,
  options: {
    issuer: { type: 'string' },
    'jwks-uri': { type: 'string' },
    config: { type: 'string', short: 'c' },
    alg: { type: 'string', multiple: true },
    'clock-tolerance': { type: 'string' },
    'allow-http': { type: 'boolean' },
    timeout: { type: 'string' },
  },
  async run({ values, io, out, json, cwd }) {
    const sources = ['issuer', 'jwks-uri', 'config'].filter((k) => values[k] !== undefined)
    if (sources.length !== 1)
      throw new UsageError('doctor takes one of --issuer <url>, --jwks-uri <url>, --config <file>')
    const timeoutMs = values.timeout === undefined ? 5000 : Number(values.timeout)
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
      throw new UsageError('--timeout takes a number of milliseconds')
    let clockTolerance = DEFAULT_CLOCK_TOLERANCE
    if (values['clock-tolerance'] !== undefined) {
      try {
        clockTolerance = parseDuration(values['clock-tolerance'] as string, '--clock-tolerance')
      } catch (err) {
        throw new UsageError((err as Error).message.replace(/^tokengate: /, ''))
      }
    }
    const algs = ((values.alg as string[] | undefined) ?? []).flatMap((a) =>
      a.split(',').map((s) => s.trim()),
    )
    for (const alg of algs)
      if (!(ASYMMETRIC as readonly string[]).includes(alg))
        throw new UsageError(
          `--alg ${alg}: keys from a URL verify ${ASYMMETRIC.join(', ')} (HMAC secrets are never published)`,
        )
    const base = {
      configured: algs.length > 0,
      allowHttp: values['allow-http'] === true,
      allowJwksOrigins: [] as string[],
      clockTolerance,
      cacheMaxAge: DEFAULT_CACHE_MAX_AGE,
      timeoutMs,
    }
    let targets: Target[]
    if (values.config !== undefined) {
      const options = await loadConfig(values.config as string, cwd)
      targets = targetsOf(options, base)
      if (targets.length === 0) {
        const message =
          'the configuration has no remote keys (key.discovery or key.jwksUri): its keys are local, nothing to fetch; it passed start-up'
        if (json) io.stdout(JSON.stringify({ targets: [], note: message }, null, 2) + '\n')
        else io.stdout(`${out.green('ok')}    ${message}\n`)
        return 0
      }
    } else {
      const url = (values.issuer ?? values['jwks-uri']) as string
      targets = [
        {
          ...base,
          ...(values.issuer !== undefined ? { issuer: url } : { jwksUri: url }),
          algorithms: algs.length > 0 ? algs : [...ASYMMETRIC],
        },
      ]
      try {
        new URL(url)
      } catch {
        throw new UsageError(`${url} is not an absolute URL`)
      }
    }

    const results: Array<{ issuer?: string; jwksUri?: string; checks: Check[] }> = []
    for (const target of targets)
      results.push({
        ...(target.issuer ? { issuer: target.issuer } : { jwksUri: target.jwksUri }),
        checks: await diagnose(target),
      })
    const all = results.flatMap((r) => r.checks)
    const failed = all.some((c) => c.status === 'fail')
    if (json) {
      io.stdout(JSON.stringify({ ok: !failed, targets: results }, null, 2) + '\n')
      return failed ? 1 : 0
    }
    const width = Math.max(...all.map((c) => c.check.length))
    const lines: string[] = []
    for (const r of results) {
      lines.push(out.bold(`tokengate doctor  ${r.issuer ?? r.jwksUri}`))
      for (const c of r.checks) {
        const mark =
          c.status === 'ok'
            ? out.green('ok  ')
            : c.status === 'warn'
              ? out.yellow('warn')
              : out.red('fail')
        lines.push(`  ${mark}  ${c.check.padEnd(width)}  ${c.detail}`)
        if (c.fix && c.status !== 'ok')
          lines.push(`        ${' '.repeat(width)}  ${out.dim('fix: ' + c.fix)}`)
      }
      lines.push('')
    }
    const count = (s: Check['status']) => all.filter((c) => c.status === s).length
    lines.push(
      `${count('ok')} ok, ${count('warn')} warning${count('warn') === 1 ? '' : 's'}, ${failed ? out.red(`${count('fail')} failed`) : '0 failed'}`,
    )
    io.stdout(lines.join('\n') + '\n')
    return failed ? 1 : 0
  },
}
