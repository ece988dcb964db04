// A real HAProxy (Debian's package, .ci/ensure-haproxy) terminating TLS in front of the apps and
// passing the client certificate on as RFC 9440 Client-Cert. Started and stopped by the tests.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestPki } from '@tokengate/testkit'

export interface Proxy {
  /** The TLS port in front of each backend port, in order. */
  ports: number[]
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(),
      )
    })
  })
}

const accepting = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })

/**
 * One frontend per backend: TLS with the test server certificate, a client certificate asked for
 * but not required (`verify optional`) and not judged (`ca-ignore-err all`, `crt-ignore-err all`:
 * the binding decides, RFC 8705 §2.2). The client's own Client-Cert is always removed; the proxy's
 * is set only when a certificate was presented: `:base64(DER):` (RFC 9440 §2.1, RFC 8941 §3.3.5).
 */
export async function startHaproxy(pki: TestPki, backends: number[]): Promise<Proxy> {
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-haproxy-'))
  writeFileSync(join(dir, 'server.pem'), pki.server.cert + pki.server.key)
  writeFileSync(join(dir, 'ca.pem'), pki.ca.cert)
  const ports = await Promise.all(backends.map(() => freePort()))
  const sections = backends.map(
    (backend, i) => `
frontend fe${i}
  bind 127.0.0.1:${ports[i]} ssl crt ${join(dir, 'server.pem')} ca-file ${join(dir, 'ca.pem')} verify optional ca-ignore-err all crt-ignore-err all
  http-request del-header client-cert
  http-request set-header Client-Cert :%[ssl_c_der,base64]: if { ssl_c_used }
  default_backend be${i}

backend be${i}
  server app 127.0.0.1:${backend}
`,
  )
  writeFileSync(
    join(dir, 'haproxy.cfg'),
    `global
  maxconn 256

defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
${sections.join('')}`,
  )
  let output = ''
  let child: ChildProcess | undefined = spawn('haproxy', ['-db', '-f', join(dir, 'haproxy.cfg')], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const spawnError = new Promise<never>((_, reject) => {
    child?.once('error', (error) =>
      reject(new Error(`cannot run haproxy (run .ci/ensure-haproxy): ${error.message}`)),
    )
    child?.once('exit', (code) => reject(new Error(`haproxy exited with ${code}:\n${output}`)))
  })
  spawnError.catch(() => undefined)
  const killOnExit = () => child?.kill('SIGKILL')
  process.once('exit', killOnExit)
  const stop = async () => {
    const proc = child
    child = undefined
    process.off('exit', killOnExit)
    if (proc && proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise<void>((done) => proc.once('exit', () => done()))
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
    rmSync(dir, { recursive: true, force: true })
  }
  // Bounded wait until every frontend accepts connections.
  for (let attempt = 0; ; attempt++) {
    const ready = await Promise.race([
      Promise.all(ports.map(accepting)).then((all) => all.every(Boolean)),
      spawnError,
    ]).catch(async (error: unknown) => {
      await stop()
      throw error
    })
    if (ready) break
    if (attempt >= 100) {
      await stop()
      throw new Error(`haproxy did not listen within 10 s:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return { ports, stop }
}
