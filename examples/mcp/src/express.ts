// The MCP server on Express 5: tokengate authenticates, a scope per tool, then the SDK's transport.
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { requireScopes, tokengate } from '@tokengate/express'
import express, { type Express, type RequestHandler } from 'express'
import { authInfoOf, authOptions, BASE_SCOPE, createMcpServer, extraScopesFor } from './mcp.js'

/** The Express app serving MCP at `resource`'s path (its metadata at the RFC 9728 well-known path). */
export function createExpressMcpApp(resource: string, issuer: string): Express {
  const app = express()
  const auth = tokengate(authOptions(resource, issuer))
  const path = new URL(resource).pathname
  // Serves /.well-known/oauth-protected-resource{,/mcp} (RFC 9728 §3.1) before any authentication.
  app.use('/.well-known', auth)
  const toolScopes: RequestHandler = (req, res, next) => {
    const scopes = extraScopesFor(req.body)
    if (scopes.length === 0) return next()
    // The challenge lists every scope the call needs: an MCP client asks for exactly those (SEP-835).
    return requireScopes([BASE_SCOPE, ...scopes])(req, res, next)
  }
  app.post(path, auth, requireScopes(BASE_SCOPE), express.json(), toolScopes, async (req, res) => {
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined })
    const server = createMcpServer()
    res.on('close', () => {
      void transport.close()
      void server.close()
    })
    await server.connect(transport)
    // The SDK reads its AuthInfo from req.auth: hand it that view of tokengate's context.
    const info = authInfoOf(req.auth!, resource)
    await transport.handleRequest(Object.assign(req, { auth: info as never }), res, req.body)
  })
  // Stateless: no SSE stream to resume and no session to end (MCP Streamable HTTP).
  const notAllowed: RequestHandler = (_req, res) => {
    res.status(405).set('allow', 'POST').json({ error: 'method not allowed' })
  }
  app.get(path, auth, notAllowed)
  app.delete(path, auth, notAllowed)
  return app
}
