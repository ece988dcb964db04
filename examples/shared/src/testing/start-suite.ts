// The `start` script of an example, run for real: it listens, prints the URL and credentials, and stops on SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DEMO_USERS } from '../users.js'

/**
 * Runs `package.json`'s `start` script (`tsx --conditions=@tokengate/source src/server.ts`: the
 * workspace packages from their sources, so a fresh clone needs no build) with PORT=0 and checks what a newcomer
 * sees: the printed URL answers, and the demo credentials are printed beside it.
 *
 * @example
 * describeStartScript('Express', fileURLToPath(new URL('..', import.meta.url)))
 */
export function describeStartScript(
  appName: string,
  appDir: string,
  // How long a cold start from the sources may take: Nest loads several hundred modules (its own,
  // rxjs) through tsx, about twice Express's cold start (examples/nest-app/test/start.test.ts).
  startMs = 20_000,
): void {
  describe(`${appName} example: pnpm start`, () => {
    let child: ChildProcess | undefined
    let refused: ChildProcess | undefined
    afterAll(() => {
      for (const c of [child, refused]) if (c && c.exitCode === null) c.kill('SIGKILL')
    })

    it(
      'starts, prints the URL and the demo credentials, serves the page, and stops on SIGTERM',
      async () => {
        const pkg = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8')) as {
          scripts: Record<string, string>
        }
        const start = 'tsx --conditions=@tokengate/source src/server.ts'
        expect(pkg.scripts.start).toBe(start)
        // The script's own binary, without a shell or pnpm in between, so SIGTERM reaches it.
        child = spawn(join(appDir, 'node_modules/.bin/tsx'), start.split(' ').slice(1), {
          cwd: appDir,
          env: { ...process.env, PORT: '0', PUBLIC_URL: '', HOST: '127.0.0.1' },
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let output = ''
        child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
        const url = await new Promise<string>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no URL printed within ${startMs / 1000} s:\n${output}`)),
            startMs,
          )
          child!.stdout!.on('data', (chunk: Buffer) => {
            output += chunk.toString()
            const match = /open (http:\/\/localhost:\d+)/.exec(output)
            if (match && output.includes('Cookies:')) {
              clearTimeout(timer)
              resolve(match[1]!)
            }
          })
          child!.once('exit', (code) =>
            reject(new Error(`exited with ${code} before listening:\n${output}`)),
          )
        })
        for (const user of DEMO_USERS)
          expect(output).toContain(`${user.username.padEnd(6)} / ${user.password}`)
        const page = await fetch(url)
        expect(page.status).toBe(200)
        expect(await page.text()).toContain(`${appName} example`)
        const exited = new Promise<number | null>((resolve) =>
          child!.once('exit', (code) => resolve(code)),
        )
        child.kill('SIGTERM')
        expect(await exited).toBe(0)
      },
      startMs + 30_000,
    )

    // Issue 21 item 7: a network interface without PUBLIC_URL would get cookies without Secure.
    it(
      'refuses HOST=0.0.0.0 without PUBLIC_URL (exit 1), saying how to fix it',
      async () => {
        const env: NodeJS.ProcessEnv = {
          ...process.env,
          PORT: '0',
          PUBLIC_URL: '',
          HOST: '0.0.0.0',
        }
        delete env.INSECURE_COOKIES
        refused = spawn(join(appDir, 'node_modules/.bin/tsx'), ['src/server.ts'], {
          cwd: appDir,
          env,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
        let output = ''
        refused.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()))
        refused.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
        const code = await new Promise<number | null>((resolve) => refused!.once('exit', resolve))
        expect(code).toBe(1)
        expect(output).toContain(
          `tokengate ${appName} example: HOST=0.0.0.0 listens beyond this machine`,
        )
        expect(output).toContain('PUBLIC_URL=https://')
        expect(output).toContain('INSECURE_COOKIES=1')
        expect(output).not.toContain('open http')
      },
      startMs + 30_000,
    )
  })
}
