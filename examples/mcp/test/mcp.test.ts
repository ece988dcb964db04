// The MCP authorization flow end to end, with the official MCP SDK client and a real authorization
// server: 401 with resource_metadata, RFC 9728 discovery, RFC 8414 metadata, dynamic registration,
// PKCE, a token for the resource (RFC 8707), tool calls, and a step-up on insufficient_scope.
import { once } from 'node:events'
import { createServer, type RequestListener, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { getRequestListener } from '@hono/node-server'
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createExpressMcpApp } from '../src/express.js'
import { createHonoMcpApp } from '../src/hono.js'
import { TOOL_SCOPES } from '../src/mcp.js'
import { startAuthorizationServer, type AuthorizationServer } from './authorization-server.js'
import { TestClientProvider, text, withAuthorization } from './client.js'

let as: AuthorizationServer

beforeAll(async () => {
  as = await startAuthorizationServer([...new Set(Object.values(TOOL_SCOPES))])
})
afterAll(() => as?.close())

describe.each<[string, (resource: string) => RequestListener]>([
  ['Express', (resource) => createExpressMcpApp(resource, as.issuer)],
  ['Hono (Node)', (resource) => getRequestListener(createHonoMcpApp(resource, as.issuer).fetch)],
])('an MCP server on %s protected by tokengate', (_name, listenerFor) => {
  let server: Server
  let resource: string
  beforeAll(async () => {
    // The resource identifier names the port: listen first, then build the app for its own URL.
    const app: { listener?: RequestListener } = {}
    server = createServer((req, res) => app.listener!(req, res))
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    resource = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`
    app.listener = listenerFor(resource)
  })
  afterAll(async () => {
    server?.closeAllConnections()
    await new Promise((r) => server?.close(r))
  })

  it('without a token: 401 whose challenge points to the RFC 9728 metadata, which names the AS', async () => {
    const res = await fetch(resource, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    })
    expect(res.status).toBe(401)
    const metadataUrl = `${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp`
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}"`)
    const metadata = await (await fetch(metadataUrl)).json()
    expect(metadata).toEqual({
      resource,
      authorization_servers: [as.issuer],
      scopes_supported: ['mcp:tools'],
      bearer_methods_supported: ['header'],
      resource_name: 'tokengate MCP example',
    })
  })

  it('the SDK client discovers, registers, authorizes for the resource, and calls tools; a tool needing mcp:admin steps up', async () => {
    const provider = new TestClientProvider(as)
    const transport = () =>
      new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider })
    const whoami = await withAuthorization(provider, transport, async (client) => {
      const tools = await client.listTools()
      expect(tools.tools.map((t) => t.name).sort()).toEqual(['add', 'audit_log', 'whoami'])
      expect(text(await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } }))).toBe('5')
      return JSON.parse(text(await client.callTool({ name: 'whoami', arguments: {} })))
    })
    // Registered dynamically (RFC 7591), asked for this resource (RFC 8707) with PKCE (RFC 7636).
    expect(provider.client?.client_id).toEqual(expect.any(String))
    const first = provider.authorizations[0]!
    expect(first.searchParams.get('resource')).toBe(resource)
    expect(first.searchParams.get('code_challenge_method')).toBe('S256')
    expect(first.searchParams.get('scope')).toBe('mcp:tools')
    expect(whoami).toEqual({
      sub: 'alice',
      clientId: provider.client?.client_id,
      scopes: ['mcp:tools'],
    })
    const [, payload] = provider.saved!.access_token.split('.')
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toMatchObject({
      aud: resource,
      iss: as.issuer,
      scope: 'mcp:tools',
    })

    // audit_log needs mcp:admin: 403 insufficient_scope with scope="mcp:admin"; the SDK steps up.
    const direct = await fetch(resource, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${provider.saved!.access_token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'audit_log', arguments: {} },
      }),
    })
    expect(direct.status).toBe(403)
    expect(direct.headers.get('www-authenticate')).toMatch(
      /^Bearer resource_metadata="[^"]+", error="insufficient_scope", error_description="[^"]+", scope="mcp:tools mcp:admin"$/,
    )
    const audit = await withAuthorization(provider, transport, async (client) =>
      text(await client.callTool({ name: 'audit_log', arguments: {} })),
    )
    expect(audit).toBe('audit log: 0 entries')
    expect(provider.authorizations).toHaveLength(2)
    expect(provider.authorizations[1]!.searchParams.get('scope')).toBe('mcp:tools mcp:admin')
  })

  it('a token the AS issued for another resource is refused (RFC 8707 audience, RFC 9728 §7.3)', async () => {
    const other = `${new URL(resource).origin}/other-api`
    // A client that asks for another resource than the server's (what a confused or malicious
    // client would replay from another API): the AS issues it, tokengate refuses it.
    const provider = new (class extends TestClientProvider {
      async validateResourceURL() {
        return new URL(other)
      }
    })(as)
    const transport = () =>
      new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider })
    // The server keeps answering 401, so the client never gets in (it would authorize again).
    await expect(
      withAuthorization(provider, transport, (client) => client.listTools()),
    ).rejects.toBeInstanceOf(UnauthorizedError)
    const token = provider.saved!.access_token
    expect(JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).aud).toBe(other)
    const res = await fetch(resource, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    })
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ code: 'claim_invalid' })
  })
})
