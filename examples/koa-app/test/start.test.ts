// `pnpm start` of the Koa example, run as a real process.
import { fileURLToPath } from 'node:url'
import { describeStartScript } from '@tokengate/example-shared/testing'

describeStartScript('Koa', fileURLToPath(new URL('..', import.meta.url)))
