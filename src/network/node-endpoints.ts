/**
 * This node's own endpoints of the Services node components answer
 * (kube-dns, kubernetes): an EndpointSlice `<service>-<node>` each, owned
 * by the Node — when the Node is deleted the garbage collector removes
 * them, so no Service keeps sending traffic to a node that is gone.
 *
 * A controller of this node's Node object (the client's framework, so a
 * failed write is retried with backoff) publishes them once the Node
 * exists (the agent registers it after the network starts), and again
 * whenever a slice was removed or changed, or the Node was made anew.
 */
import { Controller, endpointSlicesResource, keyOf, nodesResource, standaloneControllerContext, type InformerFactory, type SharedInformer } from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';
import { endpointSliceInformer } from './endpoint-slices.js';

export interface NodeEndpoint {
  namespace: string;
  service: string;
  address: string;
  ports: { name: string; port: number; protocol: 'TCP' | 'UDP' }[];
}

/** The slice of one node endpoint, owned by the Node. */
export function nodeEndpointSlice(endpoint: NodeEndpoint, node: KubeObject): KubeObject {
  const nodeName = node.metadata.name!;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: `${endpoint.service}-${nodeName}`.slice(0, 253),
      namespace: endpoint.namespace,
      labels: { 'kubernetes.io/service-name': endpoint.service, 'endpointslice.kubernetes.io/managed-by': 'skiff-node' },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid! }],
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: [endpoint.address], conditions: { ready: true, serving: true, terminating: false }, nodeName }],
    ports: endpoint.ports,
  } as unknown as KubeObject;
}

/** Whether `actual` holds everything `wanted` says (fields the apiserver adds do not count). */
function holds(actual: unknown, wanted: unknown): boolean {
  if (Array.isArray(wanted)) return Array.isArray(actual) && actual.length === wanted.length && wanted.every((w, i) => holds(actual[i], w));
  if (wanted && typeof wanted === 'object') {
    if (!actual || typeof actual !== 'object') return false;
    return Object.entries(wanted).every(([k, v]) => holds((actual as Record<string, unknown>)[k], v));
  }
  return actual === wanted;
}

export class NodeEndpoints {
  /** slice key (`namespace/name` without the node) → what to publish. */
  private readonly wanted = new Map<string, NodeEndpoint>();
  private readonly nodes: SharedInformer;
  private readonly slices: SharedInformer;
  private readonly controller: Controller;

  constructor(
    private readonly informers: InformerFactory,
    private readonly nodeName: string,
    log?: (event: Record<string, unknown>) => void,
  ) {
    this.nodes = informers.informerFor(nodesResource);
    this.slices = endpointSliceInformer(informers);
    const mine = (slice: KubeObject) => [...this.wanted.values()].some((e) => keyOf(slice) === `${e.namespace}/${e.service}-${nodeName}`);
    this.controller = new Controller(
      {
        name: 'node-endpoints',
        for: nodesResource,
        watches: [{ resource: endpointSlicesResource, map: (slice) => (mine(slice) ? [nodeName] : []) }],
        reconcile: (key) => this.reconcile(key),
      },
      standaloneControllerContext(informers, log),
    );
  }

  /** Publishes (and keeps) this node's endpoint of a Service. */
  publish(endpoint: NodeEndpoint): void {
    this.wanted.set(`${endpoint.namespace}/${endpoint.service}`, endpoint);
    this.controller.queue.add(this.nodeName);
  }

  start(signal: AbortSignal): void {
    void this.controller.run(signal);
  }

  /** Failed writes so far (tests). */
  get errors(): number {
    return this.controller.stats.errors;
  }

  private async reconcile(key: string): Promise<void> {
    if (key !== this.nodeName) return;
    const node = this.nodes.store.get(this.nodeName);
    if (!node) return; // not registered yet: its arrival brings us back
    const slices = this.informers.client.resource(endpointSlicesResource);
    for (const endpoint of this.wanted.values()) {
      const slice = nodeEndpointSlice(endpoint, node);
      const existing = this.slices.store.get(keyOf(slice));
      if (existing && holds(existing, slice)) continue;
      if (!existing) {
        await slices.create(slice).catch((err) => {
          // Our cache is behind: the slice's event brings us back to compare.
          if (!isStatusError(err, 'AlreadyExists')) throw err;
        });
      } else {
        await slices.update({ ...slice, metadata: { ...slice.metadata, resourceVersion: existing.metadata.resourceVersion } } as KubeObject);
      }
    }
  }
}
