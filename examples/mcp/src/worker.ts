// The Hono MCP server on Cloudflare Workers: configured from the Worker's environment, built once
// per isolate (never per request, so tokengate's key and token caches survive between requests).
import { CfWorkerJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/cfworker'
import type { ExecutionContext } from 'hono'
import { createHonoMcpApp } from './hono.js'

interface Env {
  /** The resource identifier, e.g. `https://mcp.example.com/mcp` (RFC 9728 §2). */
  MCP_RESOURCE: string
  /** The authorization server's issuer identifier. */
  MCP_ISSUER: string
}

let app: ReturnType<typeof createHonoMcpApp> | undefined

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    app ??= createHonoMcpApp(env.MCP_RESOURCE, env.MCP_ISSUER, new CfWorkerJsonSchemaValidator())
    return app.fetch(request, env, ctx)
  },
}
