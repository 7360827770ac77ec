/** Pod Security admission: the plugin, its configuration, the policy checks and the namespace labels. */
export { podSecurity, podSecurityPluginName, type PodSecurityOptions } from './admission.js';
export {
  completeDefaults,
  defaultPolicyFrom,
  podSecurityDefaultsFromFlag,
  validatePodSecurityConfiguration,
  type PodSecurityDefaults,
  type PodSecurityExemptions,
} from './configuration.js';
export {
  compareLevels,
  latestVersion,
  levelVersionString,
  majorMinorVersion,
  parseLevel,
  parseVersion,
  validLevels,
  versionOlder,
  versionString,
  type Level,
  type LevelVersion,
  type PolicyVersion,
} from './levels.js';
export {
  auditAnnotationPrefix,
  auditLevelLabel,
  auditVersionLabel,
  auditViolationsAnnotationKey,
  enforceLevelLabel,
  enforceVersionLabel,
  enforcedPolicyAnnotationKey,
  equivalentPolicies,
  exemptionReasonAnnotationKey,
  fullyPrivileged,
  policyString,
  policyToEvaluate,
  warnLevelLabel,
  warnVersionLabel,
  type Policy,
} from './namespace-labels.js';
export {
  aggregateCheckResults,
  aggregateForbiddenDetail,
  aggregateForbiddenReason,
  type AggregateCheckResult,
  type Check,
  type CheckResult,
  type VersionedCheck,
} from './checks.js';
export { baselineChecks } from './checks-baseline.js';
export { restrictedChecks } from './checks-restricted.js';
export { defaultChecks, newEvaluator, type Evaluator } from './evaluator.js';
export { evaluatePodsInNamespace, exemptNamespaceWarning, defaultNamespacePodCheckLimits, type NamespacePodCheckLimits } from './namespace-pods.js';
export { extractPodSpec, hasPodSpec } from './pod-spec-extractor.js';
export { isSignificantPodUpdate } from './pod-updates.js';
export type { PodMetadata, PodSpec } from './pod-spec.js';
