import { describe, expect, it } from 'vitest'
import { checkCsrf } from './csrf.js'
import { AuthError } from '../errors.js'
import type { RequestLike } from '../types.js'

const config = { allowedOrigins: new Set(['https://admin.example.com']) }
const url = 'https://api.example.com/orders'

function outcome(request: RequestLike): string {
  try {
    checkCsrf(request, config)
    return 'pass'
  } catch (err) {
    if (err instanceof AuthError) return `${err.code} ${err.status}`
    throw err
  }
}

describe('csrf (cookie-borne tokens on unsafe methods)', () => {
  it.each<[string, RequestLike, string]>([
    ['GET is a safe method', { method: 'GET', url, headers: {} }, 'pass'],
    ['HEAD is a safe method', { method: 'HEAD', url, headers: {} }, 'pass'],
    ['OPTIONS is a safe method', { method: 'options', url, headers: {} }, 'pass'],
    [
      'Sec-Fetch-Site same-origin',
      { method: 'POST', url, headers: { 'sec-fetch-site': 'same-origin' } },
      'pass',
    ],
    [
      'Sec-Fetch-Site none (user navigation)',
      { method: 'POST', url, headers: { 'sec-fetch-site': 'none' } },
      'pass',
    ],
    [
      'Origin equals the absolute request URL origin',
      { method: 'POST', url, headers: { origin: 'https://api.example.com' } },
      'pass',
    ],
    [
      'Origin equals Host for a path URL',
      {
        method: 'PUT',
        url: '/orders',
        headers: { origin: 'https://api.example.com', host: 'api.example.com' },
      },
      'pass',
    ],
    [
      'Origin in allowedOrigins',
      { method: 'DELETE', url, headers: { origin: 'https://admin.example.com' } },
      'pass',
    ],
    [
      'same-site with an allowed Origin',
      {
        method: 'POST',
        url,
        headers: { 'sec-fetch-site': 'same-site', origin: 'https://admin.example.com' },
      },
      'pass',
    ],
    [
      'Referer of our own origin when Origin is absent',
      { method: 'POST', url, headers: { referer: 'https://api.example.com/page?x=1' } },
      'pass',
    ],
    [
      'Fetch Headers object',
      { method: 'POST', url, headers: new Headers({ origin: 'https://api.example.com' }) },
      'pass',
    ],
    [
      'cross-site with a foreign Origin',
      {
        method: 'POST',
        url,
        headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
      },
      'csrf_rejected 403',
    ],
    [
      'foreign Origin',
      { method: 'POST', url, headers: { origin: 'https://evil.example' } },
      'csrf_rejected 403',
    ],
    [
      'Origin on another port',
      { method: 'POST', url, headers: { origin: 'https://api.example.com:8443' } },
      'csrf_rejected 403',
    ],
    [
      'Origin on another scheme',
      { method: 'POST', url, headers: { origin: 'http://api.example.com' } },
      'csrf_rejected 403',
    ],
    [
      'Origin null (sandboxed iframe, data: URL)',
      { method: 'POST', url, headers: { origin: 'null' } },
      'csrf_rejected 403',
    ],
    [
      'foreign Referer',
      { method: 'POST', url, headers: { referer: 'https://evil.example/x' } },
      'csrf_rejected 403',
    ],
    [
      'unparseable Referer',
      { method: 'POST', url, headers: { referer: 'not a url' } },
      'csrf_rejected 403',
    ],
    [
      'no Sec-Fetch-Site, Origin or Referer',
      { method: 'POST', url, headers: {} },
      'csrf_rejected 403',
    ],
    [
      'path URL without Host',
      { method: 'POST', url: '/orders', headers: { origin: 'https://api.example.com' } },
      'csrf_rejected 403',
    ],
    [
      'path URL with another Host',
      {
        method: 'POST',
        url: '/orders',
        headers: { origin: 'https://evil.example', host: 'api.example.com' },
      },
      'csrf_rejected 403',
    ],
    [
      'allowedOrigins is exact: a subdomain is not listed',
      { method: 'POST', url, headers: { origin: 'https://x.admin.example.com' } },
      'csrf_rejected 403',
    ],
  ])('%s: %s', (_name, request, expected) => {
    expect(outcome(request)).toBe(expected)
  })
})
