// Node: a per-subject limit shared by every gateway instance, in Redis (rate-limiter-flexible).
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible'
import type { RedisClientType } from 'redis'
import type { SubjectLimiter } from './gateway.js'

/** `points` requests per `duration` seconds for each subject. */
export function redisLimiter(
  client: RedisClientType,
  options: { points: number; duration: number },
): SubjectLimiter {
  const limiter = new RateLimiterRedis({
    storeClient: client,
    useRedisPackage: true,
    // Not connected: refuse at once (503 below) rather than queue the request.
    rejectIfRedisNotReady: true,
    keyPrefix: 'gateway:subject',
    points: options.points,
    duration: options.duration,
  })
  return {
    async take(subject) {
      try {
        await limiter.consume(subject)
        return { ok: true }
      } catch (result) {
        // A RateLimiterRes is "over the limit"; anything else is Redis failing, which must not let
        // requests through unlimited: 503 with Retry-After (RFC 9110 §15.6.4).
        if (!(result instanceof RateLimiterRes))
          return { ok: false, retryAfter: 5, unavailable: true }
        return { ok: false, retryAfter: Math.max(1, Math.ceil(result.msBeforeNext / 1000)) }
      }
    },
  }
}
