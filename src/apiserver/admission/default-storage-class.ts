/**
 * DefaultStorageClass, as upstream's admission plugin: a new
 * PersistentVolumeClaim that names no storage class gets the cluster's
 * default one — the StorageClass annotated
 * `storageclass.kubernetes.io/is-default-class: "true"` (the newest, when
 * several are). A claim that sets `storageClassName: ""` asks for no class
 * and keeps it.
 */
import type { KubeObject } from '../../machinery/object.js';
import type { AdmissionPlugin } from './chain.js';

export const defaultClassAnnotation = 'storageclass.kubernetes.io/is-default-class';

export interface StorageClassLookup {
  list(): Promise<KubeObject[]>;
}

export function defaultStorageClassPlugin(classes: StorageClassLookup): AdmissionPlugin {
  return {
    name: 'DefaultStorageClass',
    async admit(a) {
      if (a.operation !== 'CREATE' || a.subresource || a.type.group !== '' || a.type.resource !== 'persistentvolumeclaims' || !a.object) return;
      const spec = ((a.object as { spec?: Record<string, unknown> }).spec ??= {}) as { storageClassName?: string };
      if (spec.storageClassName !== undefined) return;
      const defaults = (await classes.list()).filter((c) => c.metadata.annotations?.[defaultClassAnnotation] === 'true');
      const newest = defaults.sort((x, y) => Date.parse(y.metadata.creationTimestamp ?? '') - Date.parse(x.metadata.creationTimestamp ?? ''))[0];
      if (newest) spec.storageClassName = newest.metadata.name;
    },
  };
}
