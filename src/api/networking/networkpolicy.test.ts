import { test } from 'node:test';
import assert from 'node:assert/strict';
import { networkpolicies, type NetworkPolicy } from './networkpolicy.js';
import { renderFieldError } from '../../machinery/status.js';

const policy = (spec: NetworkPolicy['spec']): NetworkPolicy => ({
  metadata: { name: 'deny', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
  spec,
});
const check = (obj: NetworkPolicy) => {
  networkpolicies.defaults!(obj);
  return networkpolicies.validate!(obj, { operation: 'create' }).map(renderFieldError);
};

test('policyTypes default to Ingress, plus Egress when egress rules exist; ports default to TCP', () => {
  const ingressOnly = policy({ podSelector: {} });
  networkpolicies.defaults!(ingressOnly);
  assert.deepEqual(ingressOnly.spec!.policyTypes, ['Ingress']);
  const both = policy({ podSelector: {}, egress: [{ ports: [{ port: 53 }] }] });
  networkpolicies.defaults!(both);
  assert.deepEqual(both.spec!.policyTypes, ['Ingress', 'Egress']);
  assert.deepEqual(both.spec!.egress![0].ports, [{ port: 53, protocol: 'TCP' }]);
  const explicit = policy({ podSelector: {}, egress: [{}], policyTypes: ['Egress'] });
  networkpolicies.defaults!(explicit);
  assert.deepEqual(explicit.spec!.policyTypes, ['Egress']);
});

test('peers, ports and ip blocks', () => {
  assert.deepEqual(
    check(policy({
      podSelector: { matchExpressions: [{ key: 'app', operator: 'In' }] },
      ingress: [{
        from: [{}, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '192.168.0.0/16'] }, podSelector: {} }],
        ports: [{ port: 'http', endPort: 90 }, { port: 90, endPort: 80 }, { protocol: 'ICMP' }],
      }],
    })),
    [
      "spec.podSelector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric',
      'spec.ingress[0].ports[1].endPort: Invalid value: 90: must be greater than or equal to `port`',
      'spec.ingress[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
      'spec.ingress[0].from[0]: Required value: must specify a peer',
      'spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: "192.168.0.0/16": must be a strict subset of `cidr`',
      'spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer',
    ],
  );
  assert.deepEqual(check(policy({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '2001:db8::/32', except: ['2001:db8:1::/48'] } }] }] })), []);
  assert.deepEqual(check(policy({ podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0' } }] }] })), [
    'spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.0.0.0": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
  ]);
  assert.deepEqual(check(policy({ podSelector: {}, policyTypes: ['Ingress', 'Outbound'] })), [
    'spec.policyTypes[1]: Unsupported value: "Outbound": supported values: "Ingress", "Egress"',
  ]);
});

test('table: NAME POD-SELECTOR AGE', () => {
  const now = new Date('2024-01-02T00:00:00Z');
  assert.deepEqual(networkpolicies.table!.cells(policy({ podSelector: {} }), now), ['deny', '<none>', '24h']);
  const sel = { matchLabels: { tier: 'db', app: 'web' }, matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['test', 'dev'] }, { key: 'canary', operator: 'DoesNotExist' }] };
  assert.equal(networkpolicies.table!.cells(policy({ podSelector: sel }), now)[1], 'app=web,!canary,env notin (dev,test),tier=db');
});
