// The Hono MCP server inside workerd (miniflare), reached over real HTTP by the MCP SDK client,
// against the same real authorization server: the whole RFC 9728 flow on the Workers runtime.
import { once } from 'node:events'
import { createServer } from 'node:net'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { build } from 'esbuild'
import { Miniflare } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TOOL_SCOPES } from '../src/mcp.js'
import { startAuthorizationServer, type AuthorizationServer } from './authorization-server.js'
import { TestClientProvider, text, withAuthorization } from './client.js'

let as: AuthorizationServer
let mf: Miniflare
let resource: string

/** A free port on 127.0.0.1: the resource identifier names it, so it is chosen before the Worker starts. */
async function freePort(): Promise<number> {
  const probe = createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const { port } = probe.address() as AddressInfo
  await new Promise((r) => probe.close(r))
  return port
}

beforeAll(async () => {
  as = await startAuthorizationServer([...new Set(Object.values(TOOL_SCOPES))])
  const bundle = await build({
    entryPoints: [fileURLToPath(new URL('../src/worker.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The export conditions wrangler uses for workerd; `@tokengate/source` bundles our sources.
    conditions: ['@tokengate/source', 'workerd', 'worker', 'browser'],
    logLevel: 'silent',
  })
  const port = await freePort()
  resource = `http://127.0.0.1:${port}/mcp`
  mf = new Miniflare({
    modules: true,
    script: bundle.outputFiles[0]!.text,
    compatibilityDate: '2025-09-01',
    compatibilityFlags: ['nodejs_compat'],
    host: '127.0.0.1',
    port,
    bindings: { MCP_RESOURCE: resource, MCP_ISSUER: as.issuer },
  })
  expect(String(await mf.ready)).toBe(`http://127.0.0.1:${port}/`)
}, 60_000)
afterAll(async () => {
  await mf?.dispose()
  await as?.close()
})

describe('the Hono MCP server on Workers (workerd)', () => {
  it('serves the RFC 9728 metadata and names it in the 401 challenge', async () => {
    const res = await fetch(resource, { method: 'POST', body: '{}' })
    expect(res.status).toBe(401)
    const metadataUrl = `${new URL(resource).origin}/.well-known/oauth-protected-resource/mcp`
    expect(res.headers.get('www-authenticate')).toBe(`Bearer resource_metadata="${metadataUrl}"`)
    expect(await (await fetch(metadataUrl)).json()).toMatchObject({
      resource,
      authorization_servers: [as.issuer],
    })
  })

  it('the SDK client authorizes, calls a tool, and steps up for mcp:admin', async () => {
    const provider = new TestClientProvider(as)
    const transport = () =>
      new StreamableHTTPClientTransport(new URL(resource), { authProvider: provider })
    const sum = await withAuthorization(provider, transport, async (client) =>
      text(await client.callTool({ name: 'add', arguments: { a: 20, b: 22 } })),
    )
    expect(sum).toBe('42')
    const audit = await withAuthorization(provider, transport, async (client) =>
      text(await client.callTool({ name: 'audit_log', arguments: {} })),
    )
    expect(audit).toBe('audit log: 0 entries')
    expect(provider.authorizations.map((u) => u.searchParams.get('scope'))).toEqual([
      'mcp:tools',
      'mcp:tools mcp:admin',
    ])
  })
})
