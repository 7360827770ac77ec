/**
 * Structured JWT authentication (`--authentication-config`,
 * StructuredAuthenticationConfiguration): parse and validate the file,
 * then build the authenticator. See README.md.
 */
export {
  AuthenticationConfigurationError,
  decodeAuthenticationConfiguration,
  loadAuthenticationConfigurationFile,
  parseAuthenticationConfiguration,
  type AnonymousAuthConfig,
  type AuthenticationConfiguration,
  type ClaimMappings,
  type ClaimValidationRule,
  type Issuer,
  type JWTAuthenticator,
  type ParseOptions,
  type UserValidationRule,
} from './config.js';
export { compileJwtAuthenticator, validateAuthenticationConfiguration } from './validation.js';
export { jwtAuthenticator, type JwtAuthentication, type JwtAuthenticatorOptions } from './authenticator.js';
export { supportedSigningAlgorithms } from './jws.js';
export { credentialIdKey } from './user-mapping.js';
