// Starts the Express example on a port: used by `pnpm start` and by the tests alike.
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
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
  const server = app.listen(port, host)
  await once(server, 'listening')
  return {
    url: `http://localhost:${(server.address() as AddressInfo).port}`,
    keysGenerated: app.keysGenerated,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()))
        server.closeAllConnections()
      }),
  }
}
