// Leak checks: no response (body or header) may contain the token, a key or a secret.
import type { TestKeys } from '@tokengate/testkit'
import type { DriverRequest, DriverResponse } from '../../support/drivers.js'

const KEY_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'n', 'x', 'y'] as const

/** Substrings that must never be echoed: JWK members of every key, secrets in base64url and hex. */
export function keySecrets(keys: TestKeys[], secrets: Uint8Array[] = []): string[] {
  const out: string[] = []
  for (const key of keys) {
    for (const member of KEY_MEMBERS) {
      const value = (key.privateJwk as Record<string, unknown>)[member]
      if (typeof value === 'string' && value.length >= 16) out.push(value.slice(0, 32))
    }
    if (key.publicPem) out.push(key.publicPem.split('\n')[1] ?? '')
    if (key.privatePem) out.push(key.privatePem.split('\n')[1] ?? '')
  }
  for (const secret of secrets) {
    out.push(Buffer.from(secret).toString('base64url').slice(0, 24))
    out.push(Buffer.from(secret).toString('hex').slice(0, 24))
  }
  return out.filter((s) => s.length >= 16)
}

/** Token-like runs (16+ base64url characters) in the request's headers, URL and body. */
export function tokenFragments(request: DriverRequest): string[] {
  const text = [
    request.path,
    request.body ?? '',
    ...Object.values(request.headers ?? {}).flat(),
  ].join('\n')
  return [...new Set(text.match(/[A-Za-z0-9_-]{16,}/g) ?? [])].map((s) => s.slice(0, 48))
}

/** The names of leaked fragments found in the response (empty when clean). */
export function leaksIn(response: DriverResponse, needles: string[]): string[] {
  const haystack = [response.text, ...Object.values(response.headers), ...response.setCookie].join(
    '\n',
  )
  return needles.filter((needle) => haystack.includes(needle))
}
