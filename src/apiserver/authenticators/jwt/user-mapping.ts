/**
 * From a verified token's claims to a user, in upstream's order (oidc.go's
 * AuthenticateToken): username, groups, uid, extra, then the claim
 * validation rules (required claims, then expressions), then the user
 * validation rules on the finished user. Any failure is an Error whose
 * message is upstream's; the caller refuses the token with it.
 */
import type { UserInfo } from '../../authentication.js';
import type { JWTAuthenticator } from './config.js';
import { celUserValue, celValueOfJson, evaluateExpression, stringListOf, type CompiledExpression } from './expressions.js';
import type { CompiledMappings } from './validation.js';

/** Where a token's unique id goes (upstream's user.CredentialIDKey), so audit can name the credential. */
export const credentialIdKey = 'authentication.kubernetes.io/credential-id';

type Claims = Record<string, unknown>;

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'boolean') return 'bool';
  return typeof value === 'object' ? 'object' : typeof value;
}

/** A claim read as Go reads JSON into a string: null is '', anything but a string is an error. */
function claimString(claims: Claims, name: string): string {
  if (!Object.hasOwn(claims, name)) throw new Error('claim not present');
  const value = claims[name];
  if (value === null) return '';
  if (typeof value !== 'string') throw new Error(`json: cannot unmarshal ${jsonKind(value)} into Go value of type string`);
  return value;
}

/** A groups claim: a list of strings, or one string (some issuers put a single role there). */
function claimStringOrList(claims: Claims, name: string): string[] {
  const value = claims[name];
  if (value === null) return [];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return [...value];
  if (typeof value === 'string') return [value];
  throw new Error(`json: cannot unmarshal ${jsonKind(value)} into Go value of type string`);
}

function evaluateString(expression: CompiledExpression, claims: unknown, what: string): string {
  let value: unknown;
  try {
    value = evaluateExpression(expression, { claims });
  } catch (err) {
    throw new Error(`oidc: error evaluating ${what} claim expression: ${(err as Error).message}`);
  }
  if (typeof value !== 'string') throw new Error(`oidc: error evaluating ${what} claim expression: ${what} claim expression must return a string`);
  return value;
}

function username(config: JWTAuthenticator, mappings: CompiledMappings, claims: Claims, celClaims: unknown): string {
  if (mappings.username) {
    const name = evaluateString(mappings.username, celClaims, 'username');
    if (name === '') throw new Error('oidc: empty username via CEL expression is not allowed');
    return name;
  }
  const { claim, prefix } = config.claimMappings.username;
  let name: string;
  try {
    name = claimString(claims, claim);
  } catch (err) {
    throw new Error(`oidc: parse username claims ${JSON.stringify(claim)}: ${(err as Error).message}`);
  }
  // An unverified address must not name a user; an issuer that says nothing either way is trusted (OIDC core, standard claims).
  if (claim === 'email' && Object.hasOwn(claims, 'email_verified')) {
    const verified = claims.email_verified;
    if (verified !== null && typeof verified !== 'boolean') {
      throw new Error(`oidc: parse 'email_verified' claim: json: cannot unmarshal ${jsonKind(verified)} into Go value of type bool`);
    }
    if (verified !== true) throw new Error('oidc: email not verified');
  }
  return prefix ? prefix + name : name;
}

function groups(config: JWTAuthenticator, mappings: CompiledMappings, claims: Claims, celClaims: unknown): string[] {
  const { claim, prefix } = config.claimMappings.groups;
  if (claim && Object.hasOwn(claims, claim)) {
    let values: string[];
    try {
      values = claimStringOrList(claims, claim);
    } catch (err) {
      throw new Error(`oidc: parse groups claim ${JSON.stringify(claim)}: ${(err as Error).message}`);
    }
    return prefix ? values.map((group) => prefix + group) : values;
  }
  if (!mappings.groups) return [];
  try {
    return stringListOf(evaluateExpression(mappings.groups, { claims: celClaims })) ?? [];
  } catch (err) {
    throw new Error(`oidc: error evaluating group claim expression: ${(err as Error).message}`);
  }
}

function uid(config: JWTAuthenticator, mappings: CompiledMappings, claims: Claims, celClaims: unknown): string {
  const { claim } = config.claimMappings.uid;
  if (claim) {
    try {
      return claimString(claims, claim);
    } catch (err) {
      throw new Error(`oidc: parse uid claim ${JSON.stringify(claim)}: ${(err as Error).message}`);
    }
  }
  return mappings.uid ? evaluateString(mappings.uid, celClaims, 'uid') : '';
}

function extra(mappings: CompiledMappings, claims: Claims, celClaims: unknown): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (typeof claims.jti === 'string' && claims.jti !== '') out[credentialIdKey] = [`JTI=${claims.jti}`];
  for (const mapping of mappings.extra) {
    let values: string[] | undefined;
    try {
      values = stringListOf(evaluateExpression(mapping.expression, { claims: celClaims }));
    } catch (err) {
      throw new Error(`oidc: error evaluating extra claim expression: ${mapping.expression.expression}: ${(err as Error).message}`);
    }
    if (values) out[mapping.key] = values;
  }
  return out;
}

/** Rules must each return true; the first that does not says so with its message. */
function checkRules(rules: { expression: CompiledExpression; message: string }[], variables: Record<string, unknown>, what: string): void {
  for (const rule of rules) {
    let result: unknown;
    try {
      result = evaluateExpression(rule.expression, variables);
    } catch (err) {
      throw new Error(`oidc: error evaluating ${what}: ${(err as Error).message}`);
    }
    if (typeof result !== 'boolean') throw new Error(`oidc: error evaluating ${what}: validation expression must return a boolean`);
    if (!result) throw new Error(`oidc: error evaluating ${what}: validation expression '${rule.expression.expression}' failed: ${rule.message}`);
  }
}

/**
 * The user a verified token stands for, before the apiserver adds
 * system:authenticated (user validation rules see it without).
 */
export function userOfClaims(config: JWTAuthenticator, mappings: CompiledMappings, claims: Claims): UserInfo {
  const usesClaimExpressions = Boolean(mappings.username || mappings.groups || mappings.uid || mappings.extra.length || mappings.claimValidationRules.length);
  // Converted once for every expression; only when some expression will read it.
  const celClaims = usesClaimExpressions ? celValueOfJson(claims) : undefined;

  const user: UserInfo = { username: username(config, mappings, claims, celClaims), groups: groups(config, mappings, claims, celClaims) };
  const id = uid(config, mappings, claims, celClaims);
  if (id) user.uid = id;
  const extras = extra(mappings, claims, celClaims);
  if (Object.keys(extras).length > 0) user.extra = extras;

  for (const rule of config.claimValidationRules) {
    if (!rule.claim) continue;
    if (!Object.hasOwn(claims, rule.claim)) throw new Error(`oidc: required claim ${rule.claim} not present in ID token`);
    let value: string;
    try {
      // Only string values can be required.
      value = claimString(claims, rule.claim);
    } catch (err) {
      throw new Error(`oidc: parse claim ${rule.claim}: ${(err as Error).message}`);
    }
    if (value !== rule.requiredValue) throw new Error(`oidc: required claim ${rule.claim} value does not match. Got = ${value}, want = ${rule.requiredValue}`);
  }
  checkRules(mappings.claimValidationRules, { claims: celClaims }, 'claim validation expression');
  if (mappings.userValidationRules.length > 0) checkRules(mappings.userValidationRules, { user: celUserValue(user) }, 'user info validation rule');
  return user;
}
