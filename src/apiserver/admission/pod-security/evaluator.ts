/**
 * Which checks apply at a level and version, and running them on a pod, as
 * upstream's policy registry: a check's implementation for a version is the
 * newest one not newer than it; `latest` and versions past the newest check
 * use the newest; restricted runs the baseline checks it does not override.
 * Results come in upstream's order: baseline checks by ID, then restricted
 * checks by ID.
 */
import { baselineChecks } from './checks-baseline.js';
import { restrictedChecks } from './checks-restricted.js';
import type { Check, CheckOptions, CheckPod, CheckResult } from './checks.js';
import { majorMinorVersion, versionOlder, versionString, type LevelVersion, type PolicyVersion } from './levels.js';
import { byteOrder, type PodMetadata, type PodSpec } from './pod-spec.js';

export interface Evaluator {
  /** The result of every check that applies at `lv` (none at privileged). */
  evaluatePod(lv: LevelVersion, metadata: PodMetadata, spec: PodSpec): CheckResult[];
}

export const defaultChecks: readonly Check[] = [...baselineChecks, ...restrictedChecks];

/** Refuses a set of checks upstream's registry would refuse (a programming error, not a request error). */
function validateChecks(checks: readonly Check[]): void {
  const levels = new Map<string, string>();
  for (const check of checks) {
    if (levels.has(check.id)) throw new Error(`multiple checks registered for ID ${check.id}`);
    levels.set(check.id, check.level);
    if (check.versions.length === 0) throw new Error(`check ${check.id}: empty`);
    let previous: PolicyVersion | undefined;
    for (const version of check.versions) {
      if (version.minimumVersion.latest) throw new Error(`check ${check.id}: version cannot be 'latest'`);
      if (previous && !versionOlder(previous, version.minimumVersion)) throw new Error(`check ${check.id}: versions must be strictly increasing`);
      previous = version.minimumVersion;
    }
  }
  for (const check of checks) {
    for (const version of check.versions) {
      if (!version.overrideCheckIDs?.length) continue;
      if (check.level !== 'restricted') throw new Error(`check ${check.id}: only restricted checks may set overrides`);
      for (const id of version.overrideCheckIDs) {
        const level = levels.get(id);
        if (level !== undefined && level !== 'baseline') throw new Error(`check ${check.id}: overrides ${level} check ${id}`);
      }
    }
  }
}

/** The implementation of a check that applies at `version`, if any does yet. */
function versionedCheckAt(check: Check, version: PolicyVersion) {
  let chosen: Check['versions'][number] | undefined;
  for (const candidate of check.versions) {
    if (versionOlder(version, candidate.minimumVersion)) break;
    chosen = candidate;
  }
  return chosen;
}

export function newEvaluator(checks: readonly Check[] = defaultChecks, options: Partial<CheckOptions> = {}): Evaluator {
  validateChecks(checks);
  const checkOptions: CheckOptions = { relaxForUserNamespacePods: options.relaxForUserNamespacePods ?? false };
  const byID = (a: Check, b: Check) => byteOrder(a.id, b.id);
  const baseline = checks.filter((c) => c.level === 'baseline').sort(byID);
  const restricted = checks.filter((c) => c.level === 'restricted').sort(byID);
  let maxVersion = majorMinorVersion(1, 0);
  for (const check of checks) {
    const last = check.versions[check.versions.length - 1].minimumVersion;
    if (versionOlder(maxVersion, last)) maxVersion = last;
  }
  // One list per level and effective version: versions past the newest check share one entry, so this stays small.
  const cache = new Map<string, CheckPod[]>();

  function checksAt(lv: LevelVersion): CheckPod[] {
    const version = versionOlder(maxVersion, lv.version) ? maxVersion : lv.version;
    const key = `${lv.level}:${versionString(version)}`;
    const cached = cache.get(key);
    if (cached) return cached;
    const restrictedAt = lv.level === 'restricted' ? restricted.map((c) => versionedCheckAt(c, version)).filter((c) => c !== undefined) : [];
    const overridden = new Set(restrictedAt.flatMap((c) => c.overrideCheckIDs ?? []));
    const fns: CheckPod[] = [];
    for (const check of baseline) {
      const versioned = versionedCheckAt(check, version);
      if (versioned && !overridden.has(check.id)) fns.push(versioned.checkPod);
    }
    for (const versioned of restrictedAt) fns.push(versioned.checkPod);
    if (cache.size < 256) cache.set(key, fns);
    return fns;
  }

  return {
    evaluatePod(lv, metadata, spec) {
      if (lv.level === 'privileged') return [];
      return checksAt(lv).map((check) => check(metadata ?? {}, spec ?? {}, checkOptions));
    },
  };
}
