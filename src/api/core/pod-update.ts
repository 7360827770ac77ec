/**
 * ValidatePodUpdate: a pod's spec is immutable except for container images,
 * a shrinking activeDeadlineSeconds, added tolerations and a negative grace
 * period raised to 1. Everything else is reported as one Forbidden error.
 */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { deepCopy } from '../../machinery/object.js';
import { arr } from './validate-common.js';
import { semanticEqual } from './util.js';

const UPDATABLE =
  '`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

const same = semanticEqual;

function tolerationKey(t: any): string {
  return JSON.stringify([t?.key ?? '', t?.operator ?? '', t?.value ?? '', t?.effect ?? '']);
}

function validateTolerationsUpdate(next: unknown, old: unknown): FieldErrorLike[] {
  const newKeys = new Map(arr(next).map((t) => [tolerationKey(t), t]));
  for (const t of arr(old)) {
    const match = newKeys.get(tolerationKey(t));
    if (!match) return [field.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds')];
    if (t?.tolerationSeconds !== undefined && (match.tolerationSeconds === undefined || match.tolerationSeconds > t.tolerationSeconds)) {
      return [field.forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds')];
    }
  }
  return [];
}

/** Which top-level spec fields differ, for the detail of the Forbidden error (upstream prints a diff). */
function changedFields(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => !same(a[k], b[k]));
}

export function validatePodUpdate(pod: any, old: any): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const spec = pod.spec ?? {};
  const oldSpec = old.spec ?? {};
  if (spec.activeDeadlineSeconds !== undefined) {
    const v = spec.activeDeadlineSeconds;
    if (v < 0 || v > 2147483647) return [field.invalid('spec.activeDeadlineSeconds', v, 'must be between 0 and 2147483647, inclusive')];
    if (oldSpec.activeDeadlineSeconds !== undefined && oldSpec.activeDeadlineSeconds < v) {
      return [field.invalid('spec.activeDeadlineSeconds', v, 'must be less than or equal to previous value')];
    }
  } else if (oldSpec.activeDeadlineSeconds !== undefined) {
    errs.push(field.invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  // Munge the allowed changes back to the old values; whatever still differs is forbidden.
  const munged = deepCopy(spec);
  for (const key of ['containers', 'initContainers']) {
    const oldList = arr(oldSpec[key]);
    if (arr(munged[key]).length !== oldList.length) continue;
    arr(munged[key]).forEach((c, i) => {
      if (c && oldList[i]?.image !== undefined) c.image = oldList[i].image;
    });
  }
  munged.activeDeadlineSeconds = oldSpec.activeDeadlineSeconds;
  if (munged.activeDeadlineSeconds === undefined) delete munged.activeDeadlineSeconds;
  const tolerationErrs = validateTolerationsUpdate(spec.tolerations, oldSpec.tolerations);
  errs.push(...tolerationErrs);
  if (tolerationErrs.length === 0) {
    if (oldSpec.tolerations === undefined) delete munged.tolerations;
    else munged.tolerations = oldSpec.tolerations;
  }
  if (oldSpec.terminationGracePeriodSeconds < 0 && spec.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = oldSpec.terminationGracePeriodSeconds;
  }
  // Scheduling gates may only be removed (the scheduler waits for the last one to go).
  const oldGates = new Set(arr(oldSpec.schedulingGates).map((g) => g?.name));
  const added = arr(spec.schedulingGates).find((g) => !oldGates.has(g?.name));
  if (added) errs.push(field.forbidden('spec.schedulingGates', `only deletion is allowed, but found new scheduling gate '${added.name}'`));
  else if (oldSpec.schedulingGates === undefined) delete munged.schedulingGates;
  else munged.schedulingGates = oldSpec.schedulingGates;
  // While a pod is gated its node selector may gain entries (never lose or change one).
  if (oldGates.size > 0 && spec.nodeSelector !== undefined) {
    const kept = Object.entries(oldSpec.nodeSelector ?? {}).every(([k, v]) => spec.nodeSelector[k] === v);
    if (kept) {
      if (oldSpec.nodeSelector === undefined) delete munged.nodeSelector;
      else munged.nodeSelector = oldSpec.nodeSelector;
    }
  }
  // Ephemeral containers are not munged: they change only through pods/ephemeralcontainers, so
  // an update of the pod that changes them is refused like any other spec change.
  if (!same(munged, oldSpec)) {
    const changed = changedFields(munged, oldSpec).map((k) => `spec.${k}`).join(', ');
    errs.push(field.forbidden('spec', `pod updates may not change fields other than ${UPDATABLE}\n  changed: ${changed}`));
  }
  return errs;
}
