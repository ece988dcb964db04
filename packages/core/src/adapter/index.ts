// @tokengate/core/adapter: what the framework adapters share (never part of an app's API).
export { authErrorResponse, setupAdapter, setupEach, setupPerKey, withChallenge } from './setup.js'
export { isMetadataRequest, metadataResponse } from '../policy/resource.js'
export type {
  AdapterErrorMode,
  AdapterOptions,
  AdapterOptionsFor,
  AdapterSetup,
  AdapterSource,
  ContextAlwaysSet,
  ContextMaybeSet,
  FailureMode,
} from './setup.js'
export { adapterGuards, toList } from './guards.js'
export type { AdapterGuards, GuardCheck } from './guards.js'
export { adapterCookies, member } from './cookies.js'
export type { AdapterCookies } from './cookies.js'
export {
  adapterHelpers,
  attach,
  authenticateOn,
  challengeHeaders,
  detach,
  metadataFor,
  plainResponse,
  RequestModes,
} from './flow.js'
export type {
  AdapterHelpers,
  AttachTarget,
  AuthSlotOf,
  PlainResponse,
  RegisteredClaimsOf,
  RegisteredPropertyOf,
} from './flow.js'
export {
  bridgedRequestLike,
  envKey,
  nodeAnswered,
  nodeClientCertificate,
  nodeLastResort,
  nodeSend,
  nodeWrite,
  nodeRequestHeaders,
  nodeRequestLike,
  nodeServerRequestLike,
  ownHeader,
  pathOf,
} from './node.js'
export type { NodeHeadersSource, NodeIncoming, NodeResponse, NodeSocket } from './node.js'
// The types the signatures above use, so that an adapter's own declarations can name them
// (each entry's .d.ts is bundled on its own: a type it does not export cannot be named, TS4023).
export type * from '../types.js'
export type { AuthError, AuthErrorCode } from '../errors.js'
export type { AuthCookieOptions, ClearAuthCookieOptions } from '../issuing/cookies.js'
export type { RoleMode, StepUpRequirement } from '../policy/guards.js'
export type { GuardObserver } from '../observe/observer.js'
export type { DecisionEvent, KeyFetchEvent } from '../events.js'
