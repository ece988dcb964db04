// Why a key fetch failed, told apart (issue 16): DNS, refused, TLS, timeout, other transport errors.
import { KeyFailureError } from '../events.js'

// System error codes as Node's resolver and sockets report them (undici puts them on `cause`).
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL', 'EAI_NODATA'])
const REFUSED_CODES = new Set(['ECONNREFUSED'])

/**
 * The {@link KeyFailureError} for whatever a fetch (or reading its body) threw. A KeyFailureError
 * passes through (gaining `url` if it had none). Runtimes differ: Node's fetch (undici) rejects
 * with `TypeError('fetch failed')` whose `cause` has a system `code`; workerd and browsers give a
 * bare message, which ends as `network`.
 */
export function describeFetchFailure(
  err: unknown,
  signal: AbortSignal,
  url: string,
): KeyFailureError {
  if (err instanceof KeyFailureError) {
    return err.url !== undefined
      ? err
      : new KeyFailureError(err.reason, err.message, {
          ...(err.status !== undefined && { status: err.status }),
          url,
          cause: err.cause,
        })
  }
  const where = { url, cause: err }
  if (signal.aborted || (err as { name?: unknown } | null)?.name === 'TimeoutError')
    return new KeyFailureError('timeout', 'no answer within the timeout', where)
  const code = systemCode(err)
  if (code !== undefined && DNS_CODES.has(code))
    return new KeyFailureError('dns', `the host name does not resolve (${code})`, where)
  if (code !== undefined && REFUSED_CODES.has(code))
    return new KeyFailureError('refused', `the connection was refused (${code})`, where)
  if (code !== undefined && /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code))
    return new KeyFailureError('tls', `the TLS connection failed (${code})`, where)
  return new KeyFailureError(
    'network',
    code === undefined ? 'the request failed' : `the request failed (${code})`,
    where,
  )
}

/** The first system error `code` on the error or its `cause` chain (bounded: causes may loop). */
function systemCode(err: unknown): string | undefined {
  let current = err
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code
    if (typeof code === 'string') return code
    // undici wraps several attempts (IPv4 and IPv6) in an AggregateError.
    const errors = (current as { errors?: unknown }).errors
    if (Array.isArray(errors) && errors.length > 0) {
      const inner = systemCode(errors[0])
      if (inner !== undefined) return inner
    }
    current = (current as { cause?: unknown }).cause
  }
  return undefined
}

/**
 * A URL as events may show it: origin and path. The query and user info are dropped, since an
 * app may put an API key there.
 */
export function safeUrl(value: string | undefined): string {
  if (value === undefined || value === '') return ''
  try {
    const url = new URL(value)
    return `${url.origin}${url.pathname}`
  } catch {
    return ''
  }
}
