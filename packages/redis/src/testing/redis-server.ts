// Test fixture: a private redis-server on 127.0.0.1 and a free port, which tests stop, pause and restart.
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface RedisServer {
  readonly port: number
  readonly url: string
  /** SIGTERM and wait for exit: connections are refused afterwards. */
  stop(): Promise<void>
  /** Start again on the same port and data directory (appendonly: revocations survive). */
  start(): Promise<void>
  /** SIGSTOP: the socket stays open but nothing answers (a hung Redis). */
  pause(): void
  /** SIGCONT after pause(). */
  resume(): void
  /** Stop and delete the data directory. */
  dispose(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() =>
        typeof address === 'object' && address ? resolvePort(address.port) : reject(),
      )
    })
  })
}

/** Starts `redis-server` (installed by `.ci/ensure-redis`) and resolves once it accepts connections. */
export async function startRedisServer(): Promise<RedisServer> {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), 'tokengate-redis-'))
  let child: ChildProcess | undefined

  const start = () =>
    new Promise<void>((ready, fail) => {
      const proc = spawn(
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--dir',
          dir,
          '--save',
          '',
          '--appendonly',
          'yes',
          '--appendfsync',
          'always',
          '--loglevel',
          'notice',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
      child = proc
      let output = ''
      const timer = setTimeout(() => {
        proc.kill('SIGKILL')
        fail(new Error(`redis-server did not start on port ${port}:\n${output}`))
      }, 15_000)
      proc.stdout?.on('data', (chunk: Uint8Array) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer)
          ready()
        }
      })
      proc.stderr?.on('data', (chunk: Uint8Array) => (output += chunk.toString()))
      proc.on('error', (error) => {
        clearTimeout(timer)
        fail(new Error(`cannot run redis-server (run .ci/ensure-redis): ${error.message}`))
      })
      proc.on('exit', (code) => {
        clearTimeout(timer)
        fail(new Error(`redis-server exited with ${code}:\n${output}`))
      })
    })

  const stop = async () => {
    const proc = child
    child = undefined
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((done) => proc.once('exit', () => done()))
    proc.kill('SIGCONT') // in case it is paused
    proc.kill('SIGTERM')
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }

  // Never outlive the test process, even when afterAll does not run.
  const killOnExit = () => child?.kill('SIGKILL')
  process.once('exit', killOnExit)

  await start()
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async dispose() {
      process.off('exit', killOnExit)
      await stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
