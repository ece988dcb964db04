// The packed @tokengate/nestjs in a CommonJS Nest 11 project outside the workspace: compiled by tsc
// with decorator metadata, require()d on the oldest Node `engines` allows, on both platforms.
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { OLDEST_NODE, exec, removeScratches, scratchNest } from './scratch.js'

let dir: string
beforeAll(async () => {
  dir = await scratchNest()
  // tsc prints its errors on stdout: keep them in the failure.
  await exec(join(dir, 'node_modules/.bin/tsc'), ['-p', 'nest-cjs/tsconfig.json'], {
    cwd: dir,
  }).catch((err: { stdout?: string }) => {
    throw new Error(`tsc failed:\n${err.stdout ?? String(err)}`)
  })
}, 600_000)
afterAll(() => {
  for (const removed of removeScratches()) expect(existsSync(removed)).toBe(false)
})

describe(`CommonJS Nest 11 app compiled by tsc, require() on Node ${OLDEST_NODE}`, () => {
  it('authenticates on Express and Fastify and keeps every refusal whole', async () => {
    const node = join(dir, 'node_modules/.bin/node')
    const { stdout } = await exec(node, ['nest-cjs/dist/app.js'], { cwd: dir })
    const result = JSON.parse(stdout) as Record<string, any>
    expect(result.node).toBe(`v${OLDEST_NODE}`)
    expect(result.nest).toMatch(/^11\./)
    expect(result.nestjsEntry).toMatch(/@tokengate\/nestjs\/dist\/index\.cjs$/)
    for (const platform of ['express', 'fastify']) {
      const r = result[platform]
      expect(r.health.status, platform).toBe(200)
      expect(r.valid, platform).toMatchObject({ status: 200, text: '{"greeting":"hello alice"}' })
      expect(r.missing, platform).toEqual({
        status: 401,
        challenge: 'Bearer',
        contentType: 'application/json',
        text: '{"error_description":"the request has no bearer token","code":"token_missing"}',
      })
      expect(r.forged.status, platform).toBe(401)
      expect(r.forged.challenge, platform).toMatch(/^Bearer error="invalid_token"/)
      expect(r.notAdmin.status, platform).toBe(403)
      expect(JSON.parse(r.notAdmin.text), platform).toMatchObject({ code: 'insufficient_role' })
    }
  })
})
