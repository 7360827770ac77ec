/**
 * `status.loadBalancer.ingress` as the node components keep it (ServiceLB
 * for Services, the Ingress controller for Ingresses): each node puts its
 * own address there, and takes out the addresses of nodes that are gone.
 * Every write is a reconcile of one object through the client's controller
 * framework — its work queue retries a failed write (a 409, a 500) with
 * per-key backoff, and a Node's deletion re-checks every object.
 */
import { Controller, nodesResource, standaloneControllerContext, type InformerFactory, type ResourceRef, type SharedInformer } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';

export interface LoadBalancerIngress {
  ip?: string;
  hostname?: string;
  ipMode?: string;
}

interface NodeObject extends KubeObject {
  status?: { addresses?: { type: string; address: string }[] };
}

/** Every address of every Node the cache holds. */
export function nodeAddresses(nodes: SharedInformer<NodeObject>): Set<string> {
  return new Set(nodes.store.list().flatMap((node) => (node.status?.addresses ?? []).map((a) => a.address)));
}

/**
 * The entries to write, or undefined when `current` is right: ours added;
 * entries with an address no Node has any more left out — only once our own
 * Node is known, so a cache that has not seen the nodes yet removes nothing.
 */
export function nextLoadBalancerIngress(current: LoadBalancerIngress[], own: LoadBalancerIngress, addresses: Set<string>): LoadBalancerIngress[] | undefined {
  const pruning = own.ip !== undefined && addresses.has(own.ip);
  const kept = current.filter((entry) => !pruning || !entry.ip || entry.ip === own.ip || addresses.has(entry.ip));
  const next = kept.some((entry) => entry.ip === own.ip) ? kept : [...kept, own];
  next.sort((a, b) => (a.ip ?? a.hostname ?? '').localeCompare(b.ip ?? b.hostname ?? ''));
  return JSON.stringify(next) === JSON.stringify(current) ? undefined : next;
}

/**
 * A controller of one kind's load balancer status on this node: `for` the
 * kind, watching Nodes (a node gone re-checks every object), with
 * `reconcile` writing through the client. Built on the client's framework
 * with the node's informers.
 */
export function loadBalancerStatusController(
  informers: InformerFactory,
  options: { name: string; for: ResourceRef; reconcile(key: string): Promise<void>; log?: (event: Record<string, unknown>) => void },
): Controller {
  const objects = informers.informerFor(options.for);
  return new Controller(
    {
      name: options.name,
      for: options.for,
      watches: [{ resource: nodesResource, map: () => objects.store.keys() }],
      reconcile: options.reconcile,
    },
    standaloneControllerContext(informers, options.log),
  );
}
