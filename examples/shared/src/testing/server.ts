// What the test suites need from an example: a way to start it on an ephemeral port, and an HTTP client.
import type { ExampleConfig } from '../auth.js'
import type { RunningServer } from '../node.js'

export type RunningApp = RunningServer

/** Starts one example in-process with the given configuration, on an ephemeral port. */
export type StartApp = (config: ExampleConfig) => Promise<RunningApp>

export interface Reply {
  status: number
  headers: Headers
  /** Every Set-Cookie line, in order. */
  setCookies: string[]
  body: unknown
  text: string
}

/** One request, never following redirects, with the body parsed as JSON when it is JSON. */
export async function request(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  const res = await fetch(new URL(path, base), { ...init, redirect: 'manual' })
  const text = await res.text()
  let body: unknown = text
  if (res.headers.get('content-type')?.includes('application/json')) body = JSON.parse(text)
  return {
    status: res.status,
    headers: res.headers,
    setCookies: res.headers.getSetCookie(),
    body,
    text,
  }
}
