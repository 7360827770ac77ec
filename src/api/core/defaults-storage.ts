/** Defaults of PersistentVolumes and PersistentVolumeClaims (SetDefaults_PersistentVolume*). */
import { isObj as isPlainObject, type Obj } from './util.js';


export function defaultPersistentVolumeClaimSpec(spec: Obj): void {
  if (!isPlainObject(spec)) return;
  spec.volumeMode ??= 'Filesystem';
}

export function defaultPersistentVolumeClaim(pvc: Obj): void {
  pvc.spec ??= {};
  defaultPersistentVolumeClaimSpec(pvc.spec);
  if (isPlainObject(pvc.status) || pvc.status === undefined) {
    pvc.status ??= {};
    pvc.status.phase ||= 'Pending';
  }
}

export function defaultPersistentVolume(pv: Obj): void {
  pv.spec ??= {};
  const spec = pv.spec;
  spec.persistentVolumeReclaimPolicy ||= 'Retain';
  spec.volumeMode ??= 'Filesystem';
  if (isPlainObject(spec.hostPath)) spec.hostPath.type ??= '';
  if (isPlainObject(spec.iscsi)) spec.iscsi.iscsiInterface ??= 'default';
  if (isPlainObject(spec.rbd)) {
    spec.rbd.pool ??= 'rbd';
    spec.rbd.user ??= 'admin';
    spec.rbd.keyring ??= '/etc/ceph/keyring';
  }
  if (isPlainObject(spec.azureDisk)) {
    spec.azureDisk.cachingMode ??= 'ReadWrite';
    spec.azureDisk.kind ??= 'Shared';
    spec.azureDisk.fsType ??= 'ext4';
    spec.azureDisk.readOnly ??= false;
  }
  if (isPlainObject(spec.scaleIO)) {
    spec.scaleIO.storageMode ??= 'ThinProvisioned';
    spec.scaleIO.fsType ??= 'xfs';
  }
  pv.status ??= {};
  pv.status.phase ||= 'Pending';
}
