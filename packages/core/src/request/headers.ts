// Reading request headers, for extract, csrf and dpop alike: a Fetch `Headers` or a plain record
// (Node's IncomingHttpHeaders, a hand-built object), names compared case-insensitively, own
// properties only, repeated headers seen as such (RFC 9110 §5.2, §5.3).
import { AuthError } from '../errors.js'
import type { HeadersLike } from '../types.js'

export function isHeaders(headers: HeadersLike): headers is Headers {
  return (
    typeof (headers as Headers).get === 'function' &&
    typeof (headers as Headers).forEach === 'function'
  )
}

/**
 * All values of one header, names compared case-insensitively; undefined when absent or empty.
 * Own properties only: a polluted `Object.prototype.authorization` (or `.cookie`) is not a header the
 * client sent. A value that is neither a string nor a list of strings is a malformed request (400).
 */
export function headerValues(headers: HeadersLike, name: string): string[] | undefined {
  // No header record at all (checkRequest refuses it first; DPoP's challenge may still ask).
  if (headers === null || typeof headers !== 'object') return undefined
  if (isHeaders(headers)) {
    const value = headers.get(name)
    return value === null || value === '' ? undefined : [value]
  }
  let values: string[] | undefined
  for (const key of Object.keys(headers)) {
    if (key.length !== name.length || key.toLowerCase() !== name) continue
    const value: unknown = headers[key]
    if (value === undefined) continue
    if (typeof value === 'string') {
      if (value !== '') (values ??= []).push(value)
    } else if (Array.isArray(value)) {
      for (const v of value as unknown[]) {
        if (typeof v !== 'string') throw malformedHeaders()
        if (v !== '') (values ??= []).push(v)
      }
    } else {
      throw malformedHeaders()
    }
  }
  return values
}

function malformedHeaders(): AuthError {
  return new AuthError('invalid_request', 'the request headers are malformed')
}

export function toHeaders(headers: HeadersLike): Headers {
  if (isHeaders(headers)) return headers
  const out = new Headers()
  try {
    // Own properties only, as in headerValues: a custom extractor sees what the client sent.
    for (const key of Object.keys(headers)) {
      const value = headers[key]
      if (value === undefined) continue
      if (typeof value === 'string') out.append(key, value)
      else for (const v of value) out.append(key, v)
    }
  } catch (cause) {
    throw new AuthError('invalid_request', 'the request headers are malformed', { cause })
  }
  return out
}

/**
 * One header value: the first of a list, for headers that are never legitimately repeated (CSRF's
 * Origin, Referer, Sec-Fetch-Site, Host). Lenient: a value that is not a string reads as absent.
 * Own properties only: a polluted `Object.prototype.origin` or `['sec-fetch-site']` is not a header
 * the client sent, and must not vouch for a cross-site request.
 */
export function firstHeaderValue(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined
  const record = headers as Record<string, string | readonly string[] | undefined>
  let value = Object.hasOwn(record, name) ? record[name] : undefined
  if (value === undefined) {
    for (const key of Object.keys(record)) {
      if (key.length === name.length && key.toLowerCase() === name) {
        value = record[key]
        break
      }
    }
  }
  const first = typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined
  return typeof first !== 'string' || first === '' ? undefined : first
}
