// The compact serialization (RFC 7515 §7.1, RFC 7516 §7.1): segment shape, canonical base64url,
// protected header decoding, and "a JSON object or a specific AuthError" for every JSON segment.
import { AuthError, type AuthErrorCode } from '../errors.js'
import { decode, hasCanonicalEnd } from '../util/base64url.js'

/**
 * The compact JWS shape without anchors: three non-empty base64url-alphabet segments (RFC 7515
 * §7.1). request/extract.ts builds its one-scan Bearer pattern from it, so a token it reports as
 * JWS-shaped is exactly one {@link tokenShape} would match.
 */
export const JWS_PATTERN = '[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+'
const JWS_SHAPE = new RegExp(`^${JWS_PATTERN}$`)
// RFC 7516 §7.1: the JWE Encrypted Key is empty for direct encryption (dir) and direct key agreement (ECDH-ES).
const JWE_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/
// RFC 8259 §8.1: a JSON text is not preceded by a byte order mark; one in a header or a decrypted
// plaintext is kept (and JSON.parse refuses it), not skipped.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
// Payloads (JWS, DPoP proof) have always had a leading BOM skipped; kept as it was (no behaviour change).
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Bounds on a protected header (JWS and JWE), checked before JSON.parse: real headers are a few
 * hundred bytes and at most two levels deep (`epk`, `jwk`, `x5c`). A bigger or deeper one is
 * refused as malformed, so a raised `maxTokenLength` cannot turn a header into a large cache entry
 * or a stack-exhausting structure for whoever walks it later (RFC 8259 §9 lets a parser limit both).
 */
export const MAX_HEADER_LENGTH = 8192
export const MAX_HEADER_DEPTH = 16

/** A compact JWS, canonical or not: what a nested token's plaintext must look like. */
export function looksLikeJws(text: string): boolean {
  return JWS_SHAPE.test(text)
}

/**
 * Classifies a compact token by shape alone, before any decoding: 3 segments (JWS, RFC 7515 §7.1) or
 * 5 (JWE, RFC 7516 §7.1), each canonical unpadded base64url (RFC 7515 §2), so a token has one spelling.
 * `jwsShaped`: the caller has matched {@link JWS_PATTERN}, anchored, on this very string (extract.ts
 * does while reading the Bearer credential), so the alphabet scan is not repeated; the canonical
 * ends are checked all the same.
 *
 * @example
 * tokenShape('eyJ...') // 'jws'
 */
export function tokenShape(token: string, jwsShaped = false): 'jws' | 'jwe' {
  let kind: 'jws' | 'jwe'
  if (jwsShaped || JWS_SHAPE.test(token)) kind = 'jws'
  else if (JWE_SHAPE.test(token)) kind = 'jwe'
  else
    throw new AuthError('token_malformed', 'the token is not a compact JWS or JWE (RFC 7515 §7.1)')
  let start = 0
  for (;;) {
    const dot = token.indexOf('.', start)
    const end = dot === -1 ? token.length : dot
    if (!hasCanonicalEnd(token, start, end)) {
      throw new AuthError(
        'token_malformed',
        'the token has a non-canonical base64url segment (RFC 7515 §2)',
      )
    }
    if (dot === -1) return kind
    start = dot + 1
  }
}

/**
 * Decodes a protected header segment (JWS, RFC 7515 §4; JWE, RFC 7516 §4): a JSON object of at most
 * {@link MAX_HEADER_LENGTH} base64url characters and {@link MAX_HEADER_DEPTH} levels of nesting.
 */
export function decodeHeader(segment: string): Record<string, unknown> {
  if (segment.length > MAX_HEADER_LENGTH)
    throw new AuthError('token_malformed', 'the token header is too large')
  let text: string
  try {
    text = strictUtf8.decode(decode(segment))
  } catch (cause) {
    throw new AuthError('token_malformed', 'the token header is not valid base64url UTF-8', {
      cause,
    })
  }
  if (!withinDepth(text, MAX_HEADER_DEPTH))
    throw new AuthError('token_malformed', 'the token header is nested too deeply')
  return parseJsonObject(
    text,
    'token_malformed',
    'the token header is not valid JSON',
    'the token header is not a JSON object (RFC 7515 §4)',
  )
}

/** Decrypted bytes as text, a leading BOM kept (RFC 8259 §8.1); throws the decoder's TypeError. */
export function plaintextUtf8(bytes: Uint8Array): string {
  return strictUtf8.decode(bytes)
}

/**
 * Payload bytes (a JWS payload, a DPoP proof's) as a JSON object, or the AuthError given: `notJson`
 * for bytes that are not UTF-8 JSON, `notObject` for JSON that is not an object (RFC 7519 §7.2).
 */
export function parsePayloadObject(
  bytes: Uint8Array,
  code: AuthErrorCode,
  notJson: string,
  notObject: string,
): Record<string, unknown> {
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw new AuthError(code, notJson)
  }
  return parseJsonObject(text, code, notJson, notObject)
}

/**
 * A JSON text that must be an object, or the AuthError given. Never with a cause: the parser's
 * message quotes the text around the fault, and that text may be decrypted content (SECURITY.md,
 * "Nothing of the token is reflected").
 */
export function parseJsonObject(
  text: string,
  code: AuthErrorCode,
  notJson: string,
  notObject: string,
): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new AuthError(code, notJson)
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new AuthError(code, notObject)
  return value as Record<string, unknown>
}

// Nesting depth of a JSON text without parsing it: brackets outside strings (a backslash inside a
// string escapes the next character). Linear in the text; a text that is not JSON is left to JSON.parse.
function withinDepth(text: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return false
    } else if (c === 0x5d || c === 0x7d) depth--
  }
  return true
}
