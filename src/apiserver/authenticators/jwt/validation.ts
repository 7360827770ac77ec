/**
 * Validation of an AuthenticationConfiguration, as upstream's
 * k8s.io/apiserver/pkg/apis/apiserver/validation (v1.32, with
 * StructuredAuthenticationConfiguration on): same checks, order, paths and
 * messages. Validating a JWT authenticator also compiles its expressions;
 * the authenticator uses what this returns.
 */
import { X509Certificate } from 'node:crypto';
import { field, GoValue, type FieldErrorLike } from '../../../machinery/status.js';
import { isDNS1123Subdomain, validateDomainPrefixedPath } from '../../../machinery/validation.js';
import type { AuthenticationConfiguration, JWTAuthenticator, PrefixedClaimOrExpression } from './config.js';
import { compileExpression, selectsField, type CompiledExpression, type ExpressionVariable } from './expressions.js';

/** The compiled expressions of one JWT authenticator. */
export interface CompiledMappings {
  username?: CompiledExpression;
  groups?: CompiledExpression;
  uid?: CompiledExpression;
  extra: { key: string; expression: CompiledExpression }[];
  claimValidationRules: { expression: CompiledExpression; message: string }[];
  userValidationRules: { expression: CompiledExpression; message: string }[];
}

/** Upstream allows at most this many JWT authenticators. */
export const maxJwtAuthenticators = 64;

const child = (path: string, name: string) => (path ? `${path}.${name}` : name);

export function validateAuthenticationConfiguration(configuration: AuthenticationConfiguration, disallowedIssuers: string[] = []): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  // Zero authenticators is valid: a server may start with none and gain some later.
  if (configuration.jwt.length > maxJwtAuthenticators) return [field.tooMany('jwt', configuration.jwt.length, maxJwtAuthenticators)];
  const seenIssuers = new Set<string>();
  const seenDiscoveryURLs = new Set<string>();
  configuration.jwt.forEach((authenticator, i) => {
    const path = `jwt[${i}]`;
    errors.push(...compileJwtAuthenticator(authenticator, disallowedIssuers, path).errors);
    if (seenIssuers.has(authenticator.issuer.url)) errors.push(field.duplicate(`${path}.issuer.url`, authenticator.issuer.url));
    seenIssuers.add(authenticator.issuer.url);
    if (authenticator.issuer.discoveryURL) {
      if (seenDiscoveryURLs.has(authenticator.issuer.discoveryURL)) errors.push(field.duplicate(`${path}.issuer.discoveryURL`, authenticator.issuer.discoveryURL));
      seenDiscoveryURLs.add(authenticator.issuer.discoveryURL);
    }
  });
  const anonymous = configuration.anonymous;
  if (anonymous && !anonymous.enabled && anonymous.conditions.length > 0) {
    const conditions = anonymous.conditions.map((c) => `apiserver.AnonymousAuthCondition{Path:${JSON.stringify(c.path)}}`).join(', ');
    errors.push(field.invalid('anonymous.conditions', new GoValue(`[]apiserver.AnonymousAuthCondition{${conditions}}`), 'enabled should be set to true when conditions are defined'));
  }
  return errors;
}

/** What expressions of a JWT authenticator read, for the email_verified rule. */
interface ValidationState {
  usesEmailClaim: boolean;
  usesEmailVerifiedClaim: boolean;
}

/**
 * Validates one JWT authenticator and compiles its expressions (upstream's
 * CompileAndValidateJWTAuthenticator). `path` prefixes the field paths
 * ('' gives `issuer.url`, as upstream's authenticator does).
 */
export function compileJwtAuthenticator(authenticator: JWTAuthenticator, disallowedIssuers: string[] = [], path = ''): { mappings?: CompiledMappings; errors: FieldErrorLike[] } {
  const state: ValidationState = { usesEmailClaim: false, usesEmailVerifiedClaim: false };
  const mappings: CompiledMappings = { extra: [], claimValidationRules: [], userValidationRules: [] };
  const errors = [
    ...validateIssuer(authenticator, disallowedIssuers, child(path, 'issuer')),
    ...validateClaimValidationRules(authenticator, state, mappings, child(path, 'claimValidationRules')),
    ...validateClaimMappings(authenticator, state, mappings, child(path, 'claimMappings')),
    ...validateUserValidationRules(authenticator, mappings, child(path, 'userValidationRules')),
  ];
  return errors.length > 0 ? { errors } : { mappings, errors };
}

function validateIssuer(authenticator: JWTAuthenticator, disallowedIssuers: string[], path: string): FieldErrorLike[] {
  const { issuer } = authenticator;
  const errors: FieldErrorLike[] = [];
  const urlPath = child(path, 'url');
  if (!issuer.url) errors.push(field.required(urlPath, 'URL is required'));
  else errors.push(...validateURL(issuer.url, disallowedIssuers, urlPath));
  if (issuer.discoveryURL) {
    const discoveryPath = child(path, 'discoveryURL');
    if (issuer.url && issuer.url.replace(/\/+$/, '') === issuer.discoveryURL.replace(/\/+$/, '')) {
      errors.push(field.invalid(discoveryPath, issuer.discoveryURL, 'discoveryURL must be different from URL'));
    }
    // The discovery URL is not an issuer: disallowed issuers do not apply to it.
    errors.push(...validateURL(issuer.discoveryURL, [], discoveryPath));
  }
  errors.push(...validateAudiences(issuer.audiences, issuer.audienceMatchPolicy, child(path, 'audiences'), child(path, 'audienceMatchPolicy')));
  if (issuer.certificateAuthority) {
    const problem = certificateBundleProblem(issuer.certificateAuthority);
    if (problem) errors.push(field.invalid(child(path, 'certificateAuthority'), '<omitted>', problem));
  }
  return errors;
}

interface UrlParts {
  scheme: string;
  hasUser: boolean;
  query: string;
  fragment: string;
}

/** The parts of a URL that validation looks at, split the way Go's url.Parse does, with its errors for what it refuses. */
export function goUrlParts(text: string): UrlParts | { error: string } {
  const fail = (why: string) => ({ error: `parse ${JSON.stringify(text)}: ${why}` });
  if (/[\x00-\x1f\x7f]/.test(text)) return fail('net/url: invalid control character in URL');
  let rest = text;
  const hash = rest.indexOf('#');
  const fragment = hash >= 0 ? rest.slice(hash + 1) : '';
  if (hash >= 0) rest = rest.slice(0, hash);
  if (rest.startsWith(':')) return fail('missing protocol scheme');
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  const scheme = schemeMatch ? schemeMatch[1].toLowerCase() : '';
  if (schemeMatch) rest = rest.slice(schemeMatch[0].length);
  const question = rest.indexOf('?');
  const query = question >= 0 ? rest.slice(question + 1) : '';
  if (question >= 0) rest = rest.slice(0, question);
  let hasUser = false;
  if (scheme && rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    let authority = slash >= 0 ? rest.slice(2, slash) : rest.slice(2);
    const at = authority.lastIndexOf('@');
    hasUser = at >= 0;
    if (at >= 0) authority = authority.slice(at + 1);
    const bracketEnd = authority.startsWith('[') ? authority.indexOf(']') : -1;
    if (authority.startsWith('[') && bracketEnd < 0) return fail('missing \']\' in host');
    const hostEnd = bracketEnd >= 0 ? bracketEnd + 1 : authority.indexOf(':') >= 0 ? authority.indexOf(':') : authority.length;
    const port = authority.slice(hostEnd);
    if (port && !/^:[0-9]*$/.test(port)) return fail(`invalid port ${JSON.stringify(port)} after host`);
    const bad = /[ "<>\\^`{|}]/.exec(authority.slice(0, hostEnd));
    if (bad) return fail(`invalid character ${JSON.stringify(bad[0])} in host name`);
  } else if (!scheme && /^[^/]*:/.test(rest)) {
    return fail('first path segment in URL cannot contain colon');
  }
  return { scheme, hasUser, query, fragment };
}

function validateURL(url: string, disallowedIssuers: string[], path: string): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  if (disallowedIssuers.includes(url)) {
    const sorted = [...new Set(disallowedIssuers)].sort();
    errors.push(field.invalid(path, url, `URL must not overlap with disallowed issuers: [${sorted.join(' ')}]`));
  }
  const parts = goUrlParts(url);
  if ('error' in parts) return [...errors, field.invalid(path, url, parts.error)];
  if (parts.scheme !== 'https') errors.push(field.invalid(path, url, 'URL scheme must be https'));
  if (parts.hasUser) errors.push(field.invalid(path, url, 'URL must not contain a username or password'));
  if (parts.query) errors.push(field.invalid(path, url, 'URL must not contain a query'));
  if (parts.fragment) errors.push(field.invalid(path, url, 'URL must not contain a fragment'));
  return errors;
}

function validateAudiences(audiences: string[], policy: string, path: string, policyPath: string): FieldErrorLike[] {
  if (audiences.length === 0) return [field.required(path, `at least one ${path} is required`)];
  const errors: FieldErrorLike[] = [];
  const seen = new Set<string>();
  audiences.forEach((audience, i) => {
    if (!audience) errors.push(field.required(`${path}[${i}]`, "audience can't be empty"));
    if (seen.has(audience)) errors.push(field.duplicate(`${path}[${i}]`, audience));
    seen.add(audience);
  });
  if (audiences.length > 1 && policy !== 'MatchAny') errors.push(field.invalid(policyPath, policy, 'audienceMatchPolicy must be MatchAny for multiple audiences'));
  if (audiences.length === 1 && policy && policy !== 'MatchAny') errors.push(field.invalid(policyPath, policy, 'audienceMatchPolicy must be empty or MatchAny for single audience'));
  return errors;
}

/** Why a PEM bundle is not a pool of CA certificates (upstream's cert.NewPoolFromBytes), or undefined. */
export function certificateBundleProblem(pem: string): string | undefined {
  const blocks = [...pem.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g)];
  let certificates = 0;
  for (const [text, label] of blocks) {
    if (label !== 'CERTIFICATE') continue;
    try {
      new X509Certificate(text);
      certificates++;
    } catch (err) {
      return `x509: malformed certificate: ${(err as Error).message}`;
    }
  }
  return certificates === 0 ? 'data does not contain any valid RSA or ECDSA certificates' : undefined;
}

function compileInto(expression: string, variable: ExpressionVariable, returns: 'bool' | 'any', path: string, errors: FieldErrorLike[]): CompiledExpression | undefined {
  const compiled = compileExpression(expression, variable, returns);
  if ('error' in compiled) {
    errors.push(field.invalid(path, expression, compiled.error));
    return undefined;
  }
  return compiled;
}

function validateClaimValidationRules(authenticator: JWTAuthenticator, state: ValidationState, mappings: CompiledMappings, path: string): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  const seenClaims = new Set<string>();
  const seenExpressions = new Set<string>();
  authenticator.claimValidationRules.forEach((rule, i) => {
    const rulePath = `${path}[${i}]`;
    if (rule.claim && rule.expression) errors.push(field.invalid(rulePath, rule.claim, "claim and expression can't both be set"));
    else if (!rule.claim && !rule.expression) errors.push(field.required(rulePath, 'claim or expression is required'));
    else if (rule.claim) {
      if (rule.message) errors.push(field.invalid(`${rulePath}.message`, rule.message, "message can't be set when claim is set"));
      if (seenClaims.has(rule.claim)) errors.push(field.duplicate(`${rulePath}.claim`, rule.claim));
      seenClaims.add(rule.claim);
    } else {
      if (rule.requiredValue) errors.push(field.invalid(`${rulePath}.requiredValue`, rule.requiredValue, "requiredValue can't be set when expression is set"));
      if (seenExpressions.has(rule.expression)) return errors.push(field.duplicate(`${rulePath}.expression`, rule.expression));
      seenExpressions.add(rule.expression);
      const compiled = compileInto(rule.expression, 'claims', 'bool', `${rulePath}.expression`, errors);
      if (compiled) mappings.claimValidationRules.push({ expression: compiled, message: rule.message });
    }
  });
  state.usesEmailVerifiedClaim ||= mappings.claimValidationRules.some((rule) => selectsField(rule.expression.ast, 'claims', 'email_verified'));
  return errors;
}

/** A username or groups mapping: a claim with a prefix (set, possibly ''), or an expression without one. */
function validatePrefixedClaimOrExpression(mapping: PrefixedClaimOrExpression, path: string, required: boolean, errors: FieldErrorLike[]): CompiledExpression | undefined {
  if (mapping.expression && mapping.claim) errors.push(field.invalid(path, '', "claim and expression can't both be set"));
  else if (!mapping.expression && !mapping.claim && required) errors.push(field.required(path, 'claim or expression is required'));
  else if (mapping.expression) {
    if (mapping.prefix !== undefined) errors.push(field.invalid(`${path}.prefix`, mapping.prefix, "prefix can't be set when expression is set"));
    return compileInto(mapping.expression, 'claims', 'any', `${path}.expression`, errors);
  } else if (mapping.claim && mapping.prefix === undefined) {
    errors.push(field.required(`${path}.prefix`, 'prefix is required when claim is set. It can be set to an empty string to disable prefixing'));
  }
  return undefined;
}

function isKubernetesDomainPrefix(key: string): boolean {
  const slash = key.indexOf('/');
  const domain = slash >= 0 ? key.slice(0, slash) : '';
  return domain === 'kubernetes.io' || domain.endsWith('.kubernetes.io') || domain === 'k8s.io' || domain.endsWith('.k8s.io');
}

function validateClaimMappings(authenticator: JWTAuthenticator, state: ValidationState, mappings: CompiledMappings, path: string): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  const { username, groups, uid, extra } = authenticator.claimMappings;
  mappings.username = validatePrefixedClaimOrExpression(username, child(path, 'username'), true, errors);
  if (mappings.username) {
    state.usesEmailClaim ||= selectsField(mappings.username.ast, 'claims', 'email');
    state.usesEmailVerifiedClaim ||= selectsField(mappings.username.ast, 'claims', 'email_verified');
  }
  mappings.groups = validatePrefixedClaimOrExpression(groups, child(path, 'groups'), false, errors);
  if (uid.claim && uid.expression) errors.push(field.invalid(child(path, 'uid'), '', "claim and expression can't both be set"));
  else if (uid.expression) mappings.uid = compileInto(uid.expression, 'claims', 'any', `${child(path, 'uid')}.expression`, errors);

  const seenKeys = new Set<string>();
  extra.forEach((mapping, i) => {
    const keyPath = `${path}.extra[${i}].key`;
    errors.push(...validateDomainPrefixedPath(mapping.key, keyPath));
    if (mapping.key !== mapping.key.toLowerCase()) errors.push(field.invalid(keyPath, mapping.key, 'key must be lowercase'));
    if (isKubernetesDomainPrefix(mapping.key)) errors.push(field.invalid(keyPath, mapping.key, 'k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use'));
    if (seenKeys.has(mapping.key)) return errors.push(field.duplicate(keyPath, mapping.key));
    seenKeys.add(mapping.key);
    if (!mapping.valueExpression) return errors.push(field.required(`${path}.extra[${i}].valueExpression`, 'valueExpression is required'));
    const compiled = compileInto(mapping.valueExpression, 'claims', 'any', `${path}.extra[${i}].valueExpression`, errors);
    if (compiled) mappings.extra.push({ key: mapping.key, expression: compiled });
  });
  state.usesEmailVerifiedClaim ||= mappings.extra.some((mapping) => selectsField(mapping.expression.ast, 'claims', 'email_verified'));

  if (state.usesEmailClaim && !state.usesEmailVerifiedClaim) {
    errors.push(
      field.invalid(
        child(path, 'username.expression'),
        username.expression,
        'claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression',
      ),
    );
  }
  return errors;
}

function validateUserValidationRules(authenticator: JWTAuthenticator, mappings: CompiledMappings, path: string): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  const seen = new Set<string>();
  authenticator.userValidationRules.forEach((rule, i) => {
    const expressionPath = `${path}[${i}].expression`;
    if (!rule.expression) return errors.push(field.required(expressionPath, 'expression is required'));
    if (seen.has(rule.expression)) return errors.push(field.duplicate(expressionPath, rule.expression));
    seen.add(rule.expression);
    const compiled = compileInto(rule.expression, 'user', 'bool', expressionPath, errors);
    if (compiled) mappings.userValidationRules.push({ expression: compiled, message: rule.message });
  });
  return errors;
}
