// Protected resource metadata (RFC 9728): start-up checks, the document, its paths, signed metadata.
import { keysFor } from '@tokengate/testkit'
import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { createAuthenticator } from '../authenticate.js'
import { AuthError } from '../errors.js'
import type { AuthenticatorOptions } from '../types.js'
import { isMetadataRequest, metadataResponse, resolveProtectedResource } from './resource.js'

const context = { header: true, dpopAlgorithms: undefined, dpopRequired: false }
const RESOURCE = 'https://api.example.com/mcp'
const AS = 'https://as.example.com'

describe('resolveProtectedResource: the document (RFC 9728 §2)', () => {
  it('maps the options to their registered members, with the defaults the other options imply', async () => {
    const resource = resolveProtectedResource(
      {
        resource: RESOURCE,
        authorizationServers: [AS],
        scopesSupported: ['tools:read', 'tools:call'],
        resourceName: 'Example MCP',
        resourceDocumentation: 'https://docs.example.com/mcp',
        tlsClientCertificateBoundAccessTokens: false,
        extra: { mcp_protocol_version: '2025-11-25' },
      },
      context,
    )!
    expect(JSON.parse(await resource.document())).toEqual({
      resource: RESOURCE,
      authorization_servers: [AS],
      scopes_supported: ['tools:read', 'tools:call'],
      bearer_methods_supported: ['header'],
      resource_name: 'Example MCP',
      resource_documentation: 'https://docs.example.com/mcp',
      tls_client_certificate_bound_access_tokens: false,
      mcp_protocol_version: '2025-11-25',
    })
  })

  it('states DPoP support from options.dpop, and no bearer method when tokens come from a cookie', async () => {
    const resource = resolveProtectedResource(
      { resource: RESOURCE },
      { header: false, dpopAlgorithms: ['ES256'], dpopRequired: true },
    )!
    expect(JSON.parse(await resource.document())).toEqual({
      resource: RESOURCE,
      bearer_methods_supported: [],
      dpop_signing_alg_values_supported: ['ES256'],
      dpop_bound_access_tokens_required: true,
    })
  })

  it.each([
    [
      'https://api.example.com/mcp',
      ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'],
      'https://api.example.com/.well-known/oauth-protected-resource/mcp',
    ],
    [
      'https://api.example.com/',
      ['/.well-known/oauth-protected-resource'],
      'https://api.example.com/.well-known/oauth-protected-resource',
    ],
    [
      'https://api.example.com',
      ['/.well-known/oauth-protected-resource'],
      'https://api.example.com/.well-known/oauth-protected-resource',
    ],
    [
      'https://api.example.com:8443/v1/mcp/',
      ['/.well-known/oauth-protected-resource/v1/mcp', '/.well-known/oauth-protected-resource'],
      'https://api.example.com:8443/.well-known/oauth-protected-resource/v1/mcp',
    ],
    [
      'http://127.0.0.1:3000/mcp',
      ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource'],
      'http://127.0.0.1:3000/.well-known/oauth-protected-resource/mcp',
    ],
  ])('RFC 9728 §3.1: %s is described at %j', (resource, paths, url) => {
    const resolved = resolveProtectedResource({ resource }, context)!
    expect(resolved.paths).toEqual(paths)
    expect(resolved.metadataUrl).toBe(url)
  })

  it('answers GET and HEAD of exactly those paths, whatever the query, and nothing else', () => {
    const resource = resolveProtectedResource({ resource: RESOURCE }, context)
    expect(isMetadataRequest(resource, 'GET', '/.well-known/oauth-protected-resource/mcp')).toBe(
      true,
    )
    expect(isMetadataRequest(resource, 'HEAD', '/.well-known/oauth-protected-resource?x')).toBe(
      true,
    )
    expect(
      isMetadataRequest(
        resource,
        'GET',
        'https://api.example.com/.well-known/oauth-protected-resource/mcp#f',
      ),
    ).toBe(true)
    expect(isMetadataRequest(resource, 'POST', '/.well-known/oauth-protected-resource/mcp')).toBe(
      false,
    )
    expect(isMetadataRequest(resource, 'GET', '/.well-known/oauth-protected-resource/mcp/x')).toBe(
      false,
    )
    expect(isMetadataRequest(resource, 'GET', '/.well-known/oauth-protected-resource/MCP')).toBe(
      false,
    )
    expect(isMetadataRequest(resource, 'GET', '/.well-known/oauth-protected-resource/%6dcp')).toBe(
      false,
    )
    expect(isMetadataRequest(resource, 'GET', '/mcp')).toBe(false)
    expect(isMetadataRequest(undefined, 'GET', '/.well-known/oauth-protected-resource')).toBe(false)
  })

  it('the response is public JSON, cacheable, and readable from a browser-based client', async () => {
    const res = await metadataResponse(resolveProtectedResource({ resource: RESOURCE }, context)!)
    expect(res.status).toBe(200)
    expect(res.headers).toEqual({
      'content-type': 'application/json',
      'cache-control': 'public, max-age=3600',
      'access-control-allow-origin': '*',
    })
    expect(JSON.parse(res.body).resource).toBe(RESOURCE)
  })
})

describe('RFC 9728 §2.2: signed metadata', () => {
  it('signed_metadata is a JWT of the same members, with iss, verifiable with the public key', async () => {
    const keys = await keysFor('ES256')
    const resource = resolveProtectedResource(
      {
        resource: RESOURCE,
        authorizationServers: [AS],
        signed: { signingKey: keys.privateJwk, alg: 'ES256', issuer: 'https://api.example.com' },
      },
      context,
    )!
    const document = JSON.parse(await resource.document())
    const { signed_metadata: jwt, ...plain } = document
    const { payload, protectedHeader } = await jwtVerify(
      jwt,
      createLocalJWKSet({ keys: [keys.publicJwk] }),
      { issuer: 'https://api.example.com' },
    )
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: keys.kid })
    expect(payload).toMatchObject(plain)
    // Signed once: the same text for every request.
    expect(await resource.document()).toBe(JSON.stringify(document))
    expect(decodeJwt(jwt).iss).toBe('https://api.example.com')
  })

  it.each<[string, Record<string, unknown>, RegExp]>([
    [
      'an HMAC algorithm',
      { alg: 'HS256', issuer: 'x' },
      /signed\.alg must be one of RS256.*got "HS256"/,
    ],
    [
      'no issuer',
      { alg: 'ES256' },
      /signed\.issuer is required: the iss of the signed metadata \(RFC 9728 §2\.2\)/,
    ],
    [
      'a key for another algorithm',
      { alg: 'RS256', issuer: 'x' },
      /signed\.signingKey does not fit RS256/,
    ],
    [
      'an unknown member',
      { alg: 'ES256', issuer: 'x', typ: 'x' },
      /unknown option options\.protectedResource\.signed\.typ/,
    ],
  ])('%s fails at start-up', async (_name, signed, message) => {
    const keys = await keysFor('ES256')
    expect(() =>
      resolveProtectedResource(
        { resource: RESOURCE, signed: { signingKey: keys.privateJwk, ...signed } },
        context,
      ),
    ).toThrow(message)
  })
})

describe('misconfiguration fails at start-up, saying how to fix it', () => {
  const base: AuthenticatorOptions = { algorithms: ['ES256'], key: 'unused' as never }
  it.each<[string, unknown, RegExp]>([
    [
      'not an object',
      'https://api.example.com',
      /options\.protectedResource must be an object such as/,
    ],
    [
      'no resource',
      {},
      /options\.protectedResource\.resource must be an https URL .*got undefined/,
    ],
    [
      'an http resource on the internet',
      { resource: 'http://api.example.com' },
      /must be an https URL \(http only for localhost\)/,
    ],
    ['a relative resource', { resource: '/mcp' }, /resource must be an https URL/],
    [
      'a fragment',
      { resource: 'https://api.example.com/mcp#x' },
      /must not contain a fragment \(RFC 9728 §2\)/,
    ],
    ['a query', { resource: 'https://api.example.com/mcp?tenant=1' }, /must not contain a query/],
    [
      'an empty list of authorization servers',
      { resource: RESOURCE, authorizationServers: [] },
      /authorizationServers must be a non-empty list of issuer URLs/,
    ],
    [
      'an authorization server that is not a URL',
      { resource: RESOURCE, authorizationServers: ['as.example.com'] },
      /authorizationServers\[0\] must be an https URL/,
    ],
    [
      'scopes as a string',
      { resource: RESOURCE, scopesSupported: 'a b' },
      /scopesSupported must be a list of non-empty strings/,
    ],
    [
      'a bearer method that RFC 6750 does not define',
      { resource: RESOURCE, bearerMethodsSupported: ['cookie'] },
      /'header', 'body', 'query'/,
    ],
    [
      'a member set twice through extra',
      { resource: RESOURCE, extra: { resource: 'x' } },
      /extra\.resource is set by tokengate/,
    ],
    [
      'a misspelt member',
      { resource: RESOURCE, authorizationServer: [AS] },
      /unknown option options\.protectedResource\.authorizationServer/,
    ],
    [
      'checkAudience as a string',
      { resource: RESOURCE, checkAudience: 'no' },
      /checkAudience must be true or false/,
    ],
  ])('%s', (_name, protectedResource, message) => {
    expect(() => resolveProtectedResource(protectedResource, context)).toThrow(message)
    expect(() =>
      createAuthenticator({ ...base, protectedResource } as AuthenticatorOptions),
    ).toThrow(message)
  })

  it('an audience that leaves out the resource would refuse every token the metadata asks for', async () => {
    const keys = await keysFor('ES256')
    expect(() =>
      createAuthenticator({
        algorithms: ['ES256'],
        key: keys.publicJwk,
        audience: 'https://other.example.com',
        protectedResource: { resource: RESOURCE },
      }),
    ).toThrow(
      /options\.audience must include options\.protectedResource\.resource \('https:\/\/api\.example\.com\/mcp'\), or be left out/,
    )
  })
})

describe('the audience follows the resource (RFC 8707 §2)', () => {
  const sign = async (aud: string) => {
    const keys = await keysFor('ES256')
    const { signToken } = await import('@tokengate/testkit')
    return { keys, token: await signToken({ sub: 'u', aud }, { alg: 'ES256', key: keys }) }
  }
  const authenticate = (options: AuthenticatorOptions, token: string) =>
    createAuthenticator(options).authenticate({
      method: 'GET',
      url: '/mcp',
      headers: { authorization: `Bearer ${token}` },
    })

  it('by default a token must name the resource; its 401 names the metadata', async () => {
    const { keys, token } = await sign('https://api.example.com/other')
    const options: AuthenticatorOptions = {
      algorithms: ['ES256'],
      key: keys.publicJwk,
      protectedResource: { resource: RESOURCE },
    }
    const err = await authenticate(options, token).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(AuthError)
    expect((err as AuthError).code).toBe('claim_invalid')
    expect((err as AuthError).challenge).toMatch(
      /^Bearer resource_metadata="https:\/\/api\.example\.com\/\.well-known\/oauth-protected-resource\/mcp", error="invalid_token"/,
    )
    const good = await sign(RESOURCE)
    await expect(
      authenticate({ ...options, key: good.keys.publicJwk }, good.token),
    ).resolves.toMatchObject({ payload: { aud: RESOURCE } })
  })

  it('checkAudience: false leaves the audience to options.audience', async () => {
    const { keys, token } = await sign('https://api.example.com/other')
    await expect(
      authenticate(
        {
          algorithms: ['ES256'],
          key: keys.publicJwk,
          protectedResource: { resource: RESOURCE, checkAudience: false },
        },
        token,
      ),
    ).resolves.toMatchObject({ payload: { sub: 'u' } })
  })
})
