// `pnpm start` of the Nest example, run as a real process.
import { join } from 'node:path'
import { describeStartScript } from '@tokengate/example-shared/testing'

describeStartScript('Nest', join(__dirname, '..'), 60_000)
