// nodeRequestHeaders: Node's cheap req.headers, unless a header the core judges is repeated
// (RFC 6750 §2 one credential; RFC 9110 §7.2 one Host; Fetch §3.1 one Origin / Sec-Fetch-Site).
import { describe, expect, it } from 'vitest'
import { nodeRequestHeaders, type NodeHeadersSource } from './node.js'

/** A Node-shaped request from raw header lines, as Node's parser would give it. */
function request(raw: string[]): NodeHeadersSource & { tag: string } {
  const headers: Record<string, string> = {}
  const distinct: Record<string, string[]> = {}
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase()
    headers[name] ??= raw[i + 1]!
    ;(distinct[name] ??= []).push(raw[i + 1]!)
  }
  return { tag: 'req', headers, rawHeaders: raw, headersDistinct: distinct }
}

describe('nodeRequestHeaders', () => {
  it.each<[string, string[], 'headers' | 'distinct']>([
    ['one Authorization header', ['Host', 'a', 'Authorization', 'Bearer x'], 'headers'],
    ['no Authorization header', ['Host', 'a'], 'headers'],
    [
      'two Authorization headers (RFC 6750 §2)',
      ['Authorization', 'Bearer x', 'authorization', 'Bearer y'],
      'distinct',
    ],
    [
      'two AUTHORIZATION headers, any case',
      ['AUTHORIZATION', 'Bearer x', 'Authorization', 'Bearer y'],
      'distinct',
    ],
    ['two Host headers (RFC 9110 §7.2)', ['Host', 'a', 'host', 'b'], 'distinct'],
    ['two Origin headers', ['Origin', 'https://a', 'Origin', 'https://b'], 'distinct'],
    [
      'two Sec-Fetch-Site headers',
      ['Sec-Fetch-Site', 'same-origin', 'sec-fetch-site', 'cross-site'],
      'distinct',
    ],
    [
      'two Cookie headers (Node joins them with "; ", the core sees both)',
      ['Cookie', 'a=1', 'Cookie', 'b=2'],
      'headers',
    ],
    ['two unrelated headers', ['Accept', 'a', 'Accept', 'b'], 'headers'],
  ])('%s: %s', (_name, raw, expected) => {
    const req = request(raw)
    expect(nodeRequestHeaders(req)).toBe(expected === 'headers' ? req.headers : req.headersDistinct)
  })

  it('a request object without rawHeaders (a serverless shim) gets its headers', () => {
    const headers = { authorization: 'Bearer x' }
    expect(nodeRequestHeaders({ headers })).toBe(headers)
  })

  it('headersDistinct (a getter that builds an object) is not read when nothing is repeated', () => {
    const req = request(['Host', 'a', 'Authorization', 'Bearer x'])
    let reads = 0
    const distinct = req.headersDistinct
    Object.defineProperty(req, 'headersDistinct', {
      get: () => {
        reads++
        return distinct
      },
    })
    expect(nodeRequestHeaders(req)).toBe(req.headers)
    expect(reads).toBe(0)
  })
})
