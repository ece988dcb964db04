// The examples' sign-in flow in real Chromium (Debian's package, driven by playwright-core): one suite per app.
import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { DEMO_USERS } from '../users.js'
import { request, type RunningApp, type StartApp } from './server.js'

/** Debian's Chromium; `.ci/ensure-chromium` installs it. Never a downloaded browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium'

const SCREENSHOTS = fileURLToPath(new URL('../../../../artifacts/screenshots/', import.meta.url))

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

const alice = DEMO_USERS.find((u) => u.username === 'alice')!
const bob = DEMO_USERS.find((u) => u.username === 'bob')!

/**
 * Drives one example in Chromium: form sign-in and the profile, the admin API allowed for alice
 * and refused for bob, the cookie hidden from `document.cookie`, a cross-origin POST refused, and
 * logout revoking the token. Each test leaves a screenshot in `artifacts/screenshots/`.
 *
 * @example
 * describeBrowserFlow('Express', startServer)
 */
export function describeBrowserFlow(appName: string, start: StartApp): void {
  const slug = appName.toLowerCase().replace(/[^a-z0-9]+/g, '-')

  // Generous timeouts: CI runs these beside every other suite on two shared cores.
  describe(`${appName} example in Chromium`, { timeout: 60_000 }, () => {
    let app: RunningApp
    let attacker: { sameSite: string; crossSite: string; close(): Promise<void> }
    let browser: Browser
    let context: BrowserContext | undefined
    let page: Page
    let opened = false

    beforeAll(async () => {
      if (!existsSync(CHROMIUM_PATH)) {
        throw new Error(
          `No Chromium at ${CHROMIUM_PATH}: run .ci/ensure-chromium (apt-get install chromium).`,
        )
      }
      await mkdir(SCREENSHOTS, { recursive: true })
      app = await start({ insecureDevCookies: true })
      attacker = await startAttackerSite(app.url)
      // launch() starts Chromium on a fresh temporary --user-data-dir of its own and deletes it on
      // close (playwright refuses the flag in args); each test then gets a new, empty context.
      browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        headless: true,
        args: CHROMIUM_ARGS,
        timeout: 60_000,
      })
    }, 120_000)

    afterAll(async () => {
      await browser?.close()
      await attacker?.close()
      await app?.close()
    })

    // A fresh context (its own cookie jar) per test, and a screenshot of where each test ended.
    const open = async () => {
      context = await browser.newContext()
      page = await context.newPage()
      opened = true
      page.setDefaultTimeout(15_000)
      await page.goto(app.url)
      await page.locator('body[data-state="signed-out"]').waitFor()
      return page
    }
    const screenshot = (name: string) =>
      page.screenshot({ path: join(SCREENSHOTS, `${slug}-${name}.png`), fullPage: true })
    afterEach(async (test) => {
      const name = test.task.name.replace(/[^a-z0-9]+/gi, '-').toLowerCase()
      // Only a page this test opened: never a stale one from the test before.
      if (opened) await screenshot(name.slice(0, 60))
      await context?.close()
      context = undefined
      opened = false
    })

    const signIn = async (username: string, password: string) => {
      await page.fill('#username', username)
      await page.fill('#password', password)
      await page.click('#login-button')
      await page.locator('body[data-state="signed-in"]').waitFor()
    }
    const callApi = async (path: string) => {
      const status = page.locator('#api-status')
      // Forget the previous answer first, so a repeated call cannot be read from stale text.
      await status.evaluate((el: HTMLElement) => {
        el.textContent = ''
        delete el.dataset.status
      })
      await page.click(`[data-call="${path}"]`)
      await page.locator('#api-status[data-status]').waitFor()
      expect(await status.textContent()).toContain(`GET ${path}`)
      return {
        status: Number(await status.getAttribute('data-status')),
        body: JSON.parse((await page.locator('#api-body').textContent()) ?? 'null') as Record<
          string,
          unknown
        >,
      }
    }
    const tokenCookie = async () => {
      const cookies = await context!.cookies(app.url)
      expect(cookies).toHaveLength(1)
      return cookies[0]!
    }

    it('alice signs in through the form, sees her profile, and is allowed the admin API', async () => {
      await open()
      await signIn(alice.username, alice.password)
      await expect.poll(() => page.locator('#profile-name').textContent()).toBe(alice.name)
      expect(await page.locator('#profile-roles').textContent()).toContain('admin')
      expect(await page.locator('#profile-token').textContent()).toContain('from the cookie')
      const admin = await callApi('/api/admin')
      expect(admin.status).toBe(200)
      // Scopes and roles are independent: the admin may not read reports.
      const reports = await callApi('/api/reports')
      expect(reports).toMatchObject({ status: 403, body: { code: 'insufficient_scope' } })
    })

    it('bob is refused the admin API with 403 and allowed the reports', async () => {
      await open()
      await signIn(bob.username, bob.password)
      await expect.poll(() => page.locator('#profile-name').textContent()).toBe(bob.name)
      expect((await callApi('/api/reports')).status).toBe(200)
      const admin = await callApi('/api/admin')
      expect(admin).toMatchObject({ status: 403, body: { code: 'insufficient_role' } })
    })

    it('a wrong password shows an error and sets no cookie', async () => {
      await open()
      await page.fill('#username', alice.username)
      await page.fill('#password', 'not-her-password')
      await page.click('#login-button')
      await page.locator('#login-error').waitFor()
      expect(await page.locator('#login-error').textContent()).toMatch(/\S/)
      expect(await context!.cookies(app.url)).toEqual([])
    })

    it("the page's JavaScript cannot read the token: the cookie is HttpOnly", async () => {
      await open()
      await signIn(alice.username, alice.password)
      const cookie = await tokenCookie()
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' })
      const visible = await page.evaluate(() => document.cookie)
      expect(visible).not.toContain(cookie.value)
      expect(visible).not.toContain(cookie.name)
    })

    it('a POST from another origin carrying the cookie is refused (403 csrf_rejected)', async () => {
      await open()
      await signIn(alice.username, alice.password)
      const { name } = await tokenCookie()
      // Same site, other origin (another port of localhost): SameSite=Lax lets the browser send
      // the cookie, so only the server's Origin / Sec-Fetch-Site check stands in the way.
      const sameSite = page.waitForResponse((res) => res.url() === `${app.url}/logout`)
      await page.goto(attacker.sameSite)
      const refused = await sameSite
      expect((await refused.request().allHeaders())['cookie']).toContain(`${name}=`)
      expect(refused.status()).toBe(403)
      expect(await refused.json()).toMatchObject({ code: 'csrf_rejected' })
      await screenshot('csrf-refused-response')
      // Cross site (127.0.0.1 is another site than localhost): the browser withholds the Lax cookie,
      // and the request arrives without credentials.
      const crossSite = page.waitForResponse((res) => res.url() === `${app.url}/logout`)
      await page.goto(attacker.crossSite)
      const withheld = await crossSite
      expect((await withheld.request().allHeaders())['cookie']).toBeUndefined()
      expect(withheld.status()).toBe(401)
      expect(await withheld.json()).toMatchObject({ code: 'token_missing' })
      // Neither request logged alice out.
      await page.goto(app.url)
      await page.locator('body[data-state="signed-in"]').waitFor()
      expect((await callApi('/api/me')).status).toBe(200)
    })

    it('after logout the APIs answer 401 and the old token no longer works', async () => {
      await open()
      await signIn(alice.username, alice.password)
      const captured = (await tokenCookie()).value
      const before = await request(app.url, '/api/me', {
        headers: { authorization: `Bearer ${captured}` },
      })
      expect(before.status).toBe(200)
      await page.click('#logout-button')
      await page.locator('body[data-state="signed-out"]').waitFor()
      expect(await context!.cookies(app.url)).toEqual([])
      const me = await callApi('/api/me')
      expect(me).toMatchObject({ status: 401, body: { code: 'token_missing' } })
      expect((await callApi('/api/admin')).status).toBe(401)
      const replay = await request(app.url, '/api/me', {
        headers: { authorization: `Bearer ${captured}` },
      })
      expect({ status: replay.status, body: replay.body }).toMatchObject({
        status: 401,
        body: { code: 'token_revoked' },
      })
    })
  })
}

/**
 * A hostile page on another origin: it auto-submits a form POST to the app's /logout, the classic
 * CSRF shape (a form post is a "simple" request: no CORS preflight stops it). Served twice: on
 * localhost (same site as the app, other port) and on 127.0.0.1 (another site).
 */
async function startAttackerSite(target: string) {
  const html = `<!doctype html><title>attacker</title>
<form id="f" method="post" action="${target}/logout"><input type="hidden" name="x" value="1"></form>
<script>document.getElementById('f').submit()</script>`
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(html)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    sameSite: `http://localhost:${port}/`,
    crossSite: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
