/**
 * The node IPAM controller (kube-controller-manager's `nodeipam` with
 * `--allocate-node-cidrs`): every Node without `spec.podCIDR` gets the
 * lowest free range of `--cluster-cidr`, `--node-cidr-mask-size` bits wide
 * (10.42.0.0/16 in /24s by default, as k3s).
 *
 * reconcile(node name): the ranges in use are read from the Nodes in the
 * cache — so allocations survive restarts (they are in the Node objects) and
 * a deleted Node's range is free again — plus the ranges this controller has
 * just written and the cache has not shown yet (so two nodes registering
 * together never get the same one).
 */
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { nodesResource } from '../resources.js';
import { CidrSet, defaultNodeCIDRMaskSize } from './cidr-set.js';

export interface NodeIpamOptions {
  /** The cluster's pod range (`--cluster-cidr`), e.g. 10.42.0.0/16. */
  clusterCIDR: string;
  /** The size of each node's range (`--node-cidr-mask-size`, default 24). */
  nodeCIDRMaskSize?: number;
}

interface IpamNode extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
}

export function nodeIpamController(context: ControllerContext, options: NodeIpamOptions): ControllerSpec {
  const maskSize = options.nodeCIDRMaskSize ?? defaultNodeCIDRMaskSize;
  // Checked now: a bad range fails the controller manager at start, not at the first node.
  new CidrSet(options.clusterCIDR, maskSize);
  const nodeInformer = context.informers.informerFor<IpamNode>(nodesResource);
  const nodes = context.client.resource<IpamNode>(nodesResource);
  const recorder = context.recorder('cidrAllocator');
  /** node name → the range written to it that the cache does not show yet. */
  const written = new Map<string, string>();
  /** Nodes already told CIDRNotAvailable (once each, not on every retry). */
  const toldFull = new Set<string>();

  return {
    name: 'nodeipam',
    for: nodesResource,
    // A node with a range gone (deleted): the nodes still waiting for one try again now, not after their backoff.
    watches: [
      {
        resource: nodesResource,
        map: (object) =>
          (object as IpamNode).spec?.podCIDR && !nodeInformer.lister.get(undefined, object.metadata.name!)
            ? nodeInformer.lister.list().filter((node) => !node.spec?.podCIDR).map((node) => node.metadata.name!)
            : [],
      },
    ],
    async reconcile(key) {
      const node = nodeInformer.lister.get(undefined, key);
      if (!node || node.spec?.podCIDR) {
        written.delete(key);
        toldFull.delete(key);
        return undefined;
      }
      if (node.metadata.deletionTimestamp) return undefined;
      const ranges = new CidrSet(options.clusterCIDR, maskSize);
      for (const other of nodeInformer.lister.list()) if (other.spec?.podCIDR) ranges.occupy(other.spec.podCIDR);
      for (const [name, cidr] of written) if (name !== key) ranges.occupy(cidr);
      const cidr = written.get(key) ?? ranges.allocateNext();
      if (!cidr) {
        if (!toldFull.has(key)) recorder.event(node, 'Normal', 'CIDRNotAvailable', `Node ${key} status is now: CIDRNotAvailable`);
        toldFull.add(key);
        // Retried through the work queue's backoff: a deleted node may free a range.
        throw new Error(`no range of ${options.clusterCIDR} is free for node ${key} (a larger --cluster-cidr holds more nodes)`);
      }
      written.set(key, cidr);
      try {
        await nodes.patch(undefined, key, { spec: { podCIDR: cidr, podCIDRs: [cidr] } }, 'merge');
      } catch (err) {
        written.delete(key);
        throw err;
      }
      context.log({ msg: 'node range allocated', node: key, podCIDR: cidr });
      return undefined;
    },
  };
}
