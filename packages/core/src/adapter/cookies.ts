// The cookie helpers of every adapter, over the adapter's own way to append a response header.
import {
  clearAuthCookie,
  serializeAuthCookie,
  type AuthCookieOptions,
  type ClearAuthCookieOptions,
} from '../issuing/cookies.js'

/** The cookie helpers an adapter exports; `Target` is what its handlers answer through. */
export interface AdapterCookies<Target> {
  /**
   * Appends a `Set-Cookie` for the token (HttpOnly, Secure and SameSite=Lax by default).
   *
   * @example
   * setAuthCookie(res, 'session', token, { maxAge: 3600 })
   */
  setAuthCookie(target: Target, name: string, token: string, options?: AuthCookieOptions): void
  /**
   * Appends a `Set-Cookie` that deletes the token cookie.
   *
   * @example
   * clearAuthCookie(res, 'session')
   */
  clearAuthCookie(target: Target, name: string, options?: ClearAuthCookieOptions): void
}

/**
 * The two cookie helpers over `append`, which adds one `Set-Cookie` header to a response.
 *
 * @example
 * export const { setAuthCookie, clearAuthCookie } = adapterCookies<Response>((res, v) => res.append('Set-Cookie', v))
 */
export function adapterCookies<Target>(
  append: (target: Target, setCookie: string) => void,
): AdapterCookies<Target> {
  return {
    setAuthCookie: (target, name, token, options) =>
      append(target, serializeAuthCookie(name, token, options)),
    clearAuthCookie: (target, name, options) => append(target, clearAuthCookie(name, options)),
  }
}

/**
 * `object[name]` as a call that bundlers may drop when its result is unused (they keep a bare
 * property read, which could run a getter). With `/* @__PURE__ *\/` at the call, an adapter exports
 * each guard and cookie helper as its own declaration, and a Worker that imports only
 * `tokengate()` carries none of their code (issue 14 item 4, scripts/size.mjs).
 *
 * @example
 * export const setAuthCookie: typeof cookies.setAuthCookie = /* @__PURE__ *\/ member(cookies, 'setAuthCookie')
 */
export function member<T, K extends keyof T>(object: T, name: K): T[K] {
  return object[name]
}
