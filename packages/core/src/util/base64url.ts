// base64url (RFC 4648 §5) for the core: jose's codec underneath, plus the canonical-form rule.
import { base64url } from 'jose'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const UNPADDED = /^[A-Za-z0-9_-]*$/

/**
 * base64url text to bytes. Throws a TypeError on characters outside the alphabet; callers that
 * need one spelling per value check {@link isCanonical} (or {@link hasCanonicalEnd}) first.
 *
 * @example
 * decode('aGk') // Uint8Array [104, 105]
 */
export function decode(value: string): Uint8Array {
  return base64url.decode(value)
}

/**
 * Bytes (or a string, as UTF-8) to unpadded base64url.
 *
 * @example
 * encode(new Uint8Array([104, 105])) // 'aGk'
 */
export function encode(value: Uint8Array | string): string {
  return base64url.encode(value)
}

/**
 * The end of `text[start, end)` as canonical unpadded base64url (RFC 7515 §2, RFC 4648 §3.5):
 * never 4n+1 characters, and the unused low bits of the last character are zero, so a value has
 * exactly one spelling. The alphabet itself is the caller's to check (a shape regex usually has).
 */
export function hasCanonicalEnd(text: string, start = 0, end = text.length): boolean {
  const rest = (end - start) % 4
  if (rest === 0) return true
  if (rest === 1) return false
  const last = ALPHABET.indexOf(text[end - 1] as string)
  return (last & (rest === 2 ? 0x0f : 0x03)) === 0
}

/** Canonical unpadded base64url: the alphabet, no padding, and {@link hasCanonicalEnd}. */
export function isCanonical(value: string): boolean {
  return UNPADDED.test(value) && hasCanonicalEnd(value)
}
