#!/usr/bin/env node
// The `tokengate` executable: runs the CLI on the process's arguments and sets its exit code.
import { run } from './cli.js'

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: unknown) => {
    // Not a user's mistake (those are exit 1 or 2 with a message): a bug, reported as one.
    process.stderr.write(
      `tokengate: unexpected error: ${(error as Error)?.stack ?? String(error)}\n`,
    )
    process.exitCode = 1
  },
)
