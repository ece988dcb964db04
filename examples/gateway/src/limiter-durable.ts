// Workers: a per-subject limit in a Durable Object, the platform's primitive for state that every
// isolate of a deployment shares (one object per subject; Cloudflare runs its requests one at a time).
import type { SubjectLimiter } from './gateway.js'

/** The namespace binding (wrangler.toml `[[durable_objects.bindings]]`), as far as used here. */
export interface LimiterNamespace {
  idFromName(name: string): unknown
  get(id: unknown): { fetch(input: string): Promise<Response> }
}

/**
 * A fixed window of `duration` seconds per subject: answers `{ wait: 0 }` when the request may
 * go, else the seconds until the window ends. Held in memory: an evicted object starts a new
 * window, which lets a subject start afresh but never exceed the limit within a live window.
 */
export class SubjectRateLimiter {
  private windowStart = 0
  private count = 0

  fetch(request: Request): Response {
    const url = new URL(request.url)
    const points = Number(url.searchParams.get('points'))
    const duration = Number(url.searchParams.get('duration'))
    const now = Date.now()
    if (now - this.windowStart >= duration * 1000) {
      this.windowStart = now
      this.count = 0
    }
    if (this.count < points) {
      this.count++
      return Response.json({ wait: 0 })
    }
    const wait = Math.max(1, Math.ceil((this.windowStart + duration * 1000 - now) / 1000))
    return Response.json({ wait })
  }
}

/** `points` requests per `duration` seconds for each subject, counted in its Durable Object. */
export function durableLimiter(
  namespace: LimiterNamespace,
  options: { points: number; duration: number },
): SubjectLimiter {
  return {
    async take(subject) {
      try {
        const stub = namespace.get(namespace.idFromName(subject))
        const res = await stub.fetch(
          `https://limiter/take?points=${options.points}&duration=${options.duration}`,
        )
        const { wait } = (await res.json()) as { wait: number }
        return wait === 0 ? { ok: true } : { ok: false, retryAfter: wait }
      } catch {
        // The limiter unreachable: refuse (503) rather than let the subject through unlimited.
        return { ok: false, retryAfter: 5, unavailable: true }
      }
    },
  }
}
