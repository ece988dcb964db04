// The Nest example's sign-in flow in real Chromium (Debian's package, driven by playwright-core).
import { describeBrowserFlow } from '@tokengate/example-shared/testing'
import { serve } from '../src/serve'

describeBrowserFlow('Nest', (config) => serve(config, 0, '127.0.0.1'))
