/**
 * What a Pod Security check is and what it finds, as upstream's policy
 * package: a check has an ID, a level and versions; each version judges a
 * pod's metadata and spec and says why it is forbidden. Findings of several
 * checks aggregate into the texts the admission messages use.
 */
import type { Level, PolicyVersion } from './levels.js';
import type { PodMetadata, PodSpec } from './pod-spec.js';

export interface CheckResult {
  allowed: boolean;
  /** A short reason, e.g. `allowPrivilegeEscalation != false`. */
  forbiddenReason?: string;
  /** What to change, e.g. `container "c" must set securityContext.allowPrivilegeEscalation=false`. */
  forbiddenDetail?: string;
}

export type CheckPod = (metadata: PodMetadata, spec: PodSpec, options: CheckOptions) => CheckResult;

export interface CheckOptions {
  /**
   * Upstream's UserNamespacesPodSecurityStandards feature gate (alpha, off in
   * v1.32): pods with hostUsers=false skip the checks a user namespace makes moot.
   */
  relaxForUserNamespacePods: boolean;
}

export interface VersionedCheck {
  /** The first policy version this implementation applies to; it applies until the next one's. */
  minimumVersion: PolicyVersion;
  checkPod: CheckPod;
  /** Baseline checks this restricted check replaces at this version. */
  overrideCheckIDs?: string[];
}

export interface Check {
  id: string;
  level: Exclude<Level, 'privileged'>;
  versions: VersionedCheck[];
}

export const allowed: CheckResult = Object.freeze({ allowed: true });

export const forbidden = (forbiddenReason: string, forbiddenDetail: string): CheckResult => ({ allowed: false, forbiddenReason, forbiddenDetail });

export interface AggregateCheckResult {
  allowed: boolean;
  forbiddenReasons: string[];
  forbiddenDetails: string[];
}

export const unknownForbiddenReason = 'unknown forbidden reason';

export function aggregateCheckResults(results: CheckResult[]): AggregateCheckResult {
  const forbiddenReasons: string[] = [];
  const forbiddenDetails: string[] = [];
  for (const result of results) {
    if (result.allowed) continue;
    forbiddenReasons.push(result.forbiddenReason || unknownForbiddenReason);
    forbiddenDetails.push(result.forbiddenDetail ?? '');
  }
  return { allowed: forbiddenReasons.length === 0, forbiddenReasons, forbiddenDetails };
}

/** The reasons alone: `host namespaces, privileged`. */
export function aggregateForbiddenReason(result: AggregateCheckResult): string {
  return result.forbiddenReasons.join(', ');
}

/** Each reason with its detail in parentheses: `host namespaces (hostNetwork=true), privileged (...)`. */
export function aggregateForbiddenDetail(result: AggregateCheckResult): string {
  return result.forbiddenReasons.map((reason, i) => (result.forbiddenDetails[i] ? `${reason} (${result.forbiddenDetails[i]})` : reason)).join(', ');
}
