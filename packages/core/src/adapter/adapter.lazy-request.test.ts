// nodeRequestLike is lazy (issue 17): the URL (and with it the framework's protocol, which walks its
// proxy settings) is built only when a configured step reads it, never on a plain Bearer request.
import { keysFor, signToken } from '@tokengate/testkit'
import { describe, expect, it, vi } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { nodeRequestLike, type NodeHeadersSource } from './node.js'

function nodeRequest(headers: Record<string, string>): NodeHeadersSource {
  const raw = Object.entries(headers).flat()
  return { headers, rawHeaders: raw }
}

describe('nodeRequestLike: lazy URL and headers', () => {
  it('a Bearer request (miss, then hits) never reads the protocol; CSRF on a cookie does', async () => {
    const hs = await keysFor('HS256')
    const token = await signToken({ sub: 'a' }, { alg: 'HS256', key: hs })
    const protocol = vi.fn(() => 'https')
    const bearer = createAuthenticator({ algorithms: ['HS256'], key: hs.secret as Uint8Array })
    for (let i = 0; i < 3; i++) {
      const req = nodeRequest({ host: 'api.example', authorization: `Bearer ${token}` })
      const ctx = await bearer.authenticate(nodeRequestLike('GET', protocol, '/me', req))
      expect(ctx?.payload.sub).toBe('a')
    }
    expect(protocol).not.toHaveBeenCalled()

    const cookie = createAuthenticator({
      algorithms: ['HS256'],
      key: hs.secret as Uint8Array,
      from: { cookie: 'at' },
    })
    const req = nodeRequest({
      host: 'api.example',
      origin: 'https://evil.example',
      cookie: `at=${token}`,
    })
    await expect(
      cookie.authenticate(nodeRequestLike('POST', protocol, '/me', req)),
    ).rejects.toMatchObject({ code: 'csrf_rejected' })
    expect(protocol).toHaveBeenCalledTimes(1)
  })

  it('computes the URL once, from Host and the path of an absolute-form target (RFC 9112 §3.2.2)', () => {
    const protocol = vi.fn(() => 'http')
    const request = nodeRequestLike(
      'GET',
      protocol,
      'http://other.example/x?y=1',
      nodeRequest({ host: 'api.example' }),
    )
    expect(request.url).toBe('http://api.example/x?y=1')
    expect(request.url).toBe('http://api.example/x?y=1')
    expect(protocol).toHaveBeenCalledTimes(1)
    expect(nodeRequestLike('GET', 'https', '/a', nodeRequest({})).url).toBe('/a')
  })
})
