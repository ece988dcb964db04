// The command line: global options, the subcommand, its options (node:util parseArgs), exit codes.
import { parseArgs } from 'node:util'
import pkg from '../package.json' with { type: 'json' }
import { ConfigError } from './config.js'
import type { Command } from './commands/command.js'
import { doctor } from './commands/doctor.js'
import { explain } from './commands/explain.js'
import { inspect } from './commands/inspect.js'
import { jwks, keys } from './commands/keys.js'
import { processIo, style, UsageError, wantsColor, type CliIo } from './io.js'

const commands: readonly Command[] = [inspect, explain, doctor, keys, jwks]

const GLOBAL_OPTIONS = {
  json: { type: 'boolean' },
  color: { type: 'boolean' },
  'no-color': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
} as const

/** The exit codes, as scripts read them. */
export const EXIT = {
  /** Decoded, accepted, or every check passed (warnings allowed). */
  ok: 0,
  /** A token refused, a check failed, or a configuration the core refuses at start-up. */
  failed: 1,
  /** A mistake in the command line (unknown command or option, a missing argument). */
  usage: 2,
} as const

function mainHelp(): string {
  // "tokengate keys generate --alg <alg>" is listed as "keys generate".
  const title = (c: Command) =>
    c.usage
      .split(' ')
      .slice(1)
      .filter((w, i) => i === 0 || /^[a-z]+$/.test(w))
      .join(' ')
  const width = Math.max(...commands.map((c) => title(c).length))
  return `tokengate ${pkg.version}: look into bearer tokens and the issuers that sign them

Usage: tokengate <command> [options]

Commands:
${commands.map((c) => `  ${title(c).padEnd(width)}  ${c.summary}`).join('\n')}

Options for every command:
  --json        one JSON document on stdout, for scripts
  --no-color    plain text (also NO_COLOR=1; colour is on only for a terminal, or FORCE_COLOR=1)
  -h, --help    help for a command: tokengate <command> --help
  -v, --version the version

Exit codes: 0 ok, 1 refused or a failed check, 2 usage error.
`
}

/**
 * Runs the CLI with `args` (what follows `tokengate` on the command line) and resolves to the
 * exit code: 0 ok, 1 a token refused or a failed check, 2 a usage error. Never throws for a user's
 * mistake; writes only through `io`.
 *
 * @example
 * process.exitCode = await run(['inspect', token])
 */
export async function run(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  const name = args[0]
  const command = commands.find((c) => c.name === name)
  const colourFlag = args.includes('--no-color')
    ? false
    : args.includes('--color')
      ? true
      : undefined
  const err = style(wantsColor(colourFlag, io.env, io.stderrColors))
  const usage = (message: string, where?: Command) => {
    io.stderr(
      `${err.red('tokengate: ' + message)}\n${where ? `Usage: ${where.usage}\nRun \`tokengate ${where.name} --help\` for more.` : 'Run `tokengate --help` for the commands.'}\n`,
    )
    return EXIT.usage
  }

  if (command === undefined) {
    if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
      const topic = name === 'help' ? commands.find((c) => c.name === args[1]) : undefined
      io.stdout(topic ? commandHelp(topic) : mainHelp())
      return name === undefined ? EXIT.usage : EXIT.ok
    }
    if (name === '-v' || name === '--version') {
      io.stdout(`${pkg.version}\n`)
      return EXIT.ok
    }
    return usage(`unknown command "${name}"`)
  }

  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs({
      args: args.slice(1) as string[],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    })
  } catch (error) {
    return usage((error as Error).message, command)
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>
  if (values.help) {
    io.stdout(commandHelp(command))
    return EXIT.ok
  }
  const json = values.json === true
  const outColour = json ? false : wantsColor(colourFlag, io.env, io.stdoutColors)
  try {
    return await command.run({
      positionals: parsed.positionals,
      values,
      io,
      out: style(outColour),
      err,
      json,
      cwd: process.cwd(),
      now: () => Math.floor(Date.now() / 1000),
    })
  } catch (error) {
    if (error instanceof UsageError) return usage(error.message, command)
    if (error instanceof ConfigError || error instanceof TypeError) {
      // A configuration the core refuses at start-up: its message names the option and the fix.
      if (json) io.stdout(JSON.stringify({ error: error.message }, null, 2) + '\n')
      else io.stderr(`${err.red(`tokengate ${command.name}:`)} ${error.message}\n`)
      return EXIT.failed
    }
    throw error
  }
}

function commandHelp(command: Command): string {
  return `Usage: ${command.usage}\n\n${command.help}\n`
}
