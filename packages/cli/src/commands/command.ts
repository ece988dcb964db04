// The shape every subcommand shares: its options (for node:util parseArgs), its help, its run.
import type { ParseArgsConfig } from 'node:util'
import type { CliIo, Style } from '../io.js'

/** What a subcommand's run receives. */
export interface CommandContext {
  /** Arguments that are not options, after the command name. */
  positionals: string[]
  /** Parsed options (the command's own and the global ones). */
  values: Record<string, string | boolean | string[] | undefined>
  io: CliIo
  /** Formatters for standard output (identity when colour is off). */
  out: Style
  /** Formatters for standard error. */
  err: Style
  /** `--json`: one JSON document on stdout, no colour, for scripts. */
  json: boolean
  /** Where relative paths are resolved. */
  cwd: string
  /** The clock, in seconds since the epoch (RFC 7519 NumericDate). */
  now: () => number
}

/** One subcommand. */
export interface Command {
  name: string
  summary: string
  usage: string
  help: string
  options: NonNullable<ParseArgsConfig['options']>
  /** Resolves to the exit code: 0 ok, 1 refused or a failed check. Throws UsageError for 2. */
  run(ctx: CommandContext): Promise<number>
}
