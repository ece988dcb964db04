// Test harnesses shared by the three examples: the HTTP contract suite and the Chromium suite.
export { describeExampleApi, parseSetCookie } from './api-suite.js'
export { describeBrowserFlow, CHROMIUM_PATH } from './browser-suite.js'
export { describeStartScript } from './start-suite.js'
export { request } from './server.js'
export type { Reply, RunningApp, StartApp } from './server.js'
