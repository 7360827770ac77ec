/**
 * StorageObjectInUseProtection, as upstream's admission plugin: every new
 * PersistentVolumeClaim gets the `kubernetes.io/pvc-protection` finalizer and
 * every new PersistentVolume `kubernetes.io/pv-protection`, so neither goes
 * away while a pod still uses the claim or a claim is still bound to the
 * volume (the pvc-protection and pv-protection controllers remove them).
 */
import type { AdmissionPlugin } from './chain.js';

export const pvcProtectionFinalizer = 'kubernetes.io/pvc-protection';
export const pvProtectionFinalizer = 'kubernetes.io/pv-protection';

const finalizerFor: Record<string, string> = {
  persistentvolumeclaims: pvcProtectionFinalizer,
  persistentvolumes: pvProtectionFinalizer,
};

export function storageObjectInUseProtectionPlugin(): AdmissionPlugin {
  return {
    name: 'StorageObjectInUseProtection',
    admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.type.group !== '' || !a.object) return;
      const finalizer = finalizerFor[a.type.resource];
      if (!finalizer) return;
      const metadata = a.object.metadata;
      // A malformed list is left for validation to refuse.
      if (metadata.finalizers !== undefined && !Array.isArray(metadata.finalizers)) return;
      if (metadata.finalizers?.includes(finalizer)) return;
      metadata.finalizers = [...(metadata.finalizers ?? []), finalizer];
    },
  };
}
