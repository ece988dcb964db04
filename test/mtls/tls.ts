// Real TLS for the mTLS tests: each framework's conformance app on a Node HTTPS server that asks for a
// client certificate, and an HTTPS client that presents one (or none).
import { request as httpsRequest, createServer as createHttpsServer } from 'node:https'
import type { Server } from 'node:http'
import { createServer as createHttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createAdaptorServer } from '@hono/node-server'
import type { AuthenticatorOptions } from '@tokengate/core'
import type { TestCertificate, TestPki } from '@tokengate/testkit'
import express5 from 'express'
import { buildExpressApp, type ExpressFactory } from '../support/apps/express.js'
import { buildHonoApp } from '../support/apps/hono.js'
import { buildKoaApp } from '../support/apps/koa.js'
import { closeServer } from '../support/http.js'

export interface Reply {
  status: number
  headers: Record<string, string>
  body: { payload?: { sub?: string } | null; code?: string }
}

/** The three frameworks, each as a request handler for a Node server. */
export const frameworks = {
  express: (options: AuthenticatorOptions) =>
    buildExpressApp(express5 as unknown as ExpressFactory, { options }, 'express5'),
  koa: (options: AuthenticatorOptions) => buildKoaApp({ options }).callback(),
  hono: (options: AuthenticatorOptions) => buildHonoApp({ options }).fetch,
} as const
export type Framework = keyof typeof frameworks

/**
 * The app on HTTPS with `requestCert: true, rejectUnauthorized: false`: any client certificate is
 * taken (the binding, not a CA, decides, RFC 8705 §2.2), and a client may send none.
 */
export async function startTls(
  framework: Framework,
  options: AuthenticatorOptions,
  pki: TestPki,
): Promise<{ port: number; close(): Promise<void> }> {
  const tls = {
    cert: pki.server.cert,
    key: pki.server.key,
    requestCert: true,
    rejectUnauthorized: false,
  }
  const server: Server =
    framework === 'hono'
      ? (createAdaptorServer({
          fetch: frameworks.hono(options),
          createServer: createHttpsServer,
          serverOptions: tls,
        }) as unknown as Server)
      : (createHttpsServer(tls, frameworks[framework](options) as never) as unknown as Server)
  return { port: await listen(server), close: () => closeServer(server) }
}

/** The app on plain HTTP, behind a TLS-terminating proxy. */
export async function startPlain(
  framework: Framework,
  options: AuthenticatorOptions,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server =
    framework === 'hono'
      ? (createAdaptorServer({ fetch: frameworks.hono(options) }) as Server)
      : createHttpServer(frameworks[framework](options) as never)
  return { port: await listen(server), close: () => closeServer(server) }
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  return (server.address() as AddressInfo).port
}

/**
 * GET over TLS from a client presenting `cert` (or none), trusting the test CA. A new connection
 * each time (`agent: false`): no TLS session of another certificate is resumed.
 */
export function tlsGet(
  port: number,
  path: string,
  pki: TestPki,
  cert: TestCertificate | undefined,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        servername: 'localhost',
        ca: pki.ca.cert,
        ...(cert && { cert: cert.cert, key: cert.key }),
        headers: { host: 'api.example.test', ...headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('error', reject)
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8')
          const flat: Record<string, string> = {}
          for (const [name, value] of Object.entries(res.headers))
            if (value !== undefined) flat[name] = String(value)
          resolve({
            status: res.statusCode ?? 0,
            headers: flat,
            body: (text.startsWith('{') ? JSON.parse(text) : {}) as Reply['body'],
          })
        })
      },
    )
    req.on('error', reject)
    req.end()
  })
}
