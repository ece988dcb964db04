// The one refusal of a misspelt or unsupported option, so every resolver words it alike.

/**
 * Throws when `value` has members outside `known`: a misspelt option (`require: true`) must not
 * silently weaken the policy. `where` is the object's option path, `takes` says what it accepts.
 *
 * @example
 * rejectUnknownOptions(options.dpop, ['mode', 'maxAge'], 'options.dpop', 'options.dpop takes { mode, maxAge }')
 */
export function rejectUnknownOptions(
  value: object,
  known: readonly string[],
  where: string,
  takes: string,
): void {
  const unknown = Object.keys(value).filter((name) => !known.includes(name))
  if (unknown.length > 0)
    throw unknownOptionError(
      unknown.map((name) => `${where}.${name}`),
      takes,
    )
}

/**
 * The error for unknown options, by their full paths: `tokengate: unknown option <paths>: <fix>`.
 *
 * @example
 * throw unknownOptionError(['options.algorithm'], 'check the spelling against the documented options')
 */
export function unknownOptionError(paths: readonly string[], fix: string): TypeError {
  return new TypeError(`tokengate: unknown option ${paths.join(', ')}: ${fix}`)
}
