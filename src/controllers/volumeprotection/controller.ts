/**
 * Storage object in-use protection, the controller half (upstream's
 * pvc-protection and pv-protection controllers): the admission plugin puts
 * a finalizer on every claim and volume; these controllers take it off a
 * deleted one once nothing uses it any more, so a claim a running pod
 * mounts is not pulled from under it.
 *
 * - pvc-protection: a deleted claim keeps `kubernetes.io/pvc-protection`
 *   while a pod that has not finished mounts it (by name, or as the claim of
 *   a generic ephemeral volume, `<pod>-<volume>`).
 * - pv-protection: a deleted volume keeps `kubernetes.io/pv-protection`
 *   while the claim it is bound to exists.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { persistentVolumeClaimsResource, persistentVolumesResource, podsResource } from '../resources.js';

export const pvcProtectionFinalizer = 'kubernetes.io/pvc-protection';
export const pvProtectionFinalizer = 'kubernetes.io/pv-protection';

interface Pod extends KubeObject {
  spec?: { volumes?: { name: string; persistentVolumeClaim?: { claimName?: string }; ephemeral?: unknown }[] };
  status?: { phase?: string };
}

interface Volume extends KubeObject {
  spec?: { claimRef?: { namespace?: string; name?: string; uid?: string } };
}

/** Whether a pod that has not finished uses the claim (pure: the table tests check it). */
export function claimInUse(claimName: string, pods: Pod[]): boolean {
  return pods.some(
    (pod) =>
      pod.status?.phase !== 'Succeeded' &&
      pod.status?.phase !== 'Failed' &&
      (pod.spec?.volumes ?? []).some((volume) => volume.persistentVolumeClaim?.claimName === claimName || (volume.ephemeral !== undefined && `${pod.metadata.name}-${volume.name}` === claimName)),
  );
}

/** Whether the claim a volume is bound to still exists (the same claim, by uid). */
export function volumeInUse(volume: Volume, claim: KubeObject | undefined): boolean {
  const ref = volume.spec?.claimRef;
  return !!ref?.name && !!claim && (!ref.uid || claim.metadata.uid === ref.uid);
}

const without = (finalizers: string[] | undefined, finalizer: string) => (finalizers ?? []).filter((f) => f !== finalizer);

/** Drops the finalizer; a conflict or a vanished object means a newer state is on its way. */
async function release(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (err) {
    if (!isStatusError(err, 'Conflict') && !isStatusError(err, 'NotFound')) throw err;
  }
}

export function pvcProtectionController(context: ControllerContext): ControllerSpec {
  const claims = context.informers.informerFor(persistentVolumeClaimsResource);
  const pods = context.informers.informerFor<Pod>(podsResource);
  const client = context.client.resource(persistentVolumeClaimsResource);
  return {
    name: 'pvc-protection',
    for: persistentVolumeClaimsResource,
    // A pod that finishes or goes may free the claims it mounted.
    watches: [
      {
        resource: podsResource,
        map: (pod) =>
          ((pod as Pod).spec?.volumes ?? []).flatMap((volume) => {
            const name = volume.persistentVolumeClaim?.claimName ?? (volume.ephemeral !== undefined ? `${pod.metadata.name}-${volume.name}` : undefined);
            return name ? [`${pod.metadata.namespace}/${name}`] : [];
          }),
      },
    ],
    async reconcile(key, { signal }) {
      const [namespace, name] = key.split('/');
      const claim = claims.lister.get(namespace, name);
      if (!claim?.metadata.deletionTimestamp || !claim.metadata.finalizers?.includes(pvcProtectionFinalizer)) return;
      if (claimInUse(name, pods.lister.list(namespace))) return;
      await release(() => client.update({ ...claim, metadata: { ...claim.metadata, finalizers: without(claim.metadata.finalizers, pvcProtectionFinalizer) } }, { signal }));
    },
  };
}

export function pvProtectionController(context: ControllerContext): ControllerSpec {
  const volumes = context.informers.informerFor<Volume>(persistentVolumesResource);
  const claims = context.informers.informerFor(persistentVolumeClaimsResource);
  const client = context.client.resource<Volume>(persistentVolumesResource);
  return {
    name: 'pv-protection',
    for: persistentVolumesResource,
    // A claim that goes frees the volume bound to it.
    watches: [{ resource: persistentVolumeClaimsResource, map: (claim) => volumes.lister.list().filter((v) => v.spec?.claimRef?.uid === claim.metadata.uid).map((v) => v.metadata.name!) }],
    async reconcile(name, { signal }) {
      const volume = volumes.lister.get(undefined, name);
      if (!volume?.metadata.deletionTimestamp || !volume.metadata.finalizers?.includes(pvProtectionFinalizer)) return;
      const ref = volume.spec?.claimRef;
      if (volumeInUse(volume, ref?.name ? claims.lister.get(ref.namespace, ref.name) : undefined)) return;
      await release(() => client.update({ ...volume, metadata: { ...volume.metadata, finalizers: without(volume.metadata.finalizers, pvProtectionFinalizer) } }, { signal }));
    },
  };
}
