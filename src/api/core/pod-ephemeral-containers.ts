/**
 * The `pods/ephemeralcontainers` subresource's strategy (upstream's
 * podEphemeralContainersStrategy): a write through it changes only
 * `spec.ephemeralContainers`, and only by adding entries — an ephemeral
 * container, once there, is neither changed nor removed (`kubectl debug`
 * adds one with a strategic merge patch of that list).
 */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import type { KubeObject } from '../../machinery/object.js';
import { arr } from './validate-common.js';
import { semanticEqual } from './util.js';

/**
 * The object to store: the old pod with the new list of ephemeral
 * containers. Every other change of the request (spec, status, labels,
 * annotations, finalizers, owners) is dropped, as upstream drops it;
 * name, uid and resourceVersion stay the request's, so a wrong uid is
 * still reported and a stale resourceVersion is still a conflict.
 */
export function dropNonEphemeralContainerUpdates(next: KubeObject, old: KubeObject): KubeObject {
  const pod = structuredClone(old);
  const requested = (next.spec as { ephemeralContainers?: unknown } | undefined)?.ephemeralContainers;
  const spec = (pod.spec ??= {}) as { ephemeralContainers?: unknown };
  if (requested === undefined || requested === null) delete spec.ephemeralContainers;
  else spec.ephemeralContainers = structuredClone(requested);
  if (next.metadata?.uid !== undefined) pod.metadata.uid = next.metadata.uid;
  if (next.metadata?.resourceVersion !== undefined) pod.metadata.resourceVersion = next.metadata.resourceVersion;
  return pod;
}

/** Field by field, which fields of an ephemeral container differ (upstream prints a diff). */
function changedFields(old: Record<string, unknown>, next: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(old ?? {}), ...Object.keys(next ?? {})])].sort();
  return keys.filter((k) => !semanticEqual(old?.[k], next?.[k]));
}

/**
 * upstream ValidatePodEphemeralContainersUpdate, part 2: every ephemeral
 * container of the old pod is still there (matched by name: a patch need
 * not keep the order) and unchanged. The pod as a whole (names unique
 * across all containers, no ports, probes, lifecycle or resources on
 * ephemeral ones, a target that is a regular container) is validated as
 * any pod is.
 */
export function validateEphemeralContainersUpdate(next: KubeObject, old: KubeObject): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (old.metadata.uid !== undefined && next.metadata.uid !== old.metadata.uid) {
    errs.push(field.invalid('metadata.uid', next.metadata.uid, 'field is immutable'));
  }
  // Static pods (mirror pods) have none: their kubelet reads them from a file.
  if (old.metadata.annotations?.['kubernetes.io/config.mirror'] !== undefined) {
    return [field.forbidden('', 'static pods do not support ephemeral containers')];
  }
  const byName = new Map(arr((next.spec as any)?.ephemeralContainers).map((c) => [c?.name, c]));
  for (const before of arr((old.spec as any)?.ephemeralContainers)) {
    const now = byName.get(before?.name);
    if (now === undefined) {
      errs.push(field.forbidden('spec.ephemeralContainers', `existing ephemeral containers "${before?.name}" may not be removed\n`));
    } else if (!semanticEqual(before, now)) {
      const changed = changedFields(before, now).join(', ');
      errs.push(field.forbidden('spec.ephemeralContainers', `existing ephemeral containers "${before?.name}" may not be changed\n  changed: ${changed}`));
    }
  }
  return errs;
}
