// Node-only start-up helpers of the examples: configuration from env vars and files, the start-up banner.
import { readFile } from 'node:fs/promises'
import { createRedisRevocationStore, type RedisRevocationStore } from '@tokengate/redis'
import type { JWK } from 'jose'
import { isLoopbackHttp, type ExampleConfig } from './auth.js'
import { parsePrivateJwk } from './keys.js'

export type { ExampleConfig } from './auth.js'
import { DEMO_USERS } from './users.js'

/** An example listening on a real socket. */
export interface RunningServer {
  /** `http://localhost:<port>`: where the app is reached. */
  url: string
  keysGenerated: boolean
  close(): Promise<void>
}

/** How each example starts itself: build the app from `config`, listen on `port` (0: any free one). */
export type Serve = (config: ExampleConfig, port: number, host: string) => Promise<RunningServer>

/** What the environment may provide; everything has a working default. */
export interface EnvConfig {
  port: number
  /** Interface to listen on. Default 127.0.0.1: the demo is not meant for the network. */
  host: string
  /** Where users reach the app, from PUBLIC_URL. Default: the URL the server listens at. */
  publicUrl?: string
  /**
   * Cookies without Secure: when `publicUrl` is plain http on a loopback name, or when there is no
   * PUBLIC_URL and the server listens on loopback only, or by the explicit INSECURE_COOKIES=1.
   */
  insecureDevCookies: boolean
  /** INSECURE_COOKIES=1 let non-Secure cookies go out on a network interface: the banner says so. */
  insecureOnNetwork: boolean
  /** Private JWKs from TOKENGATE_SIGNING_JWK / TOKENGATE_ENCRYPTION_JWK (or their *_FILE forms). */
  signingJwk?: JWK
  encryptionJwk?: JWK
}

/**
 * Reads PORT, HOST, PUBLIC_URL and the key variables. Keys are private JWKs (JSON), given inline
 * (`TOKENGATE_SIGNING_JWK='{"kty":"EC",...}'`) or as a file path (`TOKENGATE_SIGNING_JWK_FILE=./sig.json`).
 * Without them, the app generates fresh keys at start-up and every restart logs everyone out.
 *
 * @example
 * const config = await configFromEnv(3000)
 */
export async function configFromEnv(
  defaultPort: number,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnvConfig> {
  const port = env.PORT === undefined || env.PORT === '' ? defaultPort : Number(env.PORT)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`PORT must be a port number (0-65535), got ${JSON.stringify(env.PORT)}.`)
  }
  const publicUrl = env.PUBLIC_URL ? new URL(env.PUBLIC_URL).origin : undefined
  if (publicUrl !== undefined && !publicUrl.startsWith('https:') && !isLoopbackHttp(publicUrl)) {
    // Secure cookies are never stored over plain http: sign-in would silently fail.
    throw new Error(
      `PUBLIC_URL must be https, or http on localhost for development; got ${publicUrl}.`,
    )
  }
  const host = env.HOST || '127.0.0.1'
  const insecureOptIn = env.INSECURE_COOKIES === '1'
  const insecureOnNetwork = publicUrl === undefined && !isLoopbackHost(host)
  if (insecureOnNetwork && !insecureOptIn) {
    // Without PUBLIC_URL the app cannot know it sits behind TLS, so it would set cookies without
    // Secure, and they would travel in clear text over the network it listens on.
    throw new Error(
      `HOST=${host} listens beyond this machine, but without PUBLIC_URL the cookies would lack Secure and cross the network in clear text. ` +
        'Serve it over TLS and set PUBLIC_URL=https://<your host>, or listen on HOST=127.0.0.1, ' +
        'or set INSECURE_COOKIES=1 to accept non-Secure cookies on the network (a trusted test network only, never production).',
    )
  }
  const signingJwk = await jwkFromEnv(env, 'TOKENGATE_SIGNING_JWK')
  const encryptionJwk = await jwkFromEnv(env, 'TOKENGATE_ENCRYPTION_JWK')
  return {
    port,
    host,
    ...(publicUrl && { publicUrl }),
    insecureDevCookies: publicUrl === undefined || isLoopbackHttp(publicUrl),
    insecureOnNetwork,
    ...(signingJwk && { signingJwk }),
    ...(encryptionJwk && { encryptionJwk }),
  }
}

/** Whether `host` is a loopback interface only (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase()
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
}

/**
 * REDIS_URL set: revoked tokens live in Redis, shared by every instance of the example (run them
 * with the same TOKENGATE_*_JWK keys). Unset: in memory, one process (see revocation.ts).
 *
 * @example
 * const revocation = revocationFromEnv(process.env) // undefined without REDIS_URL
 */
export function revocationFromEnv(env: NodeJS.ProcessEnv): RedisRevocationStore | undefined {
  if (!env.REDIS_URL) return undefined
  return createRedisRevocationStore({
    url: env.REDIS_URL,
    // Never the URL itself in a log line: it may carry a password.
    onUnavailable: (err) =>
      console.error(`tokengate example: Redis unavailable: ${(err as Error).message}`),
  })
}

async function jwkFromEnv(env: NodeJS.ProcessEnv, name: string): Promise<JWK | undefined> {
  const inline = env[name]
  const file = env[`${name}_FILE`]
  if (inline && file) throw new Error(`Set ${name} or ${name}_FILE, not both.`)
  if (!inline && !file) return undefined
  const text = inline || (await readFile(file as string, 'utf8'))
  return parsePrivateJwk(text, file ? `${name}_FILE` : name)
}

/**
 * The whole start-up of an example: configuration from the environment, listen, print the URL and
 * the demo credentials, close cleanly on SIGINT / SIGTERM. A configuration error exits with 1.
 *
 * @example
 * await runExample('Express', 3000, serve)
 */
export async function runExample(
  appName: string,
  defaultPort: number,
  serve: Serve,
): Promise<void> {
  let server: RunningServer
  let revocation: RedisRevocationStore | undefined
  try {
    const env = await configFromEnv(defaultPort)
    revocation = revocationFromEnv(process.env)
    server = await serve(
      {
        insecureDevCookies: env.insecureDevCookies,
        ...(env.publicUrl && { publicOrigin: env.publicUrl }),
        ...(revocation && { revocation }),
        ...(env.signingJwk && { signingJwk: env.signingJwk }),
        ...(env.encryptionJwk && { encryptionJwk: env.encryptionJwk }),
      },
      env.port,
      env.host,
    )
    console.log(
      banner(
        appName,
        env.publicUrl ?? server.url,
        env.insecureOnNetwork ? 'network' : env.insecureDevCookies,
        server.keysGenerated,
      ),
    )
    console.log(
      revocation
        ? '  Revocation: Redis (REDIS_URL), shared by every instance.\n'
        : '  Revocation: in memory, this process only (set REDIS_URL to share it).\n',
    )
  } catch (err) {
    console.error(
      `tokengate ${appName} example: ${err instanceof Error ? err.message : String(err)}`,
    )
    process.exit(1)
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const stop = () => server.close().then(() => revocation?.close())
    process.once(signal, () => void stop().then(() => process.exit(0)))
  }
}

/** The lines printed on start-up: where to go and how to sign in. */
export function banner(
  appName: string,
  url: string,
  insecureDevCookies: boolean | 'network',
  keysGenerated: boolean,
): string {
  const lines = [
    '',
    `  tokengate ${appName} example: open ${url}`,
    '',
    '  Demo users (username / password):',
    ...DEMO_USERS.map(
      (u) =>
        `    ${u.username.padEnd(6)} / ${u.password.padEnd(11)} roles: ${u.roles.join(', ')}; scope: ${u.scope}`,
    ),
    '',
    keysGenerated
      ? '  Keys: generated at start-up (set TOKENGATE_SIGNING_JWK / TOKENGATE_ENCRYPTION_JWK to keep them).'
      : '  Keys: from the environment.',
    insecureDevCookies === 'network'
      ? '  Cookies: WITHOUT Secure on a network interface (INSECURE_COOKIES=1): anyone on the network path can read a session. Never in production.'
      : insecureDevCookies
        ? '  Cookies: without Secure, because this is http on localhost (development only).'
        : '  Cookies: Secure, __Host- prefixed.',
    '',
  ]
  return lines.join('\n')
}
