// `pnpm start`: the Hono example on Node, on PORT (default 3002), with the URL and demo credentials printed.
import { runExample } from '@tokengate/example-shared/node'
import { serve } from './serve.js'

await runExample('Hono', 3002, serve)
