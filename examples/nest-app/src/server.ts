// `pnpm start`: the Nest example on PORT (default 3003), with the URL and demo credentials printed.
import { runExample } from '@tokengate/example-shared/node'
import { serve } from './serve'

// CommonJS has no top-level await: a failed start is printed and ends the process.
runExample('Nest', 3003, serve).catch((err: unknown) => {
  console.error(err)
  process.exitCode = 1
})
