// The MCP side, framework-neutral: the server's tools, the scope each one needs, and the
// tokengate context seen as the SDK's AuthInfo.
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js'
import type { AuthContext } from '@tokengate/core'
import { z } from 'zod'

/** The scope each tool needs; `tools/list` and the handshake need the base scope only. */
export const TOOL_SCOPES: Readonly<Record<string, string>> = {
  whoami: 'mcp:tools',
  add: 'mcp:tools',
  audit_log: 'mcp:admin',
}
/** Needed for any call to the MCP endpoint. */
export const BASE_SCOPE = 'mcp:tools'

/**
 * The scope a JSON-RPC message (or batch) needs beyond the base scope: `tools/call` of a tool
 * whose scope is another. Checked over HTTP, before the MCP transport, so the client gets a 403
 * `insufficient_scope` challenge it can step up from (MCP authorization spec, RFC 6750 §3.1).
 */
export function extraScopesFor(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body]
  const scopes = new Set<string>()
  for (const message of messages) {
    const m = message as { method?: unknown; params?: { name?: unknown } } | null
    if (m?.method !== 'tools/call' || typeof m.params?.name !== 'string') continue
    const scope = TOOL_SCOPES[m.params.name]
    if (scope !== undefined && scope !== BASE_SCOPE) scopes.add(scope)
  }
  return [...scopes]
}

/** tokengate's verified context as the SDK's AuthInfo (what tools see as `extra.authInfo`). */
export function authInfoOf(ctx: AuthContext, resource: string): AuthInfo {
  const payload = ctx.payload as { client_id?: unknown; exp?: unknown; sub?: unknown }
  return {
    token: ctx.token,
    clientId: typeof payload.client_id === 'string' ? payload.client_id : '',
    scopes: ctx.scopes,
    ...(typeof payload.exp === 'number' && { expiresAt: payload.exp }),
    resource: new URL(resource),
    extra: { sub: payload.sub },
  }
}

/**
 * A fresh MCP server (stateless: one per request, as the SDK's stateless examples do). On Workers,
 * pass the SDK's `CfWorkerJsonSchemaValidator`: its default (ajv) compiles code at run time, which
 * workerd forbids.
 */
export function createMcpServer(jsonSchemaValidator?: jsonSchemaValidator): McpServer {
  const server = new McpServer(
    { name: 'tokengate-example', version: '1.0.0' },
    jsonSchemaValidator ? { jsonSchemaValidator } : {},
  )
  server.registerTool(
    'whoami',
    { description: 'Who the caller is, from the verified access token.', inputSchema: {} },
    async (_args, extra) => ({
      content: [
        {
          type: 'text',
          text: JSON.stringify({
            sub: extra.authInfo?.extra?.sub,
            clientId: extra.authInfo?.clientId,
            scopes: extra.authInfo?.scopes,
          }),
        },
      ],
    }),
  )
  server.registerTool(
    'add',
    { description: 'Adds two numbers.', inputSchema: { a: z.number(), b: z.number() } },
    async ({ a, b }) => ({ content: [{ type: 'text', text: String(a + b) }] }),
  )
  server.registerTool(
    'audit_log',
    { description: 'An administrative tool: needs the mcp:admin scope.', inputSchema: {} },
    async () => ({ content: [{ type: 'text', text: 'audit log: 0 entries' }] }),
  )
  return server
}

/** The tokengate options of the MCP endpoint: a resource server of one authorization server. */
export function authOptions(resource: string, issuer: string) {
  return {
    algorithms: ['ES256', 'RS256'],
    key: { discovery: issuer },
    // RFC 9068 §2.1: access tokens are typed at+jwt.
    typ: 'at+jwt',
    protectedResource: {
      resource,
      authorizationServers: [issuer],
      scopesSupported: [BASE_SCOPE],
      resourceName: 'tokengate MCP example',
    },
  } as const
}
