import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import * as dnsPacket from 'dns-packet';
import type { InformerFactory } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { promtool, promtoolCheck } from '../../client/metrics/testing.js';
import { ClusterDNS } from '../dns/server.js';
import { ServiceProxy } from '../proxy/proxier.js';
import { lastChangeTriggerTimeAnnotation, NetworkMetrics, networkProgrammingBuckets, queryTypeLabel, rcodeLabel } from './index.js';

type Handler = { add?(o: KubeObject): void; update?(a: KubeObject, b: KubeObject): void; delete?(o: KubeObject): void };

/** An informer whose objects and events the test supplies. */
class FakeInformer {
  readonly objects = new Map<string, KubeObject>();
  private readonly handlers: Handler[] = [];
  private readonly indexes = new Map<string, (o: KubeObject) => string[]>();
  readonly store = {
    list: () => [...this.objects.values()],
    get: (key: string) => this.objects.get(key),
    byIndex: (index: string, value: string) => [...this.objects.values()].filter((o) => this.indexes.get(index)?.(o).includes(value)),
  };
  addIndex(name: string, index: (o: KubeObject) => string[]): void {
    this.indexes.set(name, index);
  }
  addEventHandler(handler: Handler): void {
    this.handlers.push(handler);
  }
  start(): void {}
  async waitForSync(): Promise<void> {}
  set(object: KubeObject): void {
    const key = object.metadata.namespace ? `${object.metadata.namespace}/${object.metadata.name}` : object.metadata.name!;
    const previous = this.objects.get(key);
    this.objects.set(key, object);
    for (const handler of this.handlers) previous ? handler.update?.(previous, object) : handler.add?.(object);
  }
}

function fakeInformers() {
  const informers = new Map<string, FakeInformer>();
  const informerFor = (ref: { resource: string }) => {
    let informer = informers.get(ref.resource);
    if (!informer) informers.set(ref.resource, (informer = new FakeInformer()));
    return informer;
  };
  return { factory: { informerFor } as unknown as InformerFactory, informerFor };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const service = (name: string, resourceVersion = '1'): KubeObject =>
  ({ metadata: { name, namespace: 'default', resourceVersion }, spec: { clusterIP: '10.43.0.20', ports: [{ port: 80, protocol: 'TCP' }] } }) as KubeObject;

const slice = (name: string, service: string, triggered?: string, resourceVersion = '1'): KubeObject =>
  ({
    metadata: {
      name,
      namespace: 'default',
      resourceVersion,
      labels: { 'kubernetes.io/service-name': service },
      annotations: triggered ? { [lastChangeTriggerTimeAnnotation]: triggered } : {},
    },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.42.0.5'] }],
    ports: [{ port: 8080, protocol: 'TCP' }],
  }) as KubeObject;

describe('service proxy metrics', () => {
  it("has kube-proxy's network programming buckets", () => {
    assert.deepEqual(networkProgrammingBuckets.slice(0, 4), [0.25, 0.5, 1, 2]);
    assert.equal(networkProgrammingBuckets.length, 2 + 59 + 12 + 7);
    assert.equal(networkProgrammingBuckets.at(-1), 300);
  });

  it('counts changes, times syncs, and measures network programming from the trigger time', async () => {
    let now = Date.parse('2025-01-01T00:00:00Z');
    const metrics = new NetworkMetrics({ now: () => now });
    const { factory, informerFor } = fakeInformers();
    let applied = 0;
    let failNext = false;
    const nftTable = {
      apply: async () => {
        if (failNext) throw new Error('nft: syntax error');
        applied++;
      },
      remove: async () => {},
    };
    const proxy = new ServiceProxy(factory, { nodeName: 'n1', table: 'skiff-test', clusterCIDR: '10.42.0.0/16', nftTable, metrics });
    const services = informerFor({ resource: 'services' });
    const slices = informerFor({ resource: 'endpointslices' });
    // Syncs run when the test says (start() would also schedule them on a timer at every change).
    const sync = () => (proxy as unknown as { work: { now(): Promise<void> } }).work.now();
    now += 1000;
    services.set(service('web'));
    services.set(service('web')); // a resync: counted, but nothing to program
    slices.set(slice('web-abc', 'web', new Date(now).toISOString()));
    let text = await metrics.registry.metrics();
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_service_changes_total'), 2);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_service_changes_pending'), 1);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_endpoint_changes_total'), 1);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending'), 1);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds'), now / 1000);
    now += 1500; // the rules are programmed 1.5 s after the endpoints changed
    await sync();
    assert.equal(applied, 1);
    text = await metrics.registry.metrics();
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_duration_seconds_count'), 1);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds'), now / 1000);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_service_changes_pending'), 0);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_endpoint_changes_pending'), 0);
    assert.equal(sample(text, 'kubeproxy_network_programming_duration_seconds_count'), 1);
    assert.equal(sample(text, 'kubeproxy_network_programming_duration_seconds_bucket{le="1"}'), 0);
    assert.equal(sample(text, 'kubeproxy_network_programming_duration_seconds_bucket{le="2"}'), 1);
    // A failed sync is timed and counted, and moves nothing forward.
    failNext = true;
    const lastSync = now / 1000;
    now += 1000;
    await sync();
    text = await metrics.registry.metrics();
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_nftables_sync_failures_total'), 1);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_duration_seconds_count'), 2);
    assert.equal(sample(text, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds'), lastSync);
    await proxy.stop();
  });

  it('ignores trigger times that cannot be parsed or predate the proxy', () => {
    const metrics = new NetworkMetrics({ now: () => Date.parse('2025-01-01T00:00:00Z') });
    const { informerFor } = fakeInformers();
    const tracker = metrics.proxyChanges('userspace', informerFor({ resource: 'services' }) as never, informerFor({ resource: 'endpointslices' }) as never);
    tracker.sliceChanged(slice('a', 'web', 'not a time'), false);
    tracker.sliceChanged(slice('b', 'web', '2000-01-01T00:00:00Z'), false);
    tracker.startSync().succeeded();
    return metrics.registry.metrics().then((text) => assert.equal(sample(text, 'kubeproxy_network_programming_duration_seconds_count'), 0));
  });
});

describe('cluster DNS metrics', () => {
  const query = (name: string, type: string) => dnsPacket.encode({ type: 'query', id: 7, flags: dnsPacket.RECURSION_DESIRED, questions: [{ type: type as 'A', name }] });

  it('labels query types and rcodes as CoreDNS does', () => {
    assert.equal(queryTypeLabel('A'), 'A');
    assert.equal(queryTypeLabel('UNKNOWN_65'), 'HTTPS');
    assert.equal(queryTypeLabel('NAPTR'), 'other');
    assert.equal(queryTypeLabel(undefined), 'other');
    assert.equal(rcodeLabel(Buffer.from([0, 0, 0x84, 0x03])), 'NXDOMAIN');
    assert.equal(rcodeLabel(Buffer.from([0, 0, 0x80, 0x0f])), '15');
    assert.equal(rcodeLabel(Buffer.alloc(1)), 'SERVFAIL');
  });

  it('counts, times and sizes each query with the plugin that answered it', async () => {
    const metrics = new NetworkMetrics();
    const { factory, informerFor } = fakeInformers();
    // A resolver standing in for the machine's: answers every forwarded query.
    const upstream = createSocket('udp4');
    upstream.on('message', (message, remote) => {
      const asked = dnsPacket.decode(message);
      upstream.send(dnsPacket.encode({ type: 'response', id: asked.id, flags: dnsPacket.RECURSION_AVAILABLE, questions: asked.questions, answers: [] }), remote.port, remote.address);
    });
    await new Promise<void>((resolve) => upstream.bind(0, '127.0.0.1', resolve));
    const dns = new ClusterDNS(factory, { address: '127.0.0.1', port: 53, upstreams: [`127.0.0.1:${upstream.address().port}`], metrics });
    informerFor({ resource: 'namespaces' }).set({ metadata: { name: 'default' } } as KubeObject);
    informerFor({ resource: 'services' }).set(service('web'));
    try {
      await dns.answer(query('web.default.svc.cluster.local', 'A'), { proto: 'udp', family: '1' });
      await dns.answer(query('missing.default.svc.cluster.local', 'A'), { proto: 'tcp', family: '2' });
      await dns.answer(query('example.com', 'AAAA'));
      await dns.answer(dnsPacket.encode({ type: 'query', id: 8, questions: [] }));
      assert.equal(await dns.answer(Buffer.from('garbage')), undefined);
    } finally {
      upstream.close();
    }
    const text = await metrics.registry.metrics();
    const server = 'server="dns://127.0.0.1:53"';
    assert.equal(sample(text, `coredns_dns_requests_total{${server},zone=".",view="",proto="udp",family="1",type="A"}`), 1);
    assert.equal(sample(text, `coredns_dns_requests_total{${server},zone=".",view="",proto="tcp",family="2",type="A"}`), 1);
    assert.equal(sample(text, `coredns_dns_requests_total{${server},zone=".",view="",proto="udp",family="1",type="AAAA"}`), 1);
    assert.equal(sample(text, `coredns_dns_requests_total{${server},zone="dropped",view="",proto="udp",family="1",type="other"}`), 1);
    assert.equal(sample(text, `coredns_dns_responses_total{${server},zone=".",view="",rcode="NOERROR",plugin="kubernetes"}`), 1);
    assert.equal(sample(text, `coredns_dns_responses_total{${server},zone=".",view="",rcode="NXDOMAIN",plugin="kubernetes"}`), 1);
    assert.equal(sample(text, `coredns_dns_responses_total{${server},zone=".",view="",rcode="NOERROR",plugin="forward"}`), 1);
    assert.equal(sample(text, `coredns_dns_responses_total{${server},zone="dropped",view="",rcode="REFUSED",plugin=""}`), 1);
    assert.equal(sample(text, `coredns_dns_request_duration_seconds_count{${server},zone=".",view="",type="A"}`), 2);
    assert.equal(sample(text, `coredns_dns_request_size_bytes_count{${server},zone=".",view="",proto="udp"}`), 2);
    assert.equal(sample(text, `coredns_dns_response_size_bytes_bucket{le="0",${server},zone=".",view="",proto="tcp"}`), 0);
    assert.equal(sample(text, `coredns_dns_response_size_bytes_bucket{le="511",${server},zone=".",view="",proto="tcp"}`), 1);
  });

  it('an unreachable resolver is a SERVFAIL written by the server', async () => {
    const metrics = new NetworkMetrics();
    const { factory } = fakeInformers();
    const dns = new ClusterDNS(factory, { address: '127.0.0.1', port: 53, upstreams: [], metrics });
    await dns.answer(query('example.com', 'A'));
    assert.equal(sample(await metrics.registry.metrics(), 'coredns_dns_responses_total{server="dns://127.0.0.1:53",zone=".",view="",rcode="SERVFAIL",plugin=""}'), 1);
  });
});

describe('network registry', () => {
  it('passes promtool check metrics', { skip: promtool ? false : 'needs promtool' }, async () => {
    const metrics = new NetworkMetrics({ processMetrics: true });
    const { informerFor } = fakeInformers();
    const tracker = metrics.proxyChanges('nftables', informerFor({ resource: 'services' }) as never, informerFor({ resource: 'endpointslices' }) as never);
    tracker.serviceChanged(service('web'));
    tracker.sliceChanged(slice('web-abc', 'web', new Date(Date.now() + 1000).toISOString()), false);
    await tracker.timed(() => {});
    metrics.dns.query({ server: 'dns://10.0.0.1:53', zone: '.', proto: 'udp', family: '1', type: 'A', plugin: 'kubernetes', request: Buffer.alloc(40), response: Buffer.from([0, 0, 0x84, 0]), seconds: 0.001 });
    const text = await metrics.registry.metrics();
    assert.match(text, /^# HELP kubeproxy_sync_proxy_rules_duration_seconds \[ALPHA\] SyncProxyRules latency in seconds$/m);
    assert.match(text, /^# HELP coredns_dns_requests_total Counter of DNS requests made per zone, protocol and family\.$/m);
    const { status, output } = promtoolCheck(text);
    assert.equal(status, 0, output);
    assert.equal(output, '');
  });
});
