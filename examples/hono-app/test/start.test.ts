// `pnpm start` of the Hono example, run as a real process.
import { fileURLToPath } from 'node:url'
import { describeStartScript } from '@tokengate/example-shared/testing'

describeStartScript('Hono', fileURLToPath(new URL('..', import.meta.url)))
