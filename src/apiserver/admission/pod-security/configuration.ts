/**
 * The plugin's configuration, as upstream's PodSecurityConfiguration: the
 * cluster defaults for namespaces without labels (each mode privileged at
 * latest unless set) and the exemptions. There are no default exemptions.
 */
import { renderFieldError, type FieldErrorLike } from '../../../machinery/status.js';
import { isDNS1123Label, isDNS1123Subdomain } from '../../../machinery/validation.js';
import { parseLevel, parseVersion } from './levels.js';
import type { Policy } from './namespace-labels.js';

export interface PodSecurityDefaults {
  enforce?: string;
  enforceVersion?: string;
  audit?: string;
  auditVersion?: string;
  warn?: string;
  warnVersion?: string;
}

export interface PodSecurityExemptions {
  usernames?: string[];
  runtimeClasses?: string[];
  namespaces?: string[];
}

/** Upstream's v1 defaulting: every unset level is privileged, every unset version latest. */
export function completeDefaults(defaults: PodSecurityDefaults = {}): Required<PodSecurityDefaults> {
  return {
    enforce: defaults.enforce || 'privileged',
    enforceVersion: defaults.enforceVersion || 'latest',
    audit: defaults.audit || 'privileged',
    auditVersion: defaults.auditVersion || 'latest',
    warn: defaults.warn || 'privileged',
    warnVersion: defaults.warnVersion || 'latest',
  };
}

function validateLevel(path: string, value: string): FieldErrorLike[] {
  const { error } = parseLevel(value);
  return error ? [{ type: 'FieldValueInvalid', field: path, value, detail: error }] : [];
}

function validateVersion(path: string, value: string): FieldErrorLike[] {
  const { error } = parseVersion(value);
  return error ? [{ type: 'FieldValueInvalid', field: path, value, detail: error }] : [];
}

function validateNames(path: string, values: string[] | undefined, problemsOf: (value: string) => string[]): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  const seen = new Set<string>();
  (values ?? []).forEach((value, i) => {
    const problems = problemsOf(value);
    if (problems.length > 0) errors.push({ type: 'FieldValueInvalid', field: `${path}[${i}]`, value, detail: problems.join(', ') });
    else if (seen.has(value)) errors.push({ type: 'FieldValueDuplicate', field: `${path}[${i}]`, value });
    else seen.add(value);
  });
  return errors;
}

/** Upstream's ValidatePodSecurityConfiguration, on defaults already completed. */
export function validatePodSecurityConfiguration(defaults: Required<PodSecurityDefaults>, exemptions: PodSecurityExemptions): FieldErrorLike[] {
  return [
    ...validateLevel('defaults.enforce', defaults.enforce),
    ...validateVersion('defaults.enforce-version', defaults.enforceVersion),
    ...validateLevel('defaults.warn', defaults.warn),
    ...validateVersion('defaults.warn-version', defaults.warnVersion),
    ...validateLevel('defaults.audit', defaults.audit),
    ...validateVersion('defaults.audit-version', defaults.auditVersion),
    ...validateNames('exemptions.namespaces', exemptions.namespaces, isDNS1123Label),
    ...validateNames('exemptions.runtimeClasses', exemptions.runtimeClasses, isDNS1123Subdomain),
    ...validateNames('exemptions.usernames', exemptions.usernames, (name) => (name === '' ? ['username must not be empty'] : [])),
  ];
}

/** The policy of a namespace without labels; throws (a startup error) on invalid defaults or exemptions. */
export function defaultPolicyFrom(defaults: Required<PodSecurityDefaults>, exemptions: PodSecurityExemptions = {}): Policy {
  const errors = validatePodSecurityConfiguration(defaults, exemptions);
  if (errors.length > 0) {
    const rendered = errors.map(renderFieldError);
    throw new Error(`PodSecurity invalid: ${rendered.length === 1 ? rendered[0] : `[${rendered.join(', ')}]`}`);
  }
  return {
    enforce: { level: parseLevel(defaults.enforce).value, version: parseVersion(defaults.enforceVersion).value },
    audit: { level: parseLevel(defaults.audit).value, version: parseVersion(defaults.auditVersion).value },
    warn: { level: parseLevel(defaults.warn).value, version: parseVersion(defaults.warnVersion).value },
  };
}

/**
 * Defaults from a `--pod-security LEVEL` flag (also `LEVEL:VERSION`): that
 * level enforced, audit and warn privileged; no flag means privileged.
 * Throws with the reason when the value is not a level (or version).
 */
export function podSecurityDefaultsFromFlag(flag: string): Required<PodSecurityDefaults> {
  const [level, version, ...rest] = flag.trim().split(':');
  const enforce = level || 'privileged';
  const enforceVersion = version ?? 'latest';
  const levelError = parseLevel(enforce).error;
  if (levelError) throw new Error(`invalid --pod-security level ${JSON.stringify(enforce)}: ${levelError}`);
  const versionError = rest.length > 0 ? 'must be "latest" or "v1.x"' : parseVersion(enforceVersion).error;
  if (versionError) throw new Error(`invalid --pod-security version ${JSON.stringify(flag.slice(flag.indexOf(':') + 1))}: ${versionError}`);
  return completeDefaults({ enforce, enforceVersion });
}
