// Starts the Nest example on a port: used by `pnpm start` and by the tests alike.
import type { AddressInfo } from 'node:net'
import type { Server } from 'node:http'
import type { ExampleConfig, Serve } from '@tokengate/example-shared/node'
import { createApp } from './app'

/**
 * Builds the app and listens; port 0 picks a free port.
 *
 * @example
 * const server = await serve({ insecureDevCookies: true }, 0, '127.0.0.1')
 * await fetch(`${server.url}/.well-known/jwks.json`)
 */
export const serve: Serve = async (config: ExampleConfig, port = 0, host = '127.0.0.1') => {
  const { app, keysGenerated } = await createApp(config)
  await app.listen(port, host)
  const server = app.getHttpServer() as Server
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    keysGenerated,
    close: async () => {
      server.closeAllConnections()
      await app.close()
    },
  }
}
