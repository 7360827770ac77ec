/**
 * The local-path provisioner (as k3s ships one): PersistentVolumeClaims of
 * the `local-path` StorageClass become directories on the node that their
 * first pod is scheduled to.
 *
 *   scheduler (VolumeBinding) marks the claim with
 *     volume.kubernetes.io/selected-node: <this node>
 *   → this agent creates `DIR/storage/pvc-<uid>_<namespace>_<name>`, a
 *     PersistentVolume for it (hostPath, pinned to this node by node
 *     affinity), and binds the two (there is no separate volume binder yet)
 *   → the pod's volume setup finds the claim Bound and mounts the directory.
 *
 * When the claim is deleted, a volume with reclaimPolicy Delete goes too,
 * directory and all.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Client, ResourceClient } from '../client/index.js';
import { persistentVolumeClaimsResource, persistentVolumesResource, SharedInformer, storageClassesResource } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';

export const localPathProvisioner = 'skiff.dev/local-path';
const selectedNode = 'volume.kubernetes.io/selected-node';
const provisionedBy = 'pv.kubernetes.io/provisioned-by';

export const localPathStorageClass: KubeObject = {
  apiVersion: 'storage.k8s.io/v1',
  kind: 'StorageClass',
  metadata: { name: 'local-path', annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' } },
  provisioner: localPathProvisioner,
  reclaimPolicy: 'Delete',
  volumeBindingMode: 'WaitForFirstConsumer',
} as KubeObject;

interface Claim extends KubeObject {
  spec?: { storageClassName?: string; volumeName?: string; accessModes?: string[]; resources?: { requests?: { storage?: string } }; volumeMode?: string };
  status?: { phase?: string };
}

interface Volume extends KubeObject {
  spec?: { claimRef?: { namespace?: string; name?: string; uid?: string }; hostPath?: { path: string }; persistentVolumeReclaimPolicy?: string };
}

export class LocalPathProvisioner {
  private readonly claims: ResourceClient<Claim>;
  private readonly volumes: ResourceClient<Volume>;
  private readonly busy = new Set<string>();

  constructor(
    private readonly client: Client,
    private readonly nodeName: string,
    private readonly storageDir: string,
    private readonly log: (event: Record<string, unknown>) => void,
  ) {
    this.claims = client.resource<Claim>(persistentVolumeClaimsResource);
    this.volumes = client.resource<Volume>(persistentVolumesResource);
  }

  run(signal: AbortSignal): void {
    const claims = new SharedInformer<Claim>(this.claims, {});
    const volumes = new SharedInformer<Volume>(this.volumes, {});
    const handle = (claim: Claim) => void this.provision(claim).catch((err) => this.log({ msg: 'provisioning failed', claim: `${claim.metadata.namespace}/${claim.metadata.name}`, error: (err as Error).message }));
    claims.addEventHandler({ add: handle, update: (_old, claim) => handle(claim) });
    // A claim gone: its volume (ours, on this node, Delete policy) goes too.
    const release = (volume: Volume) => void this.release(volume, claims).catch(() => {});
    claims.addEventHandler({ delete: (claim) => volumes.store.list().filter((v) => v.spec?.claimRef?.uid === claim.metadata.uid).forEach(release) });
    volumes.addEventHandler({ add: (volume) => void claims.waitForSync(signal).then(() => release(volume)) });
    claims.start(signal);
    volumes.start(signal);
  }

  private async provision(claim: Claim): Promise<void> {
    const key = claim.metadata.uid!;
    if (claim.spec?.volumeName || claim.metadata.deletionTimestamp || claim.metadata.annotations?.[selectedNode] !== this.nodeName || this.busy.has(key)) return;
    const className = claim.spec?.storageClassName;
    if (!className) return;
    const storageClass = (await this.client.resource(storageClassesResource).find(undefined, className)) as (KubeObject & { provisioner?: string; reclaimPolicy?: string }) | undefined;
    if (storageClass?.provisioner !== localPathProvisioner) return;
    this.busy.add(key);
    try {
      const name = `pvc-${claim.metadata.uid}`;
      const path = join(this.storageDir, `${name}_${claim.metadata.namespace}_${claim.metadata.name}`);
      mkdirSync(path, { recursive: true, mode: 0o777 });
      const volume = {
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name, annotations: { [provisionedBy]: localPathProvisioner } },
        spec: {
          capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' },
          accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'],
          volumeMode: claim.spec?.volumeMode ?? 'Filesystem',
          persistentVolumeReclaimPolicy: storageClass.reclaimPolicy ?? 'Delete',
          storageClassName: className,
          hostPath: { path, type: 'DirectoryOrCreate' },
          claimRef: { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid },
          nodeAffinity: { required: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/hostname', operator: 'In', values: [this.nodeName] }] }] } },
        },
      } as Volume;
      await this.volumes.create(volume).catch((err) => {
        if (!isStatusError(err, 'AlreadyExists')) throw err;
      });
      await this.volumes.patch(undefined, name, { status: { phase: 'Bound' } }, 'merge', { subresource: 'status' });
      await this.claims.patch(claim.metadata.namespace, claim.metadata.name!, { spec: { volumeName: name }, metadata: { annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' } } }, 'merge');
      await this.claims.patch(
        claim.metadata.namespace,
        claim.metadata.name!,
        { status: { phase: 'Bound', accessModes: claim.spec?.accessModes ?? ['ReadWriteOnce'], capacity: { storage: claim.spec?.resources?.requests?.storage ?? '1Gi' } } },
        'merge',
        { subresource: 'status' },
      );
      this.log({ msg: 'provisioned a local-path volume', claim: `${claim.metadata.namespace}/${claim.metadata.name}`, path });
    } finally {
      this.busy.delete(key);
    }
  }

  /** Deletes a volume we provisioned whose claim is gone, and its directory. */
  private async release(volume: Volume, claims: SharedInformer<Claim>): Promise<void> {
    if (volume.metadata.annotations?.[provisionedBy] !== localPathProvisioner || volume.spec?.persistentVolumeReclaimPolicy !== 'Delete') return;
    const path = volume.spec?.hostPath?.path;
    if (!path?.startsWith(this.storageDir)) return;
    const ref = volume.spec?.claimRef;
    if (claims.store.list().some((c) => c.metadata.uid === ref?.uid)) return;
    rmSync(path, { recursive: true, force: true });
    await this.volumes.deleteIfExists(undefined, volume.metadata.name!);
    this.log({ msg: 'deleted a released local-path volume', volume: volume.metadata.name, path });
  }
}
