// `pnpm start` of the Express example, run as a real process.
import { fileURLToPath } from 'node:url'
import { describeStartScript } from '@tokengate/example-shared/testing'

describeStartScript('Express', fileURLToPath(new URL('..', import.meta.url)))
