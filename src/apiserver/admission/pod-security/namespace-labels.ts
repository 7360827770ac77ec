/**
 * The namespace labels that choose a namespace's policy
 * (`pod-security.kubernetes.io/{enforce,audit,warn}[-version]`), read over
 * the cluster defaults as upstream's api.PolicyToEvaluate reads them.
 */
import type { FieldErrorLike } from '../../../machinery/status.js';
import { compareLevels, levelVersionsEqual, levelVersionString, parseLevel, parseVersion, type LevelVersion } from './levels.js';

export const labelPrefix = 'pod-security.kubernetes.io/';
export const enforceLevelLabel = `${labelPrefix}enforce`;
export const enforceVersionLabel = `${labelPrefix}enforce-version`;
export const auditLevelLabel = `${labelPrefix}audit`;
export const auditVersionLabel = `${labelPrefix}audit-version`;
export const warnLevelLabel = `${labelPrefix}warn`;
export const warnVersionLabel = `${labelPrefix}warn-version`;

/** Audit annotations are `<prefix><key>`, with these keys. */
export const auditAnnotationPrefix = labelPrefix;
export const exemptionReasonAnnotationKey = 'exempt';
export const auditViolationsAnnotationKey = 'audit-violations';
export const enforcedPolicyAnnotationKey = 'enforce-policy';

export interface Policy {
  enforce: LevelVersion;
  audit: LevelVersion;
  warn: LevelVersion;
}

export function policyString(policy: Policy): string {
  return `enforce=${levelVersionString(policy.enforce)}, audit=${levelVersionString(policy.audit)}, warn=${levelVersionString(policy.warn)}`;
}

export function fullyPrivileged(policy: Policy): boolean {
  return policy.enforce.level === 'privileged' && policy.audit.level === 'privileged' && policy.warn.level === 'privileged';
}

/** Two modes are equivalent when both are privileged (the version then does not matter) or identical. */
function equivalentModes(a: LevelVersion, b: LevelVersion): boolean {
  return (a.level === 'privileged' && b.level === 'privileged') || levelVersionsEqual(a, b);
}

export function equivalentPolicies(a: Policy, b: Policy): boolean {
  return equivalentModes(a.enforce, b.enforce) && equivalentModes(a.audit, b.audit) && equivalentModes(a.warn, b.warn);
}

const invalidLabel = (label: string, value: string, detail: string): FieldErrorLike => ({
  type: 'FieldValueInvalid',
  field: `metadata.labels[${label}]`,
  value,
  detail,
});

/**
 * The policy a namespace's labels select over the defaults, and the label
 * errors. Invalid values fail closed for enforce (restricted, latest) and open
 * for audit and warn (privileged). An enforce level without a warn level also
 * warns at the enforce level when that is stricter than the default warn level.
 */
export function policyToEvaluate(labels: Record<string, string> | undefined, defaults: Policy): { policy: Policy; errors: FieldErrorLike[] } {
  const policy: Policy = { enforce: { ...defaults.enforce }, audit: { ...defaults.audit }, warn: { ...defaults.warn } };
  const errors: FieldErrorLike[] = [];
  if (!labels || Object.keys(labels).length === 0) return { policy, errors };
  const has = (label: string) => Object.hasOwn(labels, label) && typeof labels[label] === 'string';

  let hasEnforceLevel = false;
  if (has(enforceLevelLabel)) {
    const parsed = parseLevel(labels[enforceLevelLabel]);
    policy.enforce = { ...policy.enforce, level: parsed.value };
    hasEnforceLevel = parsed.error === undefined; // a broken enforce label does not raise warn
    if (parsed.error) errors.push(invalidLabel(enforceLevelLabel, labels[enforceLevelLabel], parsed.error));
  }
  if (has(enforceVersionLabel)) {
    const parsed = parseVersion(labels[enforceVersionLabel]);
    policy.enforce = { ...policy.enforce, version: parsed.value };
    if (parsed.error) errors.push(invalidLabel(enforceVersionLabel, labels[enforceVersionLabel], parsed.error));
  }
  if (has(auditLevelLabel)) {
    const parsed = parseLevel(labels[auditLevelLabel]);
    policy.audit = { ...policy.audit, level: parsed.error ? 'privileged' : parsed.value };
    if (parsed.error) errors.push(invalidLabel(auditLevelLabel, labels[auditLevelLabel], parsed.error));
  }
  if (has(auditVersionLabel)) {
    const parsed = parseVersion(labels[auditVersionLabel]);
    policy.audit = { ...policy.audit, version: parsed.value };
    if (parsed.error) errors.push(invalidLabel(auditVersionLabel, labels[auditVersionLabel], parsed.error));
  }
  const hasWarnLevel = has(warnLevelLabel);
  if (hasWarnLevel) {
    const parsed = parseLevel(labels[warnLevelLabel]);
    policy.warn = { ...policy.warn, level: parsed.error ? 'privileged' : parsed.value };
    if (parsed.error) errors.push(invalidLabel(warnLevelLabel, labels[warnLevelLabel], parsed.error));
  }
  const hasWarnVersion = has(warnVersionLabel);
  if (hasWarnVersion) {
    const parsed = parseVersion(labels[warnVersionLabel]);
    policy.warn = { ...policy.warn, version: parsed.value };
    if (parsed.error) errors.push(invalidLabel(warnVersionLabel, labels[warnVersionLabel], parsed.error));
  }

  if (!hasWarnLevel && hasEnforceLevel && compareLevels(policy.enforce.level, policy.warn.level) > 0) {
    policy.warn = { level: policy.enforce.level, version: hasWarnVersion ? policy.warn.version : policy.enforce.version };
  }
  return { policy, errors };
}
