/**
 * The scheduler's cache: every node with the pods on it — pods the API says
 * are bound, and pods the scheduler has *assumed* onto a node but whose
 * binding is still on its way. Assuming lets the next pod be scheduled at
 * once, counting the resources the previous one takes, without waiting for
 * the API round trip; the informer's view of the bound pod later confirms
 * it, or a failed binding forgets it.
 *
 * It also serves as the snapshot plugins read: JavaScript runs one
 * scheduling cycle at a time, so nothing changes under a cycle.
 */
import type { Snapshot } from './framework/interface.js';
import { NodeInfo, PodInfo } from './framework/node-info.js';
import type { Node, Pod } from './types.js';

const keyOf = (pod: Pod): string => `${pod.metadata.namespace}/${pod.metadata.name}`;

function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

export class SchedulerCache implements Snapshot {
  private readonly nodes = new Map<string, NodeInfo>();
  /** Where each known pod is: pod key → node name. */
  private readonly podNodes = new Map<string, string>();
  private readonly assumed = new Set<string>();
  private nodeList: NodeInfo[] | undefined;

  /** Nodes known from the API (a NodeInfo may exist for pods on a node not seen yet). */
  list(): NodeInfo[] {
    if (!this.nodeList) this.nodeList = [...this.nodes.values()].filter((info) => info.node);
    return this.nodeList;
  }

  get(name: string): NodeInfo | undefined {
    const info = this.nodes.get(name);
    return info?.node ? info : undefined;
  }

  havePodsWithAffinity(): NodeInfo[] {
    return this.list().filter((info) => info.podsWithAffinity > 0);
  }

  havePodsWithRequiredAntiAffinity(): NodeInfo[] {
    return this.list().filter((info) => info.podsWithRequiredAntiAffinity > 0);
  }

  private infoFor(nodeName: string): NodeInfo {
    let info = this.nodes.get(nodeName);
    if (!info) {
      this.nodes.set(nodeName, (info = new NodeInfo()));
      this.nodeList = undefined;
    }
    return info;
  }

  addNode(node: Node): void {
    const info = this.infoFor(node.metadata.name!);
    if (!info.node) this.nodeList = undefined;
    info.setNode(node);
  }

  updateNode(node: Node): void {
    this.addNode(node);
  }

  removeNode(node: Node): void {
    const info = this.nodes.get(node.metadata.name!);
    if (!info) return;
    info.node = undefined;
    this.nodeList = undefined;
    // Keep the entry while pods still point at it; they are removed as their deletions arrive.
    if (info.pods.size === 0) this.nodes.delete(node.metadata.name!);
  }

  /** A pod the API reports on a node (bound); confirms an assumed one. */
  addPod(pod: Pod): void {
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) return;
    const key = keyOf(pod);
    if (isTerminal(pod)) {
      this.removePod(pod);
      return;
    }
    const previous = this.podNodes.get(key);
    if (previous) this.nodes.get(previous)?.removePod(key);
    this.assumed.delete(key);
    this.infoFor(nodeName).addPod(new PodInfo(pod));
    this.podNodes.set(key, nodeName);
  }

  updatePod(pod: Pod): void {
    this.addPod(pod);
  }

  removePod(pod: Pod): void {
    const key = keyOf(pod);
    const nodeName = this.podNodes.get(key);
    if (nodeName === undefined) return;
    const info = this.nodes.get(nodeName);
    info?.removePod(key);
    this.podNodes.delete(key);
    this.assumed.delete(key);
    if (info && !info.node && info.pods.size === 0) this.nodes.delete(nodeName);
  }

  /** Counts the pod on the node before it is bound. */
  assumePod(pod: Pod, nodeName: string): Pod {
    const assumed: Pod = { ...pod, spec: { ...pod.spec, nodeName } };
    const key = keyOf(pod);
    this.infoFor(nodeName).addPod(new PodInfo(assumed));
    this.podNodes.set(key, nodeName);
    this.assumed.add(key);
    return assumed;
  }

  /** The binding failed: the pod is not on the node after all. */
  forgetPod(pod: Pod): void {
    const key = keyOf(pod);
    if (!this.assumed.has(key)) return;
    this.removePod(pod);
  }

  isAssumed(pod: Pod): boolean {
    return this.assumed.has(keyOf(pod));
  }

  get podCount(): number {
    return this.podNodes.size;
  }
}
