import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkPolicy } from '../../api/networking/index.js';
import { renderPolicyChains, type PolicyInput } from './rules.js';

const pods = [
  { namespace: 'shop', name: 'web', ip: '10.42.0.2', labels: { app: 'web' }, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] },
  { namespace: 'shop', name: 'client', ip: '10.42.0.3', labels: { app: 'client' }, ports: [] },
  { namespace: 'other', name: 'stranger', ip: '10.42.0.4', labels: { app: 'client' }, ports: [] },
];
const input = (policies: NetworkPolicy[]): PolicyInput => ({ policies, pods, namespaces: new Map([['shop', { team: 'a' }], ['other', { team: 'b' }]]), nodeAddresses: ['10.42.0.1'] });

test('deny-all ingress isolates every pod of the namespace; the node and replies still pass', () => {
  const text = renderPolicyChains(input([{ metadata: { name: 'deny', namespace: 'shop' }, spec: { podSelector: {} } }])).join('\n');
  assert.match(text, /ct state established,related accept/);
  assert.match(text, /ip saddr 10\.42\.0\.1 accept/);
  assert.match(text, /ip daddr 10\.42\.0\.2 jump ingress-10-42-0-2/);
  assert.match(text, /ip daddr 10\.42\.0\.3 jump ingress-10-42-0-3/);
  assert.doesNotMatch(text, /10-42-0-4/, 'other namespaces are not isolated');
  assert.match(text, /chain ingress-10-42-0-2 \{\n    # shop\/web\n    drop\n  \}/);
});

test('an allow rule: pods by label, named ports resolved on the destination, namespaces by label, ipBlock with except', () => {
  const text = renderPolicyChains(
    input([
      {
        metadata: { name: 'allow', namespace: 'shop' },
        spec: {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [
            { from: [{ podSelector: { matchLabels: { app: 'client' } } }], ports: [{ port: 'http' }] },
            { from: [{ namespaceSelector: { matchLabels: { team: 'b' } } }, { ipBlock: { cidr: '192.168.0.0/16', except: ['192.168.1.0/24'] } }], ports: [{ port: 9000, endPort: 9010, protocol: 'UDP' }] },
          ],
        },
      },
    ]),
  ).join('\n');
  assert.match(text, /ip saddr \{ 10\.42\.0\.3 \} tcp dport 8080 return/, 'only the client of its own namespace, on the named port');
  assert.match(text, /ip saddr \{ 10\.42\.0\.4 \} udp dport 9000-9010 return/);
  assert.match(text, /ip saddr 192\.168\.0\.0\/16 ip saddr != \{ 192\.168\.1\.0\/24 \} udp dport 9000-9010 return/);
  assert.doesNotMatch(text, /jump ingress-10-42-0-3/, 'the client is not selected');
});

test('egress: a policy with egress rules isolates its pods for egress', () => {
  const text = renderPolicyChains(input([{ metadata: { name: 'out', namespace: 'shop' }, spec: { podSelector: { matchLabels: { app: 'client' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'web' } } }] }] } }])).join('\n');
  assert.match(text, /ip saddr 10\.42\.0\.3 jump egress-10-42-0-3/);
  assert.match(text, /chain egress-10-42-0-3 \{\n    # shop\/client\n    ip daddr \{ 10\.42\.0\.2 \} return\n    drop/);
  assert.match(text, /ip daddr 10\.42\.0\.3 jump ingress-10-42-0-3/, 'policyTypes default to Ingress as well');
});
