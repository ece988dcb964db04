// The example as Nest apps ship: `pnpm build` (tsc) emits CommonJS with decorator metadata, and
// `node dist/server.js` serves the API (examples/shared, TypeScript, loads through tsx's hook).
import { spawn, execFile, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const dir = join(__dirname, '..')
let child: ChildProcess | undefined
let url: string
beforeAll(async () => {
  await promisify(execFile)(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: dir,
  })
  child = spawn(
    process.execPath,
    ['--conditions=@tokengate/source', '--import', 'tsx', 'dist/server.js'],
    { cwd: dir, env: { ...process.env, PORT: '0', HOST: '127.0.0.1', PUBLIC_URL: '' } },
  )
  let output = ''
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()))
  url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 60 s:\n${output}`)), 60_000)
    child!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString()
      const match = /open (http:\/\/localhost:\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        resolve(match[1]!)
      }
    })
    child!.once('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)))
  })
}, 120_000)
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGTERM')
})

describe('Nest example compiled by tsc', () => {
  it('is CommonJS with the decorators and their metadata', async () => {
    const app = await readFile(join(dir, 'dist/app.js'), 'utf8')
    expect(app).toMatch(/^"use strict";/)
    expect(app).toContain('exports.createApp = createApp')
    expect(app).toContain('require("@tokengate/nestjs")')
    expect(app).toContain('__decorate([')
    expect(app).toContain('__metadata("design:paramtypes"')
  })

  it('refuses without a token exactly as tokengate does, and lets a Bearer token in', async () => {
    const refused = await fetch(`${url}/api/me`)
    expect(refused.status).toBe(401)
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="tokengate-example"')
    expect(await refused.json()).toMatchObject({ code: 'token_missing' })

    const issued = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bob', password: 'builder' }),
    })
    expect(issued.status).toBe(200)
    const { access_token } = (await issued.json()) as { access_token: string }
    const me = await fetch(`${url}/api/me`, {
      headers: { authorization: `Bearer ${access_token}` },
    })
    expect(me.status).toBe(200)
    expect(await me.json()).toMatchObject({ name: expect.any(String), roles: ['user'] })
    const admin = await fetch(`${url}/api/admin`, {
      headers: { authorization: `Bearer ${access_token}` },
    })
    expect(admin.status).toBe(403)
    expect(await admin.json()).toMatchObject({ code: 'insufficient_role' })
  })
})
