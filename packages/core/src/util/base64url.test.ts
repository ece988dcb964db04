// The core's one base64url helper (RFC 4648 §5) and its canonical-form rule (RFC 7515 §2, RFC 4648 §3.5).
import { describe, expect, it } from 'vitest'
import { decode, encode, hasCanonicalEnd, isCanonical } from './base64url.js'

describe('util/base64url', () => {
  it.each([
    ['empty', new Uint8Array([])],
    ['one byte (2 characters)', new Uint8Array([0xfb])],
    ['two bytes (3 characters)', new Uint8Array([0xfb, 0xff])],
    ['three bytes (4 characters, the URL-safe - and _)', new Uint8Array([0xfb, 0xff, 0xbf])],
  ])('%s: encode is unpadded and canonical, decode inverts it', (_name, bytes) => {
    const text = encode(bytes)
    expect(text).not.toContain('=')
    expect(isCanonical(text)).toBe(true)
    expect(decode(text)).toEqual(bytes)
  })

  it.each([
    ['4n+1 characters can encode no byte string', 'AAAAA'],
    ['unused low bits set after 2 characters (RFC 4648 §3.5)', 'AB'],
    ['unused low bits set after 3 characters (RFC 4648 §3.5)', 'AAB'],
    ['padding', 'AA=='],
    ['standard base64 alphabet (+ and /)', 'a+b/'],
  ])('not canonical: %s', (_name, text) => {
    expect(isCanonical(text)).toBe(false)
  })

  it('hasCanonicalEnd checks a slice of a longer text (a compact token segment)', () => {
    expect(hasCanonicalEnd('xx.AB.yy', 3, 5)).toBe(false)
    expect(hasCanonicalEnd('xx.AQ.yy', 3, 5)).toBe(true)
  })
})
