// "A JSON object or this AuthError", shared by every JSON segment (SECURITY.md: nothing of the
// token is reflected, so no JSON parser message ever becomes a cause: it quotes the text).
import { describe, expect, it } from 'vitest'
import { isAuthError } from '../errors.js'
import { parseJsonObject, parsePayloadObject } from './compact.js'

const bytes = (text: string) => new TextEncoder().encode(text)

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (err) {
    return err
  }
  throw new Error('expected a throw')
}

describe('token/compact: JSON objects', () => {
  it.each([
    ['not JSON (RFC 8259 §2)', '{"secret": nope}', 'not json'],
    ['a JSON array (RFC 7519 §7.2: an object)', '["a"]', 'not object'],
    ['JSON null', 'null', 'not object'],
    ['a JSON string', '"a"', 'not object'],
  ])('%s: the given code and message, no cause', (_name, text, message) => {
    for (const err of [
      thrown(() => parseJsonObject(text, 'invalid_dpop_proof', 'not json', 'not object')),
      thrown(() => parsePayloadObject(bytes(text), 'invalid_dpop_proof', 'not json', 'not object')),
    ]) {
      expect(isAuthError(err) && [err.code, err.status, err.message]).toEqual([
        'invalid_dpop_proof',
        401,
        message,
      ])
      expect((err as Error).cause).toBeUndefined()
    }
  })

  it('payload bytes that are not UTF-8: notJson, no cause', () => {
    const err = thrown(() =>
      parsePayloadObject(new Uint8Array([0x7b, 0xff, 0x7d]), 'token_malformed', 'not json', 'x'),
    )
    expect(isAuthError(err) && [err.code, err.message, err.cause]).toEqual([
      'token_malformed',
      'not json',
      undefined,
    ])
  })

  it('an object is returned as parsed', () => {
    expect(parsePayloadObject(bytes('{"sub":"alice"}'), 'token_malformed', 'a', 'b')).toEqual({
      sub: 'alice',
    })
  })
})
