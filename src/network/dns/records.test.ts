import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookup, type DnsSnapshot, type EndpointInfo, type ServiceInfo } from './records.js';

const services: ServiceInfo[] = [
  { name: 'web', namespace: 'shop', clusterIP: '10.43.0.20', ports: [{ name: 'http', port: 80 }] },
  { name: 'db', namespace: 'shop', clusterIP: 'None', ports: [{ name: 'pg', port: 5432 }] },
  { name: 'ext', namespace: 'shop', type: 'ExternalName', externalName: 'example.org', ports: [] },
];
const endpoints: Record<string, EndpointInfo[]> = {
  'shop/db': [
    { addresses: ['10.42.0.5'], hostname: 'db-0', ready: true },
    { addresses: ['10.42.0.6'], hostname: 'db-1', ready: true },
    { addresses: ['10.42.0.7'], hostname: 'db-2', ready: false },
  ],
};
const snapshot: DnsSnapshot = {
  service: (ns, name) => services.find((s) => s.namespace === ns && s.name === name),
  endpoints: (ns, name) => endpoints[`${ns}/${name}`] ?? [],
  namespaceExists: (ns) => ns === 'shop' || ns === 'default',
};

test('a ClusterIP service resolves to its ClusterIP; a headless one to its ready endpoints', () => {
  assert.deepEqual(lookup(snapshot, 'web.shop.svc.cluster.local', 'A')?.answers, [{ type: 'A', name: 'web.shop.svc.cluster.local', data: '10.43.0.20' }]);
  assert.deepEqual(lookup(snapshot, 'db.shop.svc.cluster.local', 'A')?.answers.map((a) => a.data), ['10.42.0.5', '10.42.0.6']);
  assert.deepEqual(lookup(snapshot, 'db-1.db.shop.svc.cluster.local', 'A')?.answers.map((a) => a.data), ['10.42.0.6']);
});

test('SRV for named ports; CNAME for ExternalName; pod names; AAAA is an empty answer, a missing name NXDOMAIN', () => {
  assert.deepEqual(lookup(snapshot, '_http._tcp.web.shop.svc.cluster.local', 'SRV')?.answers, [
    { type: 'SRV', name: '_http._tcp.web.shop.svc.cluster.local', data: { priority: 0, weight: 100, port: 80, target: 'web.shop.svc.cluster.local' } },
  ]);
  assert.deepEqual(lookup(snapshot, '_pg._tcp.db.shop.svc.cluster.local', 'SRV')?.answers.map((a) => (a.data as { target: string }).target), ['db-0.db.shop.svc.cluster.local', 'db-1.db.shop.svc.cluster.local']);
  assert.deepEqual(lookup(snapshot, 'ext.shop.svc.cluster.local', 'A')?.answers, [{ type: 'CNAME', name: 'ext.shop.svc.cluster.local', data: 'example.org' }]);
  assert.deepEqual(lookup(snapshot, '10-42-0-9.shop.pod.cluster.local', 'A')?.answers, [{ type: 'A', name: '10-42-0-9.shop.pod.cluster.local', data: '10.42.0.9' }]);
  assert.deepEqual(lookup(snapshot, 'web.shop.svc.cluster.local', 'AAAA'), { exists: true, answers: [] });
  assert.deepEqual(lookup(snapshot, 'nope.shop.svc.cluster.local', 'A'), { exists: false, answers: [] });
  assert.deepEqual(lookup(snapshot, 'web.gone.svc.cluster.local', 'A'), { exists: false, answers: [] });
  assert.equal(lookup(snapshot, 'example.org', 'A'), undefined, 'not in the zone: forwarded');
});
