// Where the CLI reads and writes, and whether it colours what it writes.
import { createColors } from 'picocolors'

/** The streams and environment a run uses: the process's by default, replaceable for embedding. */
export interface CliIo {
  /** Writes to standard output. */
  stdout: (text: string) => void
  /** Writes to standard error. */
  stderr: (text: string) => void
  /** Reads all of standard input (for `inspect -`). */
  readStdin: () => Promise<string>
  /** The environment (`NO_COLOR`, `FORCE_COLOR`, `TERM`). */
  env: Record<string, string | undefined>
  /** Whether standard output is a terminal that shows colour. */
  stdoutColors: boolean
  /** Whether standard error is a terminal that shows colour. */
  stderrColors: boolean
}

/** The process's own streams. */
export function processIo(): CliIo {
  const colors = (stream: NodeJS.WriteStream) =>
    stream.isTTY === true && typeof stream.hasColors === 'function' && stream.hasColors()
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = []
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
      return Buffer.concat(chunks).toString('utf8')
    },
    env: process.env,
    stdoutColors: colors(process.stdout),
    stderrColors: colors(process.stderr),
  }
}

/**
 * Colour as CLI users expect it: `--no-color` and `--color` win, then `FORCE_COLOR` (Node's rule:
 * any value but `0` or `false` turns colour on, and it takes precedence over `NO_COLOR`), then
 * `NO_COLOR` (no-color.org: present and not empty turns colour off), then whether the stream is a
 * terminal that shows colour (so a pipe or a file gets plain text).
 */
export function wantsColor(
  flag: boolean | undefined,
  env: CliIo['env'],
  terminal: boolean,
): boolean {
  if (flag !== undefined) return flag
  const force = env.FORCE_COLOR
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false'
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.TERM === 'dumb') return false
  return terminal
}

/** picocolors' formatters, on or off for one stream. */
export type Style = ReturnType<typeof createColors>

/** The formatters for a stream (every one is the identity when colour is off). */
export function style(enabled: boolean): Style {
  return createColors(enabled)
}

/** A mistake in the command line: the run prints it with a pointer to `--help` and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}
