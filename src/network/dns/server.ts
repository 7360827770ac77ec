/**
 * The cluster's DNS server, run by every node: answers names in the cluster
 * zone from Services and EndpointSlices (records.ts) and forwards every
 * other name to the machine's own resolvers, over UDP and TCP.
 *
 *   informers: Services, EndpointSlices, Namespaces ─► snapshot
 *   query ─► in the zone? ─► yes: lookup(snapshot) → answer (TTL 5 s, authoritative)
 *                          └► no: forwarded to /etc/resolv.conf's nameservers, answer relayed
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type Server as TcpServer } from 'node:net';
import * as dnsPacket from 'dns-packet';
import type { InformerFactory, SharedInformer } from '../../client/index.js';
import { namespacesResource, servicesResource } from '../../client/index.js';
import { byService, endpointSliceInformer, type SliceObject } from '../endpoint-slices.js';
import type { KubeObject } from '../../machinery/object.js';
import { defaultZone, lookup, type Answer, type DnsSnapshot, type EndpointInfo, type ServiceInfo } from './records.js';
import type { NetworkMetrics } from '../metrics/network-metrics.js';
import { whenAborted } from '../../machinery/abort.js';

const ttl = 5;
const rcodeNxDomain = 3;
const rcodeServFail = 2;
const rcodeRefused = 5;

interface ServiceObject extends KubeObject {
  spec?: { type?: string; clusterIP?: string; externalName?: string; publishNotReadyAddresses?: boolean; ports?: { name?: string; port: number; protocol?: string }[] };
}


export interface ClusterDnsOptions {
  /** Where to listen (UDP and TCP), e.g. the node's bridge address, port 53. */
  address: string;
  port: number;
  zone?: string;
  /** Resolvers for names outside the zone (`ip`, or `ipv4:port`); default: the machine's /etc/resolv.conf. */
  upstreams?: string[];
  log?: (event: Record<string, unknown>) => void;
  /** CoreDNS's request and response metrics (src/network/metrics/); none: not recorded. */
  metrics?: NetworkMetrics;
}

/** How a query arrived, for the metrics: transport and address family (CoreDNS's `1` IPv4, `2` IPv6). */
export interface DnsTransport {
  proto: 'udp' | 'tcp';
  family: '1' | '2';
}

/** The nameservers of a resolv.conf. */
export function resolvConfNameservers(text: string): string[] {
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((ns): ns is string => !!ns);
}

export class ClusterDNS {
  private readonly services: SharedInformer<ServiceObject>;
  private readonly slices: SharedInformer<SliceObject>;
  private readonly namespaces: SharedInformer<KubeObject>;
  private readonly zone: string;
  private readonly upstreams: string[];
  private udp: UdpSocket | undefined;
  private tcp: TcpServer | undefined;

  constructor(
    informers: InformerFactory,
    private readonly options: ClusterDnsOptions,
  ) {
    this.services = informers.informerFor<ServiceObject>(servicesResource);
    this.slices = endpointSliceInformer<SliceObject>(informers);
    this.namespaces = informers.informerFor<KubeObject>(namespacesResource);
    this.zone = options.zone ?? defaultZone;
    let upstreams = options.upstreams;
    if (!upstreams) {
      try {
        upstreams = resolvConfNameservers(readFileSync('/etc/resolv.conf', 'utf8'));
      } catch {
        upstreams = [];
      }
    }
    this.upstreams = upstreams;
  }

  private readonly snapshot: DnsSnapshot = {
    service: (namespace, name) => {
      const object = this.services.store.get(`${namespace}/${name}`);
      if (!object) return undefined;
      const spec = object.spec ?? {};
      return {
        name,
        namespace,
        type: spec.type,
        clusterIP: spec.clusterIP,
        externalName: spec.externalName,
        publishNotReadyAddresses: spec.publishNotReadyAddresses,
        ports: spec.ports ?? [],
      } satisfies ServiceInfo;
    },
    endpoints: (namespace, name) =>
      this.slices.store
        .byIndex(byService, `${namespace}/${name}`)
        .flatMap((slice) => slice.endpoints ?? [])
        .map((e): EndpointInfo => ({ addresses: e.addresses, hostname: e.hostname, ready: e.conditions?.ready !== false })),
    namespaceExists: (namespace) => this.namespaces.store.get(namespace) !== undefined,
  };

  /** Starts the informers and listens; resolves once both sockets are bound and the caches filled. */
  async start(signal: AbortSignal): Promise<void> {
    for (const informer of [this.services, this.slices, this.namespaces]) informer.start(signal);
    await Promise.all([this.services.waitForSync(signal), this.slices.waitForSync(signal), this.namespaces.waitForSync(signal)]);
    // Port 0 (tests): UDP picks a free port, and TCP may find that one taken: another pair is tried.
    for (let attempt = 1; ; attempt++) {
      try {
        await this.listen(this.options.port);
        break;
      } catch (err) {
        if (this.options.port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 5) throw err;
      }
    }
    whenAborted(signal, () => this.close());
  }

  /** UDP and TCP on one port (the system's choice for 0); neither stays open when the other fails. */
  private async listen(port: number): Promise<void> {
    const udp = createSocket(this.options.address.includes(':') ? 'udp6' : 'udp4');
    udp.on('message', (message, remote) => {
      void this.answer(message, { proto: 'udp', family: remote.family === 'IPv6' ? '2' : '1' }).then((reply) => reply && udp.send(reply, remote.port, remote.address));
    });
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(port, this.options.address, () => resolve());
    });
    udp.on('error', (err) => this.options.log?.({ msg: 'dns socket error', error: err.message }));
    this.udp = udp;
    const tcp = createServer((socket) => {
      let pending = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
          const query = pending.subarray(2, 2 + pending.readUInt16BE(0));
          pending = pending.subarray(2 + query.length);
          void this.answer(query, { proto: 'tcp', family: socket.remoteFamily === 'IPv6' ? '2' : '1' }).then((reply) => {
            if (!reply || socket.destroyed) return;
            const length = Buffer.alloc(2);
            length.writeUInt16BE(reply.length);
            socket.write(Buffer.concat([length, reply]));
          });
        }
      });
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      // The same port as UDP (which may have been chosen by the system).
      tcp.listen(udp.address().port, this.options.address, () => resolve());
    }).catch((err: Error) => {
      udp.close();
      this.udp = undefined;
      throw err;
    });
    this.tcp = tcp;
  }

  /** The port it listens on (when asked for port 0). */
  get port(): number {
    return (this.udp?.address().port as number | undefined) ?? this.options.port;
  }

  close(): void {
    this.udp?.close();
    this.tcp?.close();
    this.udp = undefined;
    this.tcp = undefined;
  }

  /** The reply to one query message (undefined when it cannot even be parsed). */
  async answer(message: Buffer, transport: DnsTransport = { proto: 'udp', family: '1' }): Promise<Buffer | undefined> {
    const started = performance.now();
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return undefined;
    }
    const question = query.questions?.[0];
    // Every answer is counted as CoreDNS counts it: zone `.` (the default Corefile's one server block), `dropped` when no plugin saw it.
    const answered = (response: Buffer, plugin: string, zone = '.'): Buffer => {
      const seconds = (performance.now() - started) / 1000;
      this.options.metrics?.dns.query({ server: `dns://${this.options.address}:${this.port}`, zone, ...transport, type: question?.type, plugin, request: message, response, seconds });
      return response;
    };
    const reply = (flags: number, answers: dnsPacket.Answer[] = [], authorities: dnsPacket.Answer[] = []) =>
      dnsPacket.encode({ type: 'response', id: query.id, flags: flags | dnsPacket.RECURSION_AVAILABLE | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED), questions: query.questions, answers, authorities });
    if (!question) return answered(reply(rcodeRefused), '', 'dropped');
    const name = question.name.toLowerCase().replace(/\.$/, '');
    const result = lookup(this.snapshot, name, question.type, this.zone);
    if (!result) {
      return this.forward(message, query.id ?? 0).then(
        (forwarded) => answered(forwarded, 'forward'),
        () => answered(reply(rcodeServFail), ''),
      );
    }
    const soa: dnsPacket.Answer = {
      type: 'SOA',
      name: this.zone,
      ttl,
      data: { mname: `ns.dns.${this.zone}`, rname: `hostmaster.${this.zone}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: ttl },
    };
    if (!result.exists) return answered(reply(dnsPacket.AUTHORITATIVE_ANSWER | rcodeNxDomain, [], [soa]), 'kubernetes');
    const answers = result.answers.map((a: Answer) => ({ ...a, ttl, class: 'IN' }) as dnsPacket.Answer);
    return answered(reply(dnsPacket.AUTHORITATIVE_ANSWER, answers, answers.length ? [] : [soa]), 'kubernetes');
  }

  /** Relays a query to the first upstream resolver that answers within 2 s. */
  private async forward(message: Buffer, id: number): Promise<Buffer> {
    for (const upstream of this.upstreams) {
      const withPort = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(upstream);
      const host = withPort ? withPort[1] : upstream;
      const port = withPort ? Number(withPort[2]) : 53;
      const answer = await new Promise<Buffer | undefined>((resolve) => {
        const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
        const timer = setTimeout(() => {
          socket.close();
          resolve(undefined);
        }, 2000);
        socket.on('message', (reply) => {
          if (reply.length < 2 || reply.readUInt16BE(0) !== id) return;
          clearTimeout(timer);
          socket.close();
          resolve(reply);
        });
        socket.on('error', () => {
          clearTimeout(timer);
          socket.close();
          resolve(undefined);
        });
        socket.send(message, port, host);
      });
      if (answer) return answer;
    }
    throw new Error('no upstream resolver answered');
  }
}
