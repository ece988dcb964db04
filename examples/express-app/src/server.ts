// `pnpm start`: the Express example on PORT (default 3000), with the URL and demo credentials printed.
import { runExample } from '@tokengate/example-shared/node'
import { serve } from './serve.js'

await runExample('Express', 3000, serve)
