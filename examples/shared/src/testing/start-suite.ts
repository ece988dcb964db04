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
export function describeStartScript(appName: string, appDir: string): void {
  describe(`${appName} example: pnpm start`, () => {
    let child: ChildProcess | undefined
    afterAll(() => {
      if (child && child.exitCode === null) child.kill('SIGKILL')
    })

    it('starts, prints the URL and the demo credentials, serves the page, and stops on SIGTERM', async () => {
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
          () => reject(new Error(`no URL printed within 20 s:\n${output}`)),
          20_000,
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
    })
  })
}
