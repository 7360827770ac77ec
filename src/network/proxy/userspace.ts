/**
 * The service proxy in user space, for nodes that cannot program nftables
 * (mode.ts says when): TCP listeners and UDP sockets in this process that
 * pass traffic to a ready endpoint chosen at random (relay.ts).
 *
 *                   as root (service-interface.ts)       as an ordinary user
 *   ClusterIP       <clusterIP>:<port>, the address      127.<b>.<c>.<d>:<port>, the loopback
 *                   held on the interface skiff-svc0     twin of ClusterIP 10.<b>.<c>.<d>
 *   NodePort        <each node address>:<nodePort>       0.0.0.0:<nodePort>
 *   LoadBalancer    <each node address>:<port>           0.0.0.0:<port>
 *
 * As root, pods reach ClusterIPs (their default route leads to the node),
 * so cluster DNS at 10.43.0.10:53 works; NodePorts and load balancer ports
 * are bound on each of the node's own addresses rather than on 0.0.0.0,
 * which would take that port from every ClusterIP too.
 *
 * What it cannot do, it says once in the log: ports below 1024 without
 * root, SCTP, traffic policies and session affinity.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createSocket } from 'node:dgram';
import type { InformerFactory, SharedInformer } from '../../client/index.js';
import { servicesResource } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { byService, endpointSliceInformer, readyEndpoints, type SliceObject } from '../endpoint-slices.js';
import { BatchedWork, followInformers } from '../batched.js';
import { relayTcp, UdpRelay, type Endpoint } from './relay.js';
import { hostAddresses, type ServiceInterface } from './service-interface.js';
import { describeProxyMode } from './mode.js';
import type { NetworkMetrics } from '../metrics/network-metrics.js';
import { whenAborted } from '../../machinery/abort.js';

interface ServiceObject extends KubeObject {
  spec?: { type?: string; clusterIP?: string; ports?: { name?: string; port: number; protocol?: string; nodePort?: number }[] };
}

/** The loopback address standing in for a ClusterIP (10.43.0.1 → 127.43.0.1). */
export function loopbackTwin(clusterIP: string): string | undefined {
  const parts = clusterIP.split('.');
  return parts.length === 4 ? `127.${parts[1]}.${parts[2]}.${parts[3]}` : undefined;
}

export interface UserspaceProxyOptions {
  /** As root: the interface that holds the ClusterIPs, so they are bound themselves. Without it: loopback twins. */
  serviceInterface?: ServiceInterface;
  /** Why the proxy runs in user space (`nft not found`), said in its line at start. */
  reason?: string;
  /** UDP sessions: idle timeout and how many per Service port (relay.ts's defaults otherwise). */
  udpIdleMs?: number;
  udpMaxSessions?: number;
  log?: (event: Record<string, unknown>) => void;
  /** kube-proxy's sync and change metrics (src/network/metrics/); none: not recorded. */
  metrics?: NetworkMetrics;
}

/** Which Service port a listener serves. */
interface Target {
  service: string;
  portName: string;
}

/** A listener the Services ask for: where, and which Service port. */
interface Wanted extends Target {
  protocol: 'TCP' | 'UDP';
  address: string;
  port: number;
}

/** A listener; a TCP one keeps its relayed connections, which closing it ends (a server's close() would leave them open). */
type Listener = { protocol: 'TCP'; server: Server; connections: Set<Socket>; target: Target } | { protocol: 'UDP'; relay: UdpRelay; target: Target };

export class UserspaceProxy {
  private readonly services: SharedInformer<ServiceObject>;
  private readonly slices: SharedInformer<SliceObject>;
  /** `<protocol>/<address>:<port>` → its listener. */
  private readonly listeners = new Map<string, Listener>();
  private readonly told = new Set<string>();
  private readonly work: BatchedWork;
  private readonly root = typeof process.getuid === 'function' && process.getuid() === 0;
  private serviceInterface: ServiceInterface | undefined;
  private stopping = false;

  constructor(
    informers: InformerFactory,
    private readonly options: UserspaceProxyOptions,
  ) {
    this.services = informers.informerFor<ServiceObject>(servicesResource);
    this.slices = endpointSliceInformer<SliceObject>(informers);
    this.serviceInterface = options.serviceInterface;
    const changes = options.metrics?.proxyChanges('userspace', this.services as SharedInformer<KubeObject>, this.slices as SharedInformer<KubeObject>);
    this.work = new BatchedWork(() => (changes ? changes.timed(() => this.sync()) : this.sync()), (err) => this.options.log?.({ msg: 'user-space proxy failed', error: err.message }));
  }

  /** Starts serving; the returned promise of `stopped` settles once the signal has stopped it and cleaned up. */
  async start(signal: AbortSignal): Promise<{ stopped: Promise<void> }> {
    if (this.serviceInterface) {
      try {
        await this.serviceInterface.create();
      } catch (err) {
        this.options.log?.({ msg: `could not create interface ${this.serviceInterface.name}: ClusterIPs at their loopback twins instead`, error: (err as Error).message });
        this.serviceInterface = undefined;
      }
    }
    await followInformers([this.services, this.slices] as SharedInformer<KubeObject>[], this.work, signal);
    const line = describeProxyMode({ mode: 'userspace', clusterIPs: this.serviceInterface ? 'interface' : 'loopback', reason: this.options.reason ?? 'not root' }, this.serviceInterface?.name ?? '');
    this.options.log?.({ msg: line, mode: 'userspace', reason: this.options.reason, ...(this.serviceInterface ? { interface: this.serviceInterface.name, kind: this.serviceInterface.kind } : {}) });
    await this.work.now();
    const stopped = new Promise<void>((resolve) => whenAborted(signal, () => void this.stop().then(resolve)));
    return { stopped };
  }

  /** Whether ClusterIPs are bound themselves (on the service interface), so pods reach them. */
  get servesClusterIPs(): boolean {
    return this.serviceInterface !== undefined;
  }

  /** Closes every listener and removes the service interface (with its addresses). */
  async stop(): Promise<void> {
    this.stopping = true;
    this.work.cancel();
    // After any sync in progress; with `stopping` set, a sync wants nothing and so closes everything.
    await this.work.now();
    await this.serviceInterface?.remove();
  }

  /** Says a limitation once per service port. */
  private tell(key: string, message: string): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    this.options.log?.({ msg: message, service: key });
  }

  /** The listeners the Services ask for now, and the ClusterIPs among their addresses. */
  private wanted(): { wanted: Map<string, Wanted>; clusterIPs: Set<string> } {
    const wanted = new Map<string, Wanted>();
    const clusterIPs = new Set<string>();
    if (this.stopping) return { wanted, clusterIPs };
    // NodePorts and load balancer ports: as root on each node address, since 0.0.0.0 would take the port from every ClusterIP.
    const nodeAddresses = this.serviceInterface ? hostAddresses(this.serviceInterface.name) : ['0.0.0.0'];
    for (const service of this.services.store.list()) {
      const spec = service.spec ?? {};
      const key = `${service.metadata.namespace}/${service.metadata.name}`;
      if (spec.type === 'ExternalName') continue;
      for (const port of spec.ports ?? []) {
        const protocol = port.protocol ?? 'TCP';
        if (protocol !== 'TCP' && protocol !== 'UDP') {
          this.tell(`${key}:${port.port}/${protocol}`, `not proxied: the user-space proxy carries TCP and UDP, not ${protocol}`);
          continue;
        }
        const add = (address: string, number: number) => {
          if (number < 1024 && !this.root) this.tell(`${key}:${number}`, `not proxied: port ${number} is below 1024, which only root may listen on`);
          else wanted.set(`${protocol}/${address}:${number}`, { service: key, portName: port.name ?? '', protocol, address, port: number });
        };
        if (spec.clusterIP && /^\d+\.\d+\.\d+\.\d+$/.test(spec.clusterIP)) {
          if (this.serviceInterface) clusterIPs.add(spec.clusterIP);
          add(this.serviceInterface ? spec.clusterIP : loopbackTwin(spec.clusterIP)!, port.port);
        }
        if ((spec.type === 'NodePort' || spec.type === 'LoadBalancer') && port.nodePort) for (const address of nodeAddresses) add(address, port.nodePort);
        if (spec.type === 'LoadBalancer') for (const address of nodeAddresses) add(address, port.port);
      }
    }
    return { wanted, clusterIPs };
  }

  private async sync(): Promise<void> {
    const { wanted, clusterIPs } = this.wanted();
    for (const [key, listener] of this.listeners) {
      if (wanted.has(key)) continue;
      this.closeListener(listener);
      this.listeners.delete(key);
    }
    // ClusterIPs on the interface before binding them, and off it only once nothing listens there.
    await this.serviceInterface?.sync(clusterIPs);
    for (const [key, target] of wanted) {
      const existing = this.listeners.get(key);
      if (existing) {
        existing.target.service = target.service;
        existing.target.portName = target.portName;
        if (existing.protocol === 'UDP') existing.relay.keepOnly(this.endpoints(existing.target, 'UDP'));
        continue;
      }
      const listener = this.open(key, target);
      this.listeners.set(key, listener);
    }
  }

  /** A listener for one address and port; one that cannot bind says why once and is tried again at the next sync. */
  private open(key: string, wanted: Wanted): Listener {
    const target: Target = { service: wanted.service, portName: wanted.portName };
    const failed = (err: Error) => {
      this.tell(`${target.service}:${wanted.port}/${wanted.protocol}@${wanted.address}`, `not proxied on ${wanted.address}:${wanted.port}/${wanted.protocol}: ${err.message}`);
      if (this.listeners.get(key) === listener) this.listeners.delete(key);
      this.closeListener(listener);
    };
    let listener: Listener;
    if (wanted.protocol === 'TCP') {
      const connections = new Set<Socket>();
      const server = createServer((socket) => {
        connections.add(socket);
        socket.on('close', () => connections.delete(socket));
        relayTcp(socket, this.choose(target, 'TCP'));
      });
      listener = { protocol: 'TCP', server, connections, target };
      server.on('error', failed);
      server.listen(wanted.port, wanted.address);
    } else {
      const socket = createSocket('udp4');
      const relay = new UdpRelay(socket, { choose: () => this.choose(target, 'UDP'), idleMs: this.options.udpIdleMs, maxSessions: this.options.udpMaxSessions });
      listener = { protocol: 'UDP', relay, target };
      socket.on('error', failed);
      socket.bind(wanted.port, wanted.address);
    }
    return listener;
  }

  private closeListener(listener: Listener): void {
    if (listener.protocol === 'TCP') {
      listener.server.close();
      for (const connection of listener.connections) connection.destroy();
    } else listener.relay.close();
  }

  private endpoints(target: Target, protocol: 'TCP' | 'UDP'): Endpoint[] {
    return readyEndpoints(this.slices.store.byIndex(byService, target.service), target.portName, protocol);
  }

  /** A ready endpoint of the Service port at random, or none. */
  private choose(target: Target, protocol: 'TCP' | 'UDP'): Endpoint | undefined {
    const endpoints = this.endpoints(target, protocol);
    return endpoints.length ? endpoints[Math.floor(Math.random() * endpoints.length)] : undefined;
  }
}
