// @tokengate/core/adapter: what the framework adapters share (never part of an app's API).
export { authErrorResponse, setupAdapter } from './setup.js'
export type { AdapterErrorMode, AdapterOptions, AdapterSetup, FailureMode } from './setup.js'
export { adapterGuards, toList } from './guards.js'
export type { AdapterGuards, GuardCheck } from './guards.js'
export { adapterCookies } from './cookies.js'
export type { AdapterCookies } from './cookies.js'
export { nodeRequestHeaders, nodeRequestLike, ownHeader, pathOf } from './node.js'
export type { NodeHeadersSource, NodeIncoming } from './node.js'
