// A plain node:http client, the same for every Node driver: repeated headers go out as repeated lines.
import { request as httpRequest } from 'node:http'
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { DriverRequest, DriverResponse } from './drivers.js'

/** Every request carries this Host unless the scenario sets one, so the app's own origin is known. */
export const DEFAULT_HOST = 'api.example.test'

export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return (server.address() as AddressInfo).port
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections()
  await new Promise<void>((resolve, reject) =>
    server.close((err) => (err ? reject(err) : resolve())),
  )
}

export function send(port: number, r: DriverRequest): Promise<DriverResponse> {
  const headers: Record<string, string | string[]> = { host: DEFAULT_HOST, ...lowercase(r.headers) }
  if (r.body !== undefined && headers['content-type'] === undefined)
    headers['content-type'] = 'text/plain'
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: r.method ?? 'GET', path: r.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const flat: Record<string, string> = {}
          for (const [name, value] of Object.entries(res.headers)) {
            if (value !== undefined && name !== 'set-cookie') flat[name] = String(value)
          }
          resolve(
            toDriverResponse(
              res.statusCode ?? 0,
              flat,
              res.headers['set-cookie'] ?? [],
              Buffer.concat(chunks).toString('utf8'),
            ),
          )
        })
      },
    )
    req.on('error', reject)
    req.end(r.body)
  })
}

export function toDriverResponse(
  status: number,
  headers: Record<string, string>,
  setCookie: string[],
  text: string,
): DriverResponse {
  let body: unknown = text
  if ((headers['content-type'] ?? '').includes('json') && text !== '') body = JSON.parse(text)
  return { status, headers, setCookie, body, text }
}

export function lowercase(
  headers: DriverRequest['headers'] = {},
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(headers)) out[name.toLowerCase()] = value
  return out
}
