// The MCP server on Hono (Node and Workers): tokengate, a scope per tool, the SDK's Web transport.
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js'
import { requireScopes, tokengate, type AuthVariables } from '@tokengate/hono'
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js'
import { Hono, type MiddlewareHandler } from 'hono'
import { authInfoOf, authOptions, BASE_SCOPE, createMcpServer, extraScopesFor } from './mcp.js'

type Env = { Variables: AuthVariables }

/** The Hono app serving MCP at `resource`'s path (its metadata at the RFC 9728 well-known path). */
export function createHonoMcpApp(
  resource: string,
  issuer: string,
  validator?: jsonSchemaValidator,
): Hono<Env> {
  const app = new Hono<Env>()
  const auth = tokengate(authOptions(resource, issuer))
  const path = new URL(resource).pathname
  // Serves /.well-known/oauth-protected-resource{,/mcp} (RFC 9728 §3.1) before any authentication.
  app.use('/.well-known/*', auth)
  const toolScopes: MiddlewareHandler<Env> = async (c, next) => {
    const body: unknown = await c.req.json().catch(() => undefined)
    const scopes = extraScopesFor(body)
    if (scopes.length === 0) return next()
    // The challenge lists every scope the call needs: an MCP client asks for exactly those (SEP-835).
    return requireScopes([BASE_SCOPE, ...scopes])(c, next)
  }
  app.post(path, auth, requireScopes(BASE_SCOPE), toolScopes, async (c) => {
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
    })
    const server = createMcpServer(validator)
    await server.connect(transport)
    // The body was read once by toolScopes; Hono keeps it, and the transport takes it parsed.
    const parsedBody: unknown = await c.req.json().catch(() => undefined)
    return transport.handleRequest(c.req.raw, {
      parsedBody,
      authInfo: authInfoOf(c.get('auth'), resource),
    })
  })
  app.on(['GET', 'DELETE'], path, auth, (c) =>
    c.json({ error: 'method not allowed' }, 405, { allow: 'POST' }),
  )
  return app
}
