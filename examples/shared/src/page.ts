// The examples' one HTML page (sign in, see who you are, call the APIs, sign out), as strings every runtime can serve.

// The page is kept as strings in a module, not as files, so the Node apps and the Workers bundle
// serve the very same bytes without a file system or a bundler loader. The script is a separate
// resource so the Content-Security-Policy can forbid inline script altogether.

/** Headers for every response of the examples: a strict CSP and the usual hardening. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
}

/** The static resources: path => content type and body. */
export function pageAssets(appName: string): Record<string, { type: string; body: string }> {
  return {
    '/': { type: 'text/html; charset=utf-8', body: indexHtml(appName) },
    '/app.js': { type: 'text/javascript; charset=utf-8', body: APP_JS },
    '/app.css': { type: 'text/css; charset=utf-8', body: APP_CSS },
  }
}

function indexHtml(appName: string): string {
  const title = escapeHtml(`tokengate · ${appName} example`)
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/app.css">
<script src="/app.js" defer></script>
</head>
<body>
<main>
  <header>
    <h1>${title}</h1>
    <p class="lede">Sign in to get a signed, then encrypted, token in an <code>HttpOnly</code> cookie.
    This page's JavaScript never sees it: the browser sends it with same-origin requests.</p>
  </header>

  <section id="signed-out" class="card" hidden>
    <h2>Sign in</h2>
    <form id="login-form" method="post" action="/login">
      <label>Username <input id="username" name="username" autocomplete="username" required></label>
      <label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
      <button id="login-button" type="submit">Sign in</button>
      <p id="login-error" class="error" role="alert" hidden></p>
    </form>
    <p class="hint">The demo credentials are printed in the terminal that started the app.</p>
  </section>

  <section id="signed-in" class="card" hidden>
    <h2>Who am I</h2>
    <dl>
      <dt>Name</dt><dd id="profile-name"></dd>
      <dt>Subject</dt><dd id="profile-sub"></dd>
      <dt>Roles</dt><dd id="profile-roles"></dd>
      <dt>Scopes</dt><dd id="profile-scopes"></dd>
      <dt>Token</dt><dd id="profile-token"></dd>
    </dl>
    <form id="logout-form" method="post" action="/logout">
      <button id="logout-button" type="submit">Sign out</button>
    </form>
  </section>

  <section class="card">
    <h2>Call the API</h2>
    <div class="buttons">
      <button type="button" data-call="/api/me">GET /api/me</button>
      <button type="button" data-call="/api/admin">GET /api/admin</button>
      <button type="button" data-call="/api/reports">GET /api/reports</button>
    </div>
    <p id="api-status" class="status" aria-live="polite">No request yet.</p>
    <pre id="api-body"></pre>
  </section>
</main>
</body>
</html>
`
}

// Plain ES2020 for the browser: no framework, no build. Every request is same-origin and sends
// the cookie; a cookie-borne token on POST passes tokengate's CSRF check because the browser
// adds `Sec-Fetch-Site: same-origin` and `Origin` itself.
const APP_JS = `'use strict'

const $ = (selector) => document.querySelector(selector)

async function call(method, path, body) {
  const res = await fetch(path, {
    method,
    body,
    credentials: 'same-origin',
    headers: { accept: 'application/json' },
  })
  const text = await res.text()
  let parsed = text
  try {
    parsed = JSON.parse(text)
  } catch {
    // not JSON: show the text as it is
  }
  return { status: res.status, statusText: res.statusText, ok: res.ok, body: parsed }
}

function showResult(method, path, result) {
  const status = $('#api-status')
  status.textContent = method + ' ' + path + ' \\u2192 ' + result.status + ' ' + result.statusText
  status.dataset.status = String(result.status)
  status.className = 'status ' + (result.ok ? 'ok' : 'refused')
  $('#api-body').textContent =
    typeof result.body === 'string' ? result.body : JSON.stringify(result.body, null, 2)
}

function badges(element, values) {
  element.replaceChildren(
    ...values.map((value) => {
      const badge = document.createElement('span')
      badge.className = 'badge'
      badge.textContent = value
      return badge
    }),
  )
}

async function refresh() {
  const me = await call('GET', '/api/me')
  const signedIn = me.status === 200
  $('#signed-in').hidden = !signedIn
  $('#signed-out').hidden = signedIn
  document.body.dataset.state = signedIn ? 'signed-in' : 'signed-out'
  if (!signedIn) return
  $('#profile-name').textContent = me.body.name
  $('#profile-sub').textContent = me.body.sub
  badges($('#profile-roles'), me.body.roles)
  badges($('#profile-scopes'), me.body.scopes)
  $('#profile-token').textContent =
    'from the ' + me.body.source + (me.body.encryption ? ', encrypted with ' + me.body.encryption : '') +
    ', signed with ' + me.body.signature + ', expires ' + new Date(me.body.exp * 1000).toLocaleTimeString()
}

$('#login-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const form = event.currentTarget
  const error = $('#login-error')
  error.hidden = true
  // Sent form-urlencoded, like the form without JavaScript; the 303 to / is followed by fetch.
  const result = await call('POST', '/login', new URLSearchParams(new FormData(form)))
  if (!result.ok) {
    error.textContent = (result.body && result.body.error_description) || 'Sign-in failed.'
    error.hidden = false
    return
  }
  form.reset()
  await refresh()
})

$('#logout-form').addEventListener('submit', async (event) => {
  event.preventDefault()
  const result = await call('POST', '/logout')
  showResult('POST', '/logout', result)
  await refresh()
})

for (const button of document.querySelectorAll('[data-call]')) {
  button.addEventListener('click', async () => {
    const path = button.dataset.call
    showResult('GET', path, await call('GET', path))
  })
}

refresh()
`

const APP_CSS = `:root {
  color-scheme: light dark;
  --accent: #2f6fde;
  --ok: #1d7a3a;
  --refused: #b3261e;
  --muted: #6b7280;
  --card: color-mix(in srgb, canvas 94%, canvastext 6%);
  font-family: system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif;
  line-height: 1.5;
}
body { margin: 0; background: canvas; color: canvastext; }
main { max-width: 46rem; margin: 0 auto; padding: 2rem 1.25rem 4rem; }
h1 { font-size: 1.6rem; margin: 0 0 0.25rem; }
h2 { font-size: 1.1rem; margin: 0 0 0.75rem; }
.lede, .hint { color: var(--muted); }
.card { background: var(--card); border-radius: 0.75rem; padding: 1.25rem; margin-top: 1.25rem; }
form { display: grid; gap: 0.75rem; max-width: 22rem; }
label { display: grid; gap: 0.25rem; font-weight: 600; font-size: 0.9rem; }
input { font: inherit; padding: 0.45rem 0.6rem; border: 1px solid var(--muted); border-radius: 0.4rem; }
button { font: inherit; cursor: pointer; padding: 0.45rem 0.9rem; border-radius: 0.4rem;
  border: 1px solid var(--accent); background: var(--accent); color: white; }
form button { justify-self: start; }
.buttons { display: flex; flex-wrap: wrap; gap: 0.5rem; }
.buttons button { background: transparent; color: var(--accent); font-family: ui-monospace, monospace; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1rem; margin: 0 0 1rem; }
dt { color: var(--muted); }
dd { margin: 0; }
.badge { display: inline-block; margin-right: 0.35rem; padding: 0 0.5rem; border-radius: 999px;
  background: color-mix(in srgb, var(--accent) 18%, transparent); font-size: 0.85rem; }
.status { font-family: ui-monospace, monospace; margin: 1rem 0 0.5rem; }
.status.ok { color: var(--ok); }
.status.refused { color: var(--refused); }
.error { color: var(--refused); margin: 0; }
pre { background: canvas; padding: 0.75rem; border-radius: 0.5rem; overflow-x: auto; min-height: 3rem; margin: 0; }
[hidden] { display: none !important; }
`

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}
