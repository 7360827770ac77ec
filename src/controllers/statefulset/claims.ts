/**
 * A StatefulSet's stable storage, as pure functions: which claim each pod
 * gets from each volumeClaimTemplate, the volume that mounts it, and which
 * owner references keep (or let go of) the claim under the set's
 * `persistentVolumeClaimRetentionPolicy` (upstream's StatefulSetAutoDeletePVC,
 * GA in v1.32).
 *
 *   whenDeleted \ whenScaled | Retain            | Delete
 *   -------------------------+-------------------+--------------------------------------------
 *   Retain                   | no owner          | the pod, once its ordinal is out of range
 *   Delete                   | the StatefulSet   | the pod when out of range, else the StatefulSet
 *
 * The garbage collector does the deleting: a claim owned by the set goes
 * with the set, a claim owned by a condemned pod goes with the pod.
 */
import type { StatefulSet } from '../../api/apps/index.js';
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { controllerRefTo } from '../util/owners.js';
import type { Pod } from '../util/pods.js';

export interface ClaimVolume {
  name: string;
  persistentVolumeClaim: { claimName: string };
}

/** The claim of one volumeClaimTemplate for one pod: `<template>-<set>-<ordinal>`, i.e. `<template>-<pod>`. */
export function claimName(template: KubeObject, podName: string): string {
  return `${template.metadata.name}-${podName}`;
}

/**
 * A new claim from a template: the template's spec, its labels plus the
 * set's selector labels (those win, as upstream), its annotations.
 */
export function newClaim(set: StatefulSet, template: KubeObject, podName: string): KubeObject {
  const { metadata, status: _status, apiVersion: _apiVersion, kind: _kind, ...rest } = structuredClone(template) as KubeObject & { status?: unknown };
  return {
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    ...rest,
    metadata: {
      name: claimName(template, podName),
      namespace: set.metadata.namespace,
      labels: { ...metadata.labels, ...set.spec?.selector?.matchLabels },
      ...(metadata.annotations ? { annotations: metadata.annotations } : {}),
    },
  };
}

/**
 * The pod's volumes: one per claim template, mounting its claim, replacing
 * any template volume of the same name; the template's other volumes after.
 */
export function podVolumes<V extends { name: string }>(set: StatefulSet, podName: string, templateVolumes: V[] = []): (V | ClaimVolume)[] {
  const claimVolumes: ClaimVolume[] = (set.spec?.volumeClaimTemplates ?? []).map((template) => ({
    name: template.metadata.name!,
    persistentVolumeClaim: { claimName: claimName(template, podName) },
  }));
  return [...claimVolumes, ...templateVolumes.filter((volume) => !claimVolumes.some((claim) => claim.name === volume.name))];
}

const retentionOf = (set: StatefulSet) => ({
  whenDeleted: set.spec?.persistentVolumeClaimRetentionPolicy?.whenDeleted === 'Delete' ? 'Delete' : 'Retain',
  whenScaled: set.spec?.persistentVolumeClaimRetentionPolicy?.whenScaled === 'Delete' ? 'Delete' : 'Retain',
});

/** Which owners a claim of this set should have: the set, the pod, both or none (see the table above). */
export function wantedClaimOwners(set: StatefulSet, scaledDown: boolean): { set: boolean; pod: boolean } {
  const policy = retentionOf(set);
  const pod = policy.whenScaled === 'Delete' && scaledDown;
  return { set: policy.whenDeleted === 'Delete' && !pod, pod };
}

const refersTo = (ref: OwnerReference, kind: string, apiVersion: string, name: string | undefined) =>
  ref.kind === kind && ref.apiVersion.split('/')[0] === apiVersion.split('/')[0] && ref.name === name;

/**
 * The owner references a claim should carry, or undefined when it carries
 * them already. `pod` is the claim's pod when it exists (a pod owner needs
 * its uid). Like upstream, a claim is left alone when it refers to an
 * earlier set or pod of the same name (a stale uid: someone else's claim to
 * judge), and when another controller owns it our references are removed
 * and none added.
 */
export function claimOwnerReferences(claim: KubeObject, set: StatefulSet, pod: Pod | undefined, scaledDown: boolean): OwnerReference[] | undefined {
  const refs = claim.metadata.ownerReferences ?? [];
  const isSetRef = (ref: OwnerReference) => refersTo(ref, 'StatefulSet', 'apps/v1', set.metadata.name);
  const isPodRef = (ref: OwnerReference) => pod !== undefined && refersTo(ref, 'Pod', 'v1', pod.metadata.name);
  if (refs.some((ref) => (isSetRef(ref) && ref.uid !== set.metadata.uid) || (isPodRef(ref) && ref.uid !== pod!.metadata.uid))) return undefined;
  const ours = (ref: OwnerReference) => ref.uid === set.metadata.uid || (pod !== undefined && ref.uid === pod.metadata.uid);
  const others = refs.filter((ref) => !ours(ref));
  const wanted: OwnerReference[] = [...others];
  if (!others.some((ref) => ref.controller)) {
    const want = wantedClaimOwners(set, scaledDown);
    if (want.set) wanted.push(controllerRefTo(set, 'apps/v1', 'StatefulSet'));
    if (want.pod && pod) wanted.push(controllerRefTo(pod, 'v1', 'Pod'));
  }
  const key = (list: OwnerReference[]) => JSON.stringify(list.map((ref) => [ref.uid, Boolean(ref.controller)]).sort());
  return key(wanted) === key(refs) ? undefined : wanted;
}

/**
 * Whether a claim must go before the pod of this name is created: it is
 * being deleted, or (whenScaled: Delete) it still belongs to an earlier pod
 * of that name, scaled down, so the garbage collector will delete it. A new
 * pod would otherwise start on a claim about to vanish; it waits and gets a
 * fresh one, as upstream.
 */
export function isClaimStale(claim: KubeObject, set: StatefulSet, podName: string): boolean {
  if (claim.metadata.deletionTimestamp) return true;
  if (retentionOf(set).whenScaled !== 'Delete') return false;
  return (claim.metadata.ownerReferences ?? []).some((ref) => refersTo(ref, 'Pod', 'v1', podName));
}
