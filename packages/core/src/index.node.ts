// Node entry of @tokengate/core (the `node` export condition): the public API of index.ts, with the
// node:crypto signature path. Same exports, same rules, same tests; other runtimes get index.ts.
import { createAuthenticator } from './authenticate.node.js'

export * from './index.js'
export { createAuthenticator }
