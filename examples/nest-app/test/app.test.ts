// The Nest example against the examples' HTTP contract, in-process on an ephemeral port.
import { describeExampleApi } from '@tokengate/example-shared/testing'
import { serve } from '../src/serve'

describeExampleApi('Nest', (config) => serve(config, 0, '127.0.0.1'))
