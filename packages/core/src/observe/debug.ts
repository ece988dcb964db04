// DEBUG=tokengate (issue 16 item 2): the adapters read the variable, the core only parses it.
import type { DecisionEvent } from '../events.js'
import { summarize } from './explain.js'

/**
 * Whether a `DEBUG` value turns tokengate's debugging on, by the `debug` package's convention:
 * names separated by commas or spaces, `*` as a wildcard, a leading `-` excludes. `tokengate`,
 * `tokengate:*` and `*` enable it; `*,-tokengate` does not.
 *
 * @example
 * debugEnabled('express:*,tokengate') // true
 */
export function debugEnabled(value: string | undefined): boolean {
  if (typeof value !== 'string' || value === '') return false
  let on = false
  for (const name of value.split(/[\s,]+/)) {
    if (name === '') continue
    const exclude = name.startsWith('-')
    const pattern = exclude ? name.slice(1) : name
    const re = new RegExp(
      `^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*?')}$`,
    )
    if (re.test('tokengate') || re.test('tokengate:decision')) {
      if (exclude) return false
      on = true
    }
  }
  return on
}

/**
 * The listener DEBUG=tokengate installs when the app has none: one line per decision on stderr
 * (console.warn), with the explanation of a refusal.
 *
 * @example
 * createAuthenticator({ ...options, explain: true, onDecision: debugListener })
 */
export function debugListener(event: DecisionEvent): void {
  const what =
    event.outcome === 'accepted'
      ? `accepted${event.subject === undefined ? '' : ` sub=${JSON.stringify(event.subject)}`}`
      : `refused ${event.status} ${event.code} at ${event.step}: ${event.description}`
  const key = event.keyFailure
    ? ` keys: ${event.keyFailure.reason} ${event.keyFailure.message}`
    : ''
  const why = event.outcome === 'refused' && event.explain ? ` (${summarize(event.explain)})` : ''
  console.warn(
    `tokengate ${event.method ?? ''} ${what}${key}${why} [${event.durationMs.toFixed(2)} ms${event.cacheHit ? ', cache hit' : ''}]`,
  )
}
