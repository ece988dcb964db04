// `pnpm start`: the Koa example on PORT (default 3001), with the URL and demo credentials printed.
import { runExample } from '@tokengate/example-shared/node'
import { serve } from './serve.js'

await runExample('Koa', 3001, serve)
