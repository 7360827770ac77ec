/**
 * `--authentication-config`: an AuthenticationConfiguration of
 * apiserver.config.k8s.io/v1beta1 or v1alpha1 (the two are the same shape in
 * v1.32), read from YAML or JSON the way kube-apiserver reads it: strict
 * decoding (unknown and mistyped fields are errors), no defaulting, then
 * validation (validation.ts). Errors read as kube-apiserver's do at start.
 */
import { DecodeError, jsonKindOf } from '../../../machinery/go-json.js';
import { readFileSync, statSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { renderFieldError } from '../../../machinery/status.js';
import { validateAuthenticationConfiguration } from './validation.js';

export const authenticationConfigurationGroup = 'apiserver.config.k8s.io';
export const authenticationConfigurationVersions = ['v1alpha1', 'v1beta1'];
export const authenticationConfigurationKind = 'AuthenticationConfiguration';

/** A configuration file is a few issuers and CA bundles; anything near this size is not one. */
export const maxAuthenticationConfigurationBytes = 1024 * 1024;

export interface Issuer {
  url: string;
  /** Empty when unset: discovery is then `<url>/.well-known/openid-configuration`. */
  discoveryURL: string;
  /** PEM bundle; empty means the system's trusted CAs. */
  certificateAuthority: string;
  audiences: string[];
  /** '' or 'MatchAny'. */
  audienceMatchPolicy: string;
}

export interface ClaimValidationRule {
  claim: string;
  requiredValue: string;
  expression: string;
  message: string;
}

/** `prefix` is undefined when unset, which is not the same as '' (upstream's *string). */
export interface PrefixedClaimOrExpression {
  claim: string;
  prefix?: string;
  expression: string;
}

export interface ClaimOrExpression {
  claim: string;
  expression: string;
}

export interface ExtraMapping {
  key: string;
  valueExpression: string;
}

export interface ClaimMappings {
  username: PrefixedClaimOrExpression;
  groups: PrefixedClaimOrExpression;
  uid: ClaimOrExpression;
  extra: ExtraMapping[];
}

export interface UserValidationRule {
  expression: string;
  message: string;
}

export interface JWTAuthenticator {
  issuer: Issuer;
  claimValidationRules: ClaimValidationRule[];
  claimMappings: ClaimMappings;
  userValidationRules: UserValidationRule[];
}

export interface AnonymousAuthConfig {
  enabled: boolean;
  conditions: { path: string }[];
}

export interface AuthenticationConfiguration {
  apiVersion: string;
  kind: string;
  jwt: JWTAuthenticator[];
  /** Parsed and validated here; the apiserver decides what anonymous requests may reach. */
  anonymous?: AnonymousAuthConfig;
}

/** The configuration could not be used; the apiserver must not start with it. */
export class AuthenticationConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationConfigurationError';
  }
}

// --- strict decoding -------------------------------------------------------

type Spec =
  | { kind: 'string' }
  | { kind: 'bool' }
  | { kind: 'list'; item: Spec; goType: string }
  | { kind: 'struct'; name: string; fields: Record<string, Spec>; pointer?: boolean };

/** Where a value sits: Go's error names the innermost struct and the field path; strict errors name the path with indexes. */
interface Place {
  struct: string;
  path: string;
  strictPath: string;
}

const string: Spec = { kind: 'string' };
const bool: Spec = { kind: 'bool' };
const list = (item: Spec, goType: string): Spec => ({ kind: 'list', item, goType });
const struct = (name: string, fields: Record<string, Spec>, pointer = false): Spec => ({ kind: 'struct', name, fields, pointer });

/** The schema of the file; `prefix` and `discoveryURL` are pointers upstream, but only prefix keeps "unset" apart from "". */
const prefixed = struct('PrefixedClaimOrExpression', { claim: string, prefix: string, expression: string });
const configurationSpec = struct('AuthenticationConfiguration', {
  apiVersion: string,
  kind: string,
  jwt: list(
    struct('JWTAuthenticator', {
      issuer: struct('Issuer', { url: string, discoveryURL: string, certificateAuthority: string, audiences: list(string, '[]string'), audienceMatchPolicy: string }),
      claimValidationRules: list(struct('ClaimValidationRule', { claim: string, requiredValue: string, expression: string, message: string }), '[]ClaimValidationRule'),
      claimMappings: struct('ClaimMappings', {
        username: prefixed,
        groups: prefixed,
        uid: struct('ClaimOrExpression', { claim: string, expression: string }),
        extra: list(struct('ExtraMapping', { key: string, valueExpression: string }), '[]ExtraMapping'),
      }),
      userValidationRules: list(struct('UserValidationRule', { expression: string, message: string }), '[]UserValidationRule'),
    }),
    '[]JWTAuthenticator',
  ),
  anonymous: struct('AnonymousAuthConfig', { enabled: bool, conditions: list(struct('AnonymousAuthCondition', { path: string }), '[]AnonymousAuthCondition') }, true),
});

const kindOf = jsonKindOf;

function goTypeOf(spec: Spec, version: string): string {
  switch (spec.kind) {
    case 'string':
      return 'string';
    case 'bool':
      return 'bool';
    case 'list':
      return spec.goType.replace(/^\[\]([A-Z])/, `[]${version}.$1`);
    case 'struct':
      return `${version}.${spec.name}`;
  }
}

/**
 * Decodes like Go's JSON into the typed struct: null is the zero value,
 * a mistyped value fails with Go's message, unknown fields are collected
 * (strict decoding reports them all at once).
 */
function decode(value: unknown, spec: Spec, place: Place, version: string, unknown: string[]): unknown {
  const mismatch = () => new DecodeError(`json: cannot unmarshal ${kindOf(value)} into Go struct field ${place.struct}.${place.path} of type ${goTypeOf(spec, version).replace(/^\*/, '')}`);
  const absent = value === null || value === undefined;
  switch (spec.kind) {
    case 'string':
      if (absent) return undefined;
      if (typeof value !== 'string') throw mismatch();
      return value;
    case 'bool':
      if (absent) return false;
      if (typeof value !== 'boolean') throw mismatch();
      return value;
    case 'list':
      if (absent) return [];
      if (!Array.isArray(value)) throw mismatch();
      return value.map((item, i) => decode(item, spec.item, { ...place, strictPath: `${place.strictPath}[${i}]` }, version, unknown));
    case 'struct': {
      if (absent && spec.pointer) return undefined;
      if (!absent && kindOf(value) !== 'object') throw mismatch();
      const object = (absent ? {} : value) as Record<string, unknown>;
      for (const key of Object.keys(object)) {
        if (!Object.hasOwn(spec.fields, key)) unknown.push(`unknown field "${place.strictPath ? `${place.strictPath}.` : ''}${key}"`);
      }
      const out: Record<string, unknown> = {};
      for (const [name, fieldSpec] of Object.entries(spec.fields)) {
        const child: Place = {
          struct: spec.name,
          path: place.path ? `${place.path}.${name}` : name,
          strictPath: place.strictPath ? `${place.strictPath}.${name}` : name,
        };
        const decoded = decode(Object.hasOwn(object, name) ? object[name] : undefined, fieldSpec, child, version, unknown);
        // Strings are '' when unset, except prefix, whose "unset" means something (prefix is required with claim).
        if (decoded === undefined && fieldSpec.kind === 'string' && name !== 'prefix') out[name] = '';
        else if (decoded !== undefined) out[name] = decoded;
      }
      return out;
    }
  }
}

/** A parsed document as an AuthenticationConfiguration: kind and version first, as the scheme checks them, then strict decoding. */
export function decodeAuthenticationConfiguration(document: unknown): AuthenticationConfiguration {
  if (kindOf(document) !== 'object') {
    throw new DecodeError(`couldn't get version/kind; json parse error: json: cannot unmarshal ${kindOf(document)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  const object = document as Record<string, unknown>;
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  if (!kind) throw new DecodeError("Object 'Kind' is missing");
  if (!apiVersion) throw new DecodeError("Object 'apiVersion' is missing");
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  if (group !== authenticationConfigurationGroup || !authenticationConfigurationVersions.includes(version) || kind !== authenticationConfigurationKind) {
    throw new DecodeError(`no kind "${kind}" is registered for version "${apiVersion}"`);
  }
  const unknown: string[] = [];
  const configuration = decode(object, configurationSpec, { struct: '', path: '', strictPath: '' }, version, unknown) as AuthenticationConfiguration;
  if (unknown.length > 0) throw new DecodeError(`strict decoding error: ${unknown.join(', ')}`);
  return configuration;
}

export interface ParseOptions {
  /** The service account issuers (`--service-account-issuer`): a JWT authenticator may not claim them. */
  disallowedIssuers?: string[];
}

/** Parses (YAML or JSON), decodes and validates; throws AuthenticationConfigurationError in upstream's words. */
export function parseAuthenticationConfiguration(text: string, options: ParseOptions = {}): AuthenticationConfiguration {
  if (text.length === 0) throw new AuthenticationConfigurationError('empty config data');
  if (Buffer.byteLength(text, 'utf8') > maxAuthenticationConfigurationBytes) {
    throw new AuthenticationConfigurationError(`authentication configuration is larger than ${maxAuthenticationConfigurationBytes} bytes`);
  }
  let configuration: AuthenticationConfiguration;
  try {
    configuration = decodeAuthenticationConfiguration(parseYaml(text, { maxAliasCount: 100 }));
  } catch (err) {
    const message = err instanceof DecodeError ? err.message : `error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`;
    throw new AuthenticationConfigurationError(message);
  }
  const errors = [...new Set(validateAuthenticationConfiguration(configuration, options.disallowedIssuers).map(renderFieldError))];
  if (errors.length > 0) throw new AuthenticationConfigurationError(errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`);
  return configuration;
}

/** Reads the file `--authentication-config` names, then parses it; messages name the file as kube-apiserver's do. */
export function loadAuthenticationConfigurationFile(path: string, options: ParseOptions = {}): AuthenticationConfiguration {
  let text: string;
  try {
    // Checked before reading, so a wrong path to a huge file is refused rather than read.
    if (statSync(path).size > maxAuthenticationConfigurationBytes) throw new Error(`the file is larger than ${maxAuthenticationConfigurationBytes} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new AuthenticationConfigurationError(`failed to load authentication configuration from file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  try {
    return parseAuthenticationConfiguration(text, options);
  } catch (err) {
    throw new AuthenticationConfigurationError(`failed to load authentication configuration from file ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
}
