/**
 * LoadBalancer Services without a cloud, as k3s's ServiceLB does it: every
 * node answers on the service's ports itself (the proxy's rules), and puts
 * its address in the service's `status.loadBalancer.ingress` — the
 * EXTERNAL-IP `kubectl get svc` shows. Services that name a
 * `loadBalancerClass` belong to another implementation and are left alone.
 */
import type { Client } from '../../client/index.js';
import { servicesResource, SharedInformer } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';

interface ServiceObject extends KubeObject {
  spec?: { type?: string; loadBalancerClass?: string };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string; ipMode?: string }[] } };
}

export class ServiceLoadBalancer {
  private readonly informer: SharedInformer<ServiceObject>;

  constructor(
    private readonly client: Client,
    private readonly options: { nodeIP: string; log?: (event: Record<string, unknown>) => void },
  ) {
    this.informer = new SharedInformer<ServiceObject>(client.resource<ServiceObject>(servicesResource), {});
  }

  start(signal: AbortSignal): void {
    const handle = (service: ServiceObject) => void this.report(service);
    this.informer.addEventHandler({ add: handle, update: (_old, service) => handle(service) });
    this.informer.start(signal);
  }

  private async report(service: ServiceObject): Promise<void> {
    if (service.spec?.type !== 'LoadBalancer' || service.spec.loadBalancerClass) return;
    const current = service.status?.loadBalancer?.ingress ?? [];
    if (current.some((entry) => entry.ip === this.options.nodeIP)) return;
    const next = [...current, { ip: this.options.nodeIP, ipMode: 'VIP' }].sort((a, b) => (a.ip ?? '').localeCompare(b.ip ?? ''));
    await this.client
      .resource(servicesResource)
      .patch(service.metadata.namespace, service.metadata.name!, { status: { loadBalancer: { ingress: next } } }, 'merge', { subresource: 'status' })
      .catch((err: Error) => this.options.log?.({ msg: 'load balancer status not written', service: `${service.metadata.namespace}/${service.metadata.name}`, error: err.message }));
  }
}
