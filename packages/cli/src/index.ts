// Public entry of @tokengate/cli: the command line, callable in-process (the bin is src/bin.ts).
export { run, EXIT } from './cli.js'
export type { CliIo } from './io.js'
