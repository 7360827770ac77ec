/**
 * VolumeBinding: a pod's PersistentVolumeClaims must be satisfiable on the
 * node it goes to.
 *   - PreFilter: every claim exists and is not being deleted; a claim not
 *     yet bound must be of a class with `volumeBindingMode:
 *     WaitForFirstConsumer` (Immediate claims are bound by the volume
 *     controller before scheduling).
 *   - Filter: a bound claim's volume must allow the node (its nodeAffinity);
 *     an unbound claim needs an available volume of its class, big enough,
 *     with the access modes, allowing the node — or a class whose
 *     provisioner can create one there (the local-path provisioner creates
 *     it on the node).
 *   - Reserve/Unreserve: the chosen volumes are held for this pod, so two
 *     pods scheduled back to back do not pick the same one.
 *   - PreBind: binds chosen volumes to their claims, and marks claims to
 *     provision with `volume.kubernetes.io/selected-node`.
 */
import { nodeSelectorTermMatches, type NodeSelectorTerm } from '../../api/core/index.js';
import { persistentVolumeClaimsResource, persistentVolumesResource } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { tryParseQuantity } from '../../machinery/quantity.js';
import { StateKey } from '../framework/cycle-state.js';
import type { EnqueueExtensions, FilterPlugin, Handle, PreBindPlugin, PreFilterPlugin, ReservePlugin } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { error, skip, unresolvable, unschedulable } from '../framework/status.js';
import type { Pod } from '../types.js';

export const name = 'VolumeBinding';
export const reasonNodeConflict = 'node(s) had volume node affinity conflict';
export const reasonBindConflict = "node(s) didn't find available persistent volumes to bind";
export const selectedNodeAnnotation = 'volume.kubernetes.io/selected-node';
const noProvisioner = 'kubernetes.io/no-provisioner';

interface Claim extends KubeObject {
  spec?: { storageClassName?: string; volumeName?: string; accessModes?: string[]; resources?: { requests?: { storage?: string } } };
  status?: { phase?: string };
}

interface Volume extends KubeObject {
  spec?: {
    storageClassName?: string;
    capacity?: { storage?: string };
    accessModes?: string[];
    claimRef?: { namespace?: string; name?: string; uid?: string };
    nodeAffinity?: { required?: { nodeSelectorTerms?: NodeSelectorTerm[] } };
  };
  status?: { phase?: string };
}

interface StorageClass extends KubeObject {
  provisioner?: string;
  volumeBindingMode?: string;
}

interface PodClaims {
  bound: { claim: Claim; volume: Volume | undefined }[];
  /** Unbound claims waiting for their first consumer. */
  waiting: { claim: Claim; storageClass: StorageClass }[];
}

/** What the chosen node needs done for a pod: volumes to bind, claims to provision. */
interface Decision {
  node: string;
  bindings: { claim: Claim; volume: Volume }[];
  provision: Claim[];
}

const claimsKey = new StateKey<PodClaims>(`PreFilter${name}`);
const decisionKey = new StateKey<Decision>(`Reserve${name}`);

function bytes(text: string | undefined): number {
  const q = text ? tryParseQuantity(text) : undefined;
  return q ? Number(q.nanos / 1_000_000_000n) : 0;
}

function volumeAllows(volume: Volume | undefined, nodeInfo: NodeInfo): boolean {
  const terms = volume?.spec?.nodeAffinity?.required?.nodeSelectorTerms;
  if (!terms?.length || !nodeInfo.node) return true;
  return terms.some((term) => nodeSelectorTermMatches(term, nodeInfo.node!));
}

function claimKey(claim: Claim): string {
  return `${claim.metadata.namespace}/${claim.metadata.name}`;
}

export function volumeBinding(_args: unknown, handle: Handle): PreFilterPlugin & FilterPlugin & ReservePlugin & PreBindPlugin & EnqueueExtensions {
  /** Volumes held by pods between Reserve and their binding. */
  const held = new Map<string, string>();

  /** The smallest available volume that satisfies the claim on the node (as upstream's FindMatchingVolume). */
  function findVolume(claim: Claim, storageClass: string, nodeInfo: NodeInfo, taken: Set<string>): Volume | undefined {
    const wanted = bytes(claim.spec?.resources?.requests?.storage);
    const modes = claim.spec?.accessModes ?? [];
    let best: Volume | undefined;
    for (const volume of handle.storage.volumes.list() as Volume[]) {
      const name = volume.metadata.name!;
      const ref = volume.spec?.claimRef;
      const available = !ref || (ref.namespace === claim.metadata.namespace && ref.name === claim.metadata.name);
      if (!available || taken.has(name) || (held.has(name) && held.get(name) !== claimKey(claim)) || volume.metadata.deletionTimestamp) continue;
      if ((volume.spec?.storageClassName ?? '') !== storageClass) continue;
      if (bytes(volume.spec?.capacity?.storage) < wanted) continue;
      if (!modes.every((m) => volume.spec?.accessModes?.includes(m))) continue;
      if (!volumeAllows(volume, nodeInfo)) continue;
      if (!best || bytes(volume.spec?.capacity?.storage) < bytes(best.spec?.capacity?.storage)) best = volume;
    }
    return best;
  }

  /** What binding the pod's waiting claims on this node takes; undefined when it cannot be done. */
  function decide(claims: PodClaims, nodeInfo: NodeInfo): Decision | undefined {
    const decision: Decision = { node: nodeInfo.name, bindings: [], provision: [] };
    const taken = new Set<string>();
    for (const { claim, storageClass } of claims.waiting) {
      const volume = findVolume(claim, storageClass.metadata.name!, nodeInfo, taken);
      if (volume) {
        taken.add(volume.metadata.name!);
        decision.bindings.push({ claim, volume });
      } else if (storageClass.provisioner && storageClass.provisioner !== noProvisioner) {
        decision.provision.push(claim);
      } else {
        return undefined;
      }
    }
    return decision;
  }

  return {
    name,
    preFilter(state, pod) {
      const volumes = (pod.spec?.volumes ?? []).filter((v) => v.persistentVolumeClaim?.claimName);
      if (!volumes.length) return skip();
      const claims: PodClaims = { bound: [], waiting: [] };
      for (const volume of volumes) {
        const claimName = volume.persistentVolumeClaim!.claimName;
        const claim = handle.storage.claims.get(pod.metadata.namespace, claimName) as Claim | undefined;
        if (!claim) return unresolvable(`persistentvolumeclaim "${claimName}" not found`);
        if (claim.metadata.deletionTimestamp) return unresolvable(`persistentvolumeclaim "${claimName}" is being deleted`);
        if (claim.spec?.volumeName) {
          claims.bound.push({ claim, volume: handle.storage.volumes.get(undefined, claim.spec.volumeName) as Volume | undefined });
          continue;
        }
        const storageClass = handle.storage.classes.get(undefined, claim.spec?.storageClassName ?? '') as StorageClass | undefined;
        if (!storageClass || (storageClass.volumeBindingMode ?? 'Immediate') !== 'WaitForFirstConsumer') {
          return unresolvable('pod has unbound immediate PersistentVolumeClaims');
        }
        claims.waiting.push({ claim, storageClass });
      }
      state.write(claimsKey, claims);
      return undefined;
    },
    filter(state, _pod, nodeInfo) {
      const claims = state.read(claimsKey);
      if (!claims) return undefined;
      if (claims.bound.some(({ volume }) => !volumeAllows(volume, nodeInfo))) return unresolvable(reasonNodeConflict);
      if (claims.waiting.length && !decide(claims, nodeInfo)) return unschedulable(reasonBindConflict);
      return undefined;
    },
    reserve(state, _pod, nodeName) {
      const claims = state.read(claimsKey);
      const nodeInfo = handle.snapshot.get(nodeName);
      if (!claims?.waiting.length || !nodeInfo) return undefined;
      const decision = decide(claims, nodeInfo);
      if (!decision) return unschedulable(reasonBindConflict);
      for (const { claim, volume } of decision.bindings) held.set(volume.metadata.name!, claimKey(claim));
      state.write(decisionKey, decision);
      return undefined;
    },
    unreserve(state) {
      for (const { volume } of state.read(decisionKey)?.bindings ?? []) held.delete(volume.metadata.name!);
    },
    async preBind(state) {
      const decision = state.read(decisionKey);
      if (!decision) return undefined;
      const claims = handle.client.resource<Claim>(persistentVolumeClaimsResource);
      const volumes = handle.client.resource<Volume>(persistentVolumesResource);
      try {
        for (const { claim, volume } of decision.bindings) {
          // What the volume controller does once the scheduler has chosen: point each at the other.
          const claimRef = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', namespace: claim.metadata.namespace, name: claim.metadata.name, uid: claim.metadata.uid };
          await volumes.patch(undefined, volume.metadata.name!, { spec: { claimRef }, metadata: { annotations: { 'pv.kubernetes.io/bound-by-controller': 'yes' } } }, 'merge');
          await volumes.patch(undefined, volume.metadata.name!, { status: { phase: 'Bound' } }, 'merge', { subresource: 'status' });
          await claims.patch(claim.metadata.namespace, claim.metadata.name!, { spec: { volumeName: volume.metadata.name }, metadata: { annotations: { 'pv.kubernetes.io/bind-completed': 'yes', 'pv.kubernetes.io/bound-by-controller': 'yes' } } }, 'merge');
          await claims.patch(
            claim.metadata.namespace,
            claim.metadata.name!,
            { status: { phase: 'Bound', accessModes: volume.spec?.accessModes, capacity: volume.spec?.capacity } },
            'merge',
            { subresource: 'status' },
          );
          held.delete(volume.metadata.name!);
        }
        for (const claim of decision.provision) {
          await claims.patch(claim.metadata.namespace, claim.metadata.name!, { metadata: { annotations: { [selectedNodeAnnotation]: decision.node } } }, 'merge');
        }
      } catch (err) {
        return error(`binding volumes: ${(err as Error).message}`);
      }
      return undefined;
    },
    eventsToRegister: () => ['PvcAdd', 'PvcUpdate', 'PvAdd', 'PvUpdate', 'StorageClassAdd', 'NodeAdd', 'NodeUpdate'],
  };
}
