// `pnpm --filter @tokengate/example-mcp start`: the Express MCP server on Node, for an authorization
// server of your own: MCP_ISSUER (required), MCP_RESOURCE (default http://localhost:3000/mcp).
import { createExpressMcpApp } from './express.js'

const issuer = process.env.MCP_ISSUER
if (!issuer) {
  console.error(
    'Set MCP_ISSUER to your authorization server, e.g. MCP_ISSUER=https://as.example.com',
  )
  process.exit(1)
}
const resource = process.env.MCP_RESOURCE ?? 'http://localhost:3000/mcp'
const url = new URL(resource)
createExpressMcpApp(resource, issuer).listen(Number(url.port || 3000), () => {
  console.log(
    `MCP server at ${resource}; metadata at ${url.origin}/.well-known/oauth-protected-resource${url.pathname}`,
  )
})
