/**
 * Delegated authentication and authorization for the HTTPS endpoints of
 * skiff's components (the node agent, the scheduler, the controller
 * manager): who is asking is checked by the TLS layer or a TokenReview, what
 * they may do by a SubjectAccessReview — the apiserver decides, these cache.
 */
export { delegatedAuthenticator, bearerToken, kubeletTokenCacheTtlMs, componentTokenCacheTtlMs, type AuthenticationResult, type DelegatedAuthenticator, type DelegatedAuthenticatorOptions, type TokenReview } from './authenticate.js';
export {
  delegatedAuthorizer,
  pathMatcher,
  kubeletAuthorizationCacheTtls,
  componentAuthorizationCacheTtls,
  defaultAlwaysAllowGroups,
  type DelegatedAuthorizer,
  type DelegatedAuthorizerOptions,
} from './authorize.js';
export { kubeletRequestAttributes, kubeletSubresources, type KubeletAttributesOptions } from './kubelet-attributes.js';
export { componentRequestAttributes, componentAlwaysAllowPaths } from './component-attributes.js';
export { guardRequest, guardUpgrade, checkRequest, kubeletAuth, componentAuth, requestPath, type RequestAuth, type Refusal, type RefusalWording } from './guard.js';
export { startComponentServer, PortInUseError, type ComponentServer, type ComponentServerOptions, type RouteHandler } from './component-server.js';
export { delegatedAuthenticationMetrics, delegatedAuthorizationMetrics, type ReviewMetrics } from './metrics.js';
export { ExpiringLruCache } from './expiring-lru.js';
export { anonymousUser, type AccessAttributes, type AccessDecision, type ReviewClient, type User } from './types.js';
