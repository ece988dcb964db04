// What every conformance app mounts, framework-neutral: route bodies, guard arguments, the marker header.
import type { AuthContext } from '@tokengate/core'

/** Header set by each framework's own error handler in 'delegate' mode, naming the path taken. */
export const DELEGATE_MARKER = 'x-error-handler'

/** The body of `GET|POST /protected`: what the adapter exposed to the route. */
export interface ProtectedBody {
  payload: Record<string, unknown> | null
  source: AuthContext['source'] | null
  scopes: string[]
  roles: string[]
  encrypted: boolean
  /** With passthrough: the code of the refusal that left the request anonymous (issue 15). */
  authError: string | null
}

export function protectedBody(
  auth: AuthContext<unknown> | null | undefined,
  authError?: { code: string } | undefined,
): ProtectedBody {
  return {
    payload: (auth?.payload as Record<string, unknown> | undefined) ?? null,
    source: auth?.source ?? null,
    scopes: auth?.scopes ?? [],
    roles: auth?.roles ?? [],
    encrypted: auth?.encryption !== undefined,
    authError: authError?.code ?? null,
  }
}

export const ANY_ROLES = ['admin', 'editor'] as const
export const REPORTS_SCOPE = 'reports:read'
/** `GET /step-up`: RFC 9470 step-up, an `acr` of 'mfa' at most 300 s old. */
export const STEP_UP = { acrValues: ['mfa'], maxAge: 300 }
export const isVerified = (payload: unknown): boolean =>
  (payload as { email_verified?: unknown }).email_verified === true

/** Cookie name used by `POST /session` and `POST /logout` (the cookie helpers). */
export const SESSION_COOKIE = 'tg'
