// Durations in options: a number of seconds, or a string with a unit ('500ms', '30s', '10m', '1h', '1d').

/** A number of seconds, or a string with a unit: `'500ms'`, `'30s'`, `'10m'`, `'1h'`, `'1d'`. */
export type Duration = number | string

const UNIT_SECONDS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400 }
const DURATION = /^(\d+(?:\.\d+)?) ?(ms|s|m|h|d)$/

/**
 * Parses a duration option into seconds; throws a configuration error naming the option.
 *
 * @example
 * parseDuration('10m', 'options.key.cacheMaxAge') // 600
 */
export function parseDuration(value: Duration, optionName: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value
  } else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim())
    if (match) return Number(match[1]) * (UNIT_SECONDS[match[2] as string] as number)
  }
  throw new TypeError(
    `tokengate: ${optionName} must be a non-negative number of seconds or a string such as '500ms', '30s', '10m', '1h' or '1d'`,
  )
}
