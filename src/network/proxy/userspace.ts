/**
 * The service proxy for ordinary users, who cannot program nftables: TCP
 * listeners in this process that pass each connection to a ready endpoint
 * (at random).
 *
 *   NodePort            0.0.0.0:<nodePort>
 *   LoadBalancer        0.0.0.0:<port> (and its nodePort)
 *   ClusterIP           127.<b>.<c>.<d>:<port> for ClusterIP 10.<b>.<c>.<d> —
 *                       the ClusterIP itself cannot be bound without root,
 *                       so host processes use its loopback twin
 *
 * What it cannot do, it says once in the log: ports below 1024 (not
 * allowed to ordinary users), UDP, traffic policies and session affinity.
 */
import { createServer, connect, type Server } from 'node:net';
import type { InformerFactory, SharedInformer } from '../../client/index.js';
import { servicesResource } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { byService, endpointSliceInformer, readyEndpoints, type SliceObject } from '../endpoint-slices.js';
import { BatchedWork, followInformers } from '../batched.js';

interface ServiceObject extends KubeObject {
  spec?: { type?: string; clusterIP?: string; ports?: { name?: string; port: number; protocol?: string; nodePort?: number }[] };
}

/** The loopback address standing in for a ClusterIP (10.43.0.1 → 127.43.0.1). */
export function loopbackTwin(clusterIP: string): string | undefined {
  const parts = clusterIP.split('.');
  return parts.length === 4 ? `127.${parts[1]}.${parts[2]}.${parts[3]}` : undefined;
}

export class UserspaceProxy {
  private readonly services: SharedInformer<ServiceObject>;
  private readonly slices: SharedInformer<SliceObject>;
  /** `address:port` → its listener and where it leads. */
  private readonly listeners = new Map<string, { server: Server; service: string; portName: string }>();
  private readonly told = new Set<string>();
  private readonly work: BatchedWork;

  constructor(
    informers: InformerFactory,
    private readonly options: { log?: (event: Record<string, unknown>) => void },
  ) {
    this.services = informers.informerFor<ServiceObject>(servicesResource);
    this.slices = endpointSliceInformer<SliceObject>(informers);
    this.work = new BatchedWork(() => this.sync(), (err) => this.options.log?.({ msg: 'user-space proxy failed', error: err.message }));
  }

  async start(signal: AbortSignal): Promise<void> {
    await followInformers([this.services, this.slices] as SharedInformer<KubeObject>[], this.work, signal);
    this.options.log?.({
      msg: 'user-space service proxy: NodePorts and load balancer ports on all addresses, ClusterIPs at their 127.x.y.z twins; no UDP, no ports below 1024, no traffic policies or session affinity, and no NetworkPolicy without root',
    });
    this.sync();
    signal.addEventListener('abort', () => this.close(), { once: true });
  }

  close(): void {
    this.work.cancel();
    for (const { server } of this.listeners.values()) server.close();
    this.listeners.clear();
  }

  /** Says a limitation once per service port. */
  private tell(key: string, message: string): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    this.options.log?.({ msg: message, service: key });
  }

  private sync(): void {
    const wanted = new Map<string, { service: string; portName: string }>();
    for (const service of this.services.store.list()) {
      const spec = service.spec ?? {};
      const key = `${service.metadata.namespace}/${service.metadata.name}`;
      for (const port of spec.ports ?? []) {
        if ((port.protocol ?? 'TCP') !== 'TCP') {
          this.tell(`${key}:${port.port}`, 'not proxied: the user-space proxy carries TCP only');
          continue;
        }
        const target = { service: key, portName: port.name ?? '' };
        const add = (address: string, number: number) => {
          if (number < 1024) this.tell(`${key}:${number}`, `not proxied: port ${number} is below 1024, which only root may listen on`);
          else wanted.set(`${address}:${number}`, target);
        };
        const twin = spec.clusterIP && spec.clusterIP !== 'None' ? loopbackTwin(spec.clusterIP) : undefined;
        if (twin) add(twin, port.port);
        if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && port.nodePort) add('0.0.0.0', port.nodePort);
        if (spec.type === 'LoadBalancer') add('0.0.0.0', port.port);
      }
    }
    for (const [key, listener] of this.listeners) {
      if (wanted.has(key)) continue;
      listener.server.close();
      this.listeners.delete(key);
    }
    for (const [key, target] of wanted) {
      const existing = this.listeners.get(key);
      if (existing) {
        existing.service = target.service;
        existing.portName = target.portName;
        continue;
      }
      const [address, port] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
      const entry = { server: createServer((socket) => this.pass(socket, entry)), ...target };
      entry.server.on('error', (err: Error) => {
        this.tell(`${target.service}:${port}`, `not proxied on ${address}:${port}: ${err.message}`);
        this.listeners.delete(key);
      });
      entry.server.listen(port, address);
      this.listeners.set(key, entry);
    }
  }

  /** One connection: to a ready endpoint at random, bytes both ways; refused when there is none. */
  private pass(socket: import('node:net').Socket, target: { service: string; portName: string }): void {
    const endpoints = readyEndpoints(this.slices.store.byIndex(byService, target.service), target.portName, 'TCP');
    if (!endpoints.length) {
      socket.destroy();
      return;
    }
    const endpoint = endpoints[Math.floor(Math.random() * endpoints.length)];
    const upstream = connect(endpoint.port, endpoint.ip);
    socket.pipe(upstream);
    upstream.pipe(socket);
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  }
}
