// Starts the Hono example on Node (@hono/node-server): used by `pnpm start` and by the tests alike.
import { serve as listen, type ServerType } from '@hono/node-server'
import type { ExampleConfig, Serve } from '@tokengate/example-shared/node'
import { createApp } from './app.js'

/**
 * Builds the app and listens; port 0 picks a free port.
 *
 * @example
 * const server = await serve({ insecureDevCookies: true }, 0)
 * await fetch(`${server.url}/.well-known/jwks.json`)
 */
export const serve: Serve = async (config: ExampleConfig, port = 0, host = '127.0.0.1') => {
  const app = await createApp(config)
  const { server, port: actual } = await new Promise<{ server: ServerType; port: number }>(
    (resolve) => {
      const server = listen({ fetch: app.fetch, port, hostname: host }, (info) =>
        resolve({ server, port: info.port }),
      )
    },
  )
  return {
    url: `http://localhost:${actual}`,
    keysGenerated: app.keysGenerated,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        if ('closeAllConnections' in server) server.closeAllConnections()
      }),
  }
}
