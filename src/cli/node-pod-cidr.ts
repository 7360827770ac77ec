/**
 * A node's pod range before its pod network is set up: with `--pod-cidr`
 * the node says it itself; otherwise, as a kubelet without one, the agent
 * registers its Node and waits for the node IPAM controller to write
 * `spec.podCIDR` (a restarted node finds its range already there).
 */
import { Client, SharedInformer, type ClientConfig } from '../client/index.js';
import { nodesResource } from '../client/builtin-resources.js';
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';
import { nodeObject, type NodeIdentity } from '../node/node-status.js';
import { whenAborted } from '../machinery/abort.js';

interface NodeWithRange extends KubeObject {
  spec?: { podCIDR?: string };
}

/** Resolves with the Node's spec.podCIDR once it has one (registering the Node if it does not exist); rejects when the signal aborts. */
export async function waitForNodePodCIDR(config: ClientConfig, identity: NodeIdentity, signal: AbortSignal, log: (event: Record<string, unknown>) => void): Promise<string> {
  const client = new Client({ ...config, userAgent: `skiff-agent/${identity.name}` });
  const watching = new AbortController();
  const stop = () => watching.abort();
  whenAborted(signal, stop);
  try {
    const nodes = client.resource<NodeWithRange>(nodesResource);
    const informer = new SharedInformer<NodeWithRange>(nodes, { fieldSelector: `metadata.name=${identity.name}` });
    const found = new Promise<string>((resolve, reject) => {
      const check = (node: NodeWithRange) => node.spec?.podCIDR && resolve(node.spec.podCIDR);
      informer.addEventHandler({ add: check, update: (_old, node) => check(node) });
      whenAborted(watching.signal, () => reject(new Error('stopped while waiting for the node\'s pod range')));
    });
    void found.catch(() => {}); // (awaited below; a failed registration must not leave it unhandled)
    informer.start(watching.signal);
    await informer.waitForSync(watching.signal);
    if (!signal.aborted && !informer.lister.get(undefined, identity.name)) {
      await nodes.create(nodeObject(identity)).catch((err: unknown) => {
        if (!isStatusError(err, 'AlreadyExists')) throw err;
      });
    }
    if (!informer.lister.get(undefined, identity.name)?.spec?.podCIDR) {
      log({ msg: 'waiting for the node\'s pod range (spec.podCIDR) from the node IPAM controller; --pod-cidr gives one', node: identity.name });
    }
    return await found;
  } finally {
    signal.removeEventListener('abort', stop);
    watching.abort();
    client.close();
  }
}
