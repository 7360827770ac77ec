/**
 * LoadBalancer Services without a cloud, as k3s's ServiceLB does it: every
 * node answers on the service's ports itself (the proxy's rules), and puts
 * its address in the service's `status.loadBalancer.ingress` — the
 * EXTERNAL-IP `kubectl get svc` shows —, taking out the addresses of nodes
 * that are gone. Services that name a `loadBalancerClass` belong to another
 * implementation and are left alone. A failed write is retried with backoff
 * (load-balancer-status.ts).
 */
import type { InformerFactory, SharedInformer } from '../../client/index.js';
import { nodesResource, servicesResource } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import type { Controller } from '../../client/index.js';
import { loadBalancerStatusController, nextLoadBalancerIngress, nodeAddresses, type LoadBalancerIngress } from '../load-balancer-status.js';

interface ServiceObject extends KubeObject {
  spec?: { type?: string; loadBalancerClass?: string };
  status?: { loadBalancer?: { ingress?: LoadBalancerIngress[] } };
}

export class ServiceLoadBalancer {
  private readonly services: SharedInformer<ServiceObject>;
  private readonly nodes: SharedInformer;
  private readonly controller: Controller;

  constructor(
    private readonly informers: InformerFactory,
    private readonly options: { nodeIP: string; log?: (event: Record<string, unknown>) => void },
  ) {
    this.services = informers.informerFor<ServiceObject>(servicesResource);
    this.nodes = informers.informerFor(nodesResource);
    this.controller = loadBalancerStatusController(informers, { name: 'service-lb', for: servicesResource, reconcile: (key) => this.reconcile(key), log: options.log });
  }

  /** Failed writes so far (tests). */
  get errors(): number {
    return this.controller.stats.errors;
  }

  start(signal: AbortSignal): void {
    this.services.start(signal);
    this.nodes.start(signal);
    void this.controller.run(signal);
  }

  private async reconcile(key: string): Promise<void> {
    const service = this.services.store.get(key);
    if (!service || service.spec?.type !== 'LoadBalancer' || service.spec.loadBalancerClass) return;
    const next = nextLoadBalancerIngress(service.status?.loadBalancer?.ingress ?? [], { ip: this.options.nodeIP, ipMode: 'VIP' }, nodeAddresses(this.nodes));
    if (!next) return;
    // The version we computed from: a write racing another node's is a 409, retried from the newer copy.
    const patch = { metadata: { resourceVersion: service.metadata.resourceVersion }, status: { loadBalancer: { ingress: next } } };
    await this.informers.client.resource(servicesResource).patch(service.metadata.namespace, service.metadata.name!, patch, 'merge', { subresource: 'status' });
  }
}
