// The conformance apps served by another runtime: run as `bun serve.ts <framework>` or
// `deno run serve.ts hono` (see runtimes.ts), never by Node. Hono is served by the runtime's own
// server (Bun.serve, Deno.serve); Express and Koa by Bun's node:http. Every setup of the table gets
// its own server on 127.0.0.1; the ports go to stdout as one JSON line, and the process lives until
// its stdin closes. The options are built here, by the very setup functions of fixtures.ts (so
// functions, zod schemas and Authenticator instances are the runtime's own), from the parent's keys.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { signaturePath } from '../../packages/core/test/signature-path.js'
import { SETUPS, specOf } from '../conformance/fixtures.js'
import type { Fixtures, SetupName } from '../conformance/fixtures.js'
import { buildExpressApp } from '../support/apps/express.js'
import type { ExpressFactory } from '../support/apps/express.js'
import { buildHonoApp } from '../support/apps/hono.js'
import { buildKoaApp } from '../support/apps/koa.js'
import type { AppSpec } from '../support/drivers.js'
import type { RuntimeKeys, RuntimeReady } from './runtimes.js'

type FetchHandler = (request: Request) => Response | Promise<Response>
interface BunGlobal {
  version: string
  serve(options: { hostname: string; port: number; fetch: FetchHandler }): { port: number }
}
interface DenoGlobal {
  version: { deno: string }
  serve(
    options: { hostname: string; port: number; onListen(): void },
    handler: FetchHandler,
  ): { addr: { port: number } }
}
const { Bun, Deno } = globalThis as { Bun?: BunGlobal; Deno?: DenoGlobal }

const framework = process.argv[2] ?? 'hono'
const keys = JSON.parse(process.env.TOKENGATE_RUNTIME_KEYS ?? '{}') as RuntimeKeys
// specOf reads only these members of the fixtures (the setups' keys); the tokens are built by the parent.
const fixtures = keys as unknown as Fixtures

async function serve(spec: AppSpec): Promise<number> {
  if (framework === 'hono') {
    const { fetch } = buildHonoApp(spec)
    if (Bun) return Bun.serve({ hostname: '127.0.0.1', port: 0, fetch }).port
    if (Deno) return Deno.serve({ hostname: '127.0.0.1', port: 0, onListen() {} }, fetch).addr.port
    throw new Error('serve.ts runs under Bun or Deno')
  }
  const server = createServer(
    framework === 'express'
      ? buildExpressApp(express as unknown as ExpressFactory, spec, 'express5')
      : buildKoaApp(spec).callback(),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

const ports: Partial<Record<SetupName, number>> = {}
for (const setup of Object.keys(SETUPS) as SetupName[]) {
  ports[setup] = await serve(specOf(setup, fixtures))
}
const ready: RuntimeReady = {
  runtime: Bun ? 'bun' : Deno ? 'deno' : 'node',
  version: Bun?.version ?? Deno?.version.deno ?? process.version,
  framework,
  signaturePath,
  ports,
}
process.stdout.write(`${JSON.stringify(ready)}\n`)
// Lives as long as the parent holds its stdin open.
process.stdin.on('end', () => process.exit(0))
process.stdin.resume()
