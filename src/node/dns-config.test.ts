import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podResolverConfig } from './dns-config.js';

const cluster = { nameservers: ['10.42.0.1'], zone: 'cluster.local' };

test('ClusterFirst: the cluster DNS with the namespace search path and ndots:5; on the host network, the machine\'s', () => {
  assert.deepEqual(podResolverConfig('shop', {}, cluster), {
    nameservers: ['10.42.0.1'],
    searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local'],
    options: ['ndots:5'],
  });
  assert.equal(podResolverConfig('shop', { hostNetwork: true }, cluster), undefined);
  assert.equal(podResolverConfig('shop', { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }, cluster)?.nameservers[0], '10.42.0.1');
  assert.equal(podResolverConfig('shop', { dnsPolicy: 'Default' }, cluster), undefined);
  assert.equal(podResolverConfig('shop', {}, undefined), undefined, 'no cluster DNS on this node');
});

test('dnsConfig adds nameservers and searches and overrides options; None takes only dnsConfig', () => {
  assert.deepEqual(podResolverConfig('shop', { dnsConfig: { searches: ['corp.example'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } }, cluster), {
    nameservers: ['10.42.0.1'],
    searches: ['shop.svc.cluster.local', 'svc.cluster.local', 'cluster.local', 'corp.example'],
    options: ['ndots:2', 'edns0'],
  });
  assert.deepEqual(podResolverConfig('shop', { dnsPolicy: 'None', dnsConfig: { nameservers: ['1.1.1.1'] } }, cluster), { nameservers: ['1.1.1.1'], searches: [], options: [] });
});
