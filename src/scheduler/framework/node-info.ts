/**
 * What the scheduler knows about one node: the Node, the pods on it (bound
 * or assumed), and running totals — requested resources, host ports in use,
 * pods with (anti-)affinity — kept current as pods come and go, so a Filter
 * is a few comparisons, not a walk over pods.
 */
import { addInto, emptyResources, nodeAllocatable, podRequests, podRequestsForScoring, type Resources } from '../resources.js';
import type { Node, Pod } from '../types.js';

let nextGeneration = 1;
/** A global counter: every change to any NodeInfo takes the next value (snapshots copy only what changed). */
export function newGeneration(): number {
  return nextGeneration++;
}

/** A pod with what the scheduler computes from it once. */
export class PodInfo {
  readonly requests: Resources;
  readonly scoringRequests: { milliCPU: number; memory: number };
  readonly hostPorts: { port: number; protocol: string; ip: string }[];

  constructor(readonly pod: Pod) {
    this.requests = podRequests(pod);
    const affinity = pod.spec?.affinity;
    this.hasAffinity = Boolean(affinity?.podAffinity || affinity?.podAntiAffinity);
    this.hasRequiredAntiAffinity = Boolean(affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length);
    this.scoringRequests = podRequestsForScoring(pod);
    this.hostPorts = [];
    for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
      for (const port of container.ports ?? []) {
        if (port.hostPort) this.hostPorts.push({ port: port.hostPort, protocol: port.protocol ?? 'TCP', ip: port.hostIP || '0.0.0.0' });
      }
    }
  }

  get key(): string {
    return `${this.pod.metadata.namespace}/${this.pod.metadata.name}`;
  }

  /** Whether the pod has any pod (anti-)affinity terms (InterPodAffinity looks only at such pods). */
  readonly hasAffinity: boolean;
  readonly hasRequiredAntiAffinity: boolean;
}

export class NodeInfo {
  node: Node | undefined;
  allocatable: Resources = emptyResources();
  /** Pods on the node, by namespace/name. */
  readonly pods = new Map<string, PodInfo>();
  requested: Resources = emptyResources();
  nonZeroRequested = { milliCPU: 0, memory: 0 };
  /** "protocol/port" → host IPs using it. */
  usedPorts = new Map<string, Set<string>>();
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;
  generation = newGeneration();

  constructor(node?: Node) {
    if (node) this.setNode(node);
  }

  get name(): string {
    return this.node?.metadata.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.allocatable = nodeAllocatable(node);
    this.generation = newGeneration();
  }

  addPod(info: PodInfo): void {
    this.pods.set(info.key, info);
    addInto(this.requested, info.requests);
    this.requested.pods++;
    this.nonZeroRequested.milliCPU += info.scoringRequests.milliCPU;
    this.nonZeroRequested.memory += info.scoringRequests.memory;
    for (const { port, protocol, ip } of info.hostPorts) {
      const key = `${protocol}/${port}`;
      let ips = this.usedPorts.get(key);
      if (!ips) this.usedPorts.set(key, (ips = new Set()));
      ips.add(ip);
    }
    if (info.hasAffinity) this.podsWithAffinity++;
    if (info.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity++;
    this.generation = newGeneration();
  }

  removePod(key: string): boolean {
    const info = this.pods.get(key);
    if (!info) return false;
    this.pods.delete(key);
    addInto(this.requested, info.requests, -1);
    this.requested.pods--;
    this.nonZeroRequested.milliCPU -= info.scoringRequests.milliCPU;
    this.nonZeroRequested.memory -= info.scoringRequests.memory;
    for (const { port, protocol, ip } of info.hostPorts) this.usedPorts.get(`${protocol}/${port}`)?.delete(ip);
    if (info.hasAffinity) this.podsWithAffinity--;
    if (info.hasRequiredAntiAffinity) this.podsWithRequiredAntiAffinity--;
    this.generation = newGeneration();
    return true;
  }

  /** A deep-enough copy for snapshots and preemption's what-if runs. */
  clone(): NodeInfo {
    const copy = new NodeInfo();
    copy.node = this.node;
    copy.allocatable = this.allocatable;
    for (const [key, info] of this.pods) copy.pods.set(key, info);
    copy.requested = { ...this.requested, scalar: new Map(this.requested.scalar) };
    copy.nonZeroRequested = { ...this.nonZeroRequested };
    copy.usedPorts = new Map([...this.usedPorts].map(([key, ips]) => [key, new Set(ips)]));
    copy.podsWithAffinity = this.podsWithAffinity;
    copy.podsWithRequiredAntiAffinity = this.podsWithRequiredAntiAffinity;
    copy.generation = this.generation;
    return copy;
  }
}
