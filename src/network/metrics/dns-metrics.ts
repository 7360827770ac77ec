/**
 * The cluster DNS server's metrics with CoreDNS's names, labels, help texts
 * and buckets (plugin/metrics/vars, CoreDNS 1.11 as shipped with Kubernetes
 * 1.32): each query counted by type and transport, timed, sized, and its
 * answer counted by rcode and by what wrote it (`kubernetes` for names of the
 * cluster zone, `forward` for those relayed to the node's resolvers, empty
 * when the server itself refused or failed).
 *
 * Labels stay few whatever queries arrive: query types outside CoreDNS's
 * list are `other`, rcodes are at most sixteen, the zone is that of the
 * server block (`.`, as the default Corefile) or `dropped`.
 */
import { Counter, Histogram, type Registry } from 'prom-client';

/** CoreDNS's TimeBuckets: ExponentialBuckets(0.00025, 2, 16), 0.25 ms to 8 s. */
export const dnsDurationBuckets = Array.from({ length: 16 }, (_, i) => 0.00025 * 2 ** i);
/** CoreDNS's size buckets, in bytes. */
export const dnsSizeBuckets = [0, 100, 200, 300, 400, 511, 1023, 2047, 4095, 8291, 16e3, 32e3, 48e3, 64e3];

/** Query types CoreDNS reports by name; any other is `other`. */
const monitoredTypes = new Set(['A', 'AAAA', 'CNAME', 'DNSKEY', 'DS', 'MX', 'NSEC3', 'NSEC', 'NS', 'PTR', 'RRSIG', 'SOA', 'SRV', 'TXT', 'HTTPS', 'IXFR', 'AXFR', 'ANY']);

/** miekg/dns's RcodeToString for the 4-bit header rcode. */
const rcodeNames = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE', 'DSOTYPENI'];

/** CoreDNS's `type` label of a question type as dns-packet names it (it knows HTTPS only by number). */
export function queryTypeLabel(type: string | undefined): string {
  const name = type === 'UNKNOWN_65' ? 'HTTPS' : type;
  return name && monitoredTypes.has(name) ? name : 'other';
}

/** The rcode of a DNS message's header, by name. */
export function rcodeLabel(message: Buffer): string {
  if (message.length < 4) return 'SERVFAIL';
  const rcode = message[3] & 0x0f;
  return rcodeNames[rcode] ?? String(rcode);
}

/** One query and its answer, as the server saw them. */
export interface DnsQueryRecord {
  /** `dns://<address>:<port>`, as CoreDNS names a server. */
  server: string;
  /** The server block's zone (`.`), or `dropped` for a query that never reached a plugin. */
  zone: string;
  proto: 'udp' | 'tcp';
  /** `1` for IPv4, `2` for IPv6. */
  family: '1' | '2';
  /** The question's type as dns-packet names it. */
  type: string | undefined;
  /** Who wrote the answer: `kubernetes`, `forward`, or empty for the server itself. */
  plugin: string;
  request: Buffer;
  response: Buffer;
  seconds: number;
}

export class DnsMetrics {
  private readonly requests: Counter<'server' | 'zone' | 'view' | 'proto' | 'family' | 'type'>;
  private readonly responses: Counter<'server' | 'zone' | 'view' | 'rcode' | 'plugin'>;
  private readonly duration: Histogram<'server' | 'zone' | 'view' | 'type'>;
  private readonly requestSize: Histogram<'server' | 'zone' | 'view' | 'proto'>;
  private readonly responseSize: Histogram<'server' | 'zone' | 'view' | 'proto'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'coredns_dns_requests_total',
      help: 'Counter of DNS requests made per zone, protocol and family.',
      labelNames: ['server', 'zone', 'view', 'proto', 'family', 'type'],
      registers,
    });
    this.duration = new Histogram({
      name: 'coredns_dns_request_duration_seconds',
      help: 'Histogram of the time (in seconds) each request took per zone.',
      labelNames: ['server', 'zone', 'view', 'type'],
      buckets: dnsDurationBuckets,
      registers,
    });
    this.requestSize = new Histogram({
      name: 'coredns_dns_request_size_bytes',
      help: 'Size of the EDNS0 UDP buffer in bytes (64K for TCP) per zone and protocol.',
      labelNames: ['server', 'zone', 'view', 'proto'],
      buckets: dnsSizeBuckets,
      registers,
    });
    this.responseSize = new Histogram({
      name: 'coredns_dns_response_size_bytes',
      help: 'Size of the returned response in bytes.',
      labelNames: ['server', 'zone', 'view', 'proto'],
      buckets: dnsSizeBuckets,
      registers,
    });
    this.responses = new Counter({
      name: 'coredns_dns_responses_total',
      help: 'Counter of response status codes.',
      labelNames: ['server', 'zone', 'view', 'rcode', 'plugin'],
      registers,
    });
  }

  /** One query answered (CoreDNS's vars.Report). */
  query(record: DnsQueryRecord): void {
    const { server, zone, proto } = record;
    const view = '';
    const type = queryTypeLabel(record.type);
    this.requests.inc({ server, zone, view, proto, family: record.family, type });
    this.duration.observe({ server, zone, view, type }, record.seconds);
    // CoreDNS observes the request message's length here, whatever the help text says.
    this.requestSize.observe({ server, zone, view, proto }, record.request.length);
    this.responseSize.observe({ server, zone, view, proto }, record.response.length);
    this.responses.inc({ server, zone, view, rcode: rcodeLabel(record.response), plugin: record.plugin });
  }
}
