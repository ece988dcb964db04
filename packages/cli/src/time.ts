// NumericDate claims (RFC 7519 §2: seconds since the epoch) shown as dates and distances from now.

/** `3 h 5 min`, `42 s`, `2 d 4 h`: the two largest units, for a distance in seconds. */
export function span(seconds: number): string {
  let rest = Math.round(Math.abs(seconds))
  const units: Array<[string, number]> = [
    ['d', 86_400],
    ['h', 3_600],
    ['min', 60],
    ['s', 1],
  ]
  const parts: string[] = []
  for (const [name, size] of units) {
    if (rest >= size || (name === 's' && parts.length === 0)) {
      parts.push(`${Math.floor(rest / size)} ${name}`)
      rest %= size
    }
    if (parts.length === 2) break
  }
  return parts.join(' ')
}

/** An ISO date (UTC, to the second) for a NumericDate. */
export function isoDate(seconds: number): string {
  const date = new Date(seconds * 1000)
  return Number.isNaN(date.getTime()) ? 'not a date' : date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

/** What a time claim means now: `expires in 5 min`, `expired 2 h ago`, `issued 3 min ago`... */
export function relative(claim: string, seconds: number, now: number): string {
  const delta = seconds - now
  const future = delta > 0
  switch (claim) {
    case 'exp':
      return future ? `expires in ${span(delta)}` : `expired ${span(delta)} ago`
    case 'nbf':
      return future ? `not usable for another ${span(delta)}` : `usable since ${span(delta)} ago`
    case 'iat':
      return future ? `issued ${span(delta)} in the future` : `issued ${span(delta)} ago`
    default:
      return future ? `in ${span(delta)}` : `${span(delta)} ago`
  }
}
