import { describe, expect, it } from 'vitest'
import { parseDuration } from './duration.js'

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [5, 5],
    [1.5, 1.5],
    ['500ms', 0.5],
    ['30s', 30],
    ['10m', 600],
    ['1h', 3600],
    ['1d', 86400],
    ['2.5s', 2.5],
    ['5 s', 5],
  ])('%j is %d seconds', (input, seconds) => {
    expect(parseDuration(input, 'options.x')).toBe(seconds)
  })

  it.each([
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [''],
    ['5'],
    ['5y'],
    ['ten s'],
    ['-5s'],
    ['1e3s'],
  ])('refuses %j with a message naming the option', (input) => {
    expect(() => parseDuration(input, 'options.clockTolerance')).toThrow(
      "tokengate: options.clockTolerance must be a non-negative number of seconds or a string such as '500ms', '30s', '10m', '1h' or '1d'",
    )
  })
})
