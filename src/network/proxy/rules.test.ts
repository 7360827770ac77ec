import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderRuleset } from './rules.js';

test('ClusterIP, NodePort and LoadBalancer ports DNAT to ready endpoints; a port without endpoints rejects', () => {
  const script = renderRuleset(
    [
      { namespace: 'shop', name: 'web', type: 'NodePort', clusterIP: '10.43.1.2', ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080, endpoints: [{ ip: '10.42.0.5', port: 8080 }, { ip: '10.42.0.6', port: 8080 }] }] },
      { namespace: 'shop', name: 'dns', type: 'ClusterIP', clusterIP: '10.43.1.3', ports: [{ protocol: 'UDP', port: 53, endpoints: [{ ip: '10.42.0.7', port: 53 }] }] },
      { namespace: 'shop', name: 'empty', type: 'LoadBalancer', clusterIP: '10.43.1.4', ports: [{ protocol: 'TCP', port: 81, nodePort: 30081, endpoints: [] }] },
      { namespace: 'shop', name: 'headless', type: 'ClusterIP', clusterIP: 'None', ports: [{ protocol: 'TCP', port: 5432, endpoints: [{ ip: '10.42.0.8', port: 5432 }] }] },
    ],
    { table: 'skiff-42-0', clusterCIDR: '10.42.0.0/16' },
  );
  assert.match(script, /^table ip skiff-42-0 \{\}\ndelete table ip skiff-42-0\n/, 'replaced in one transaction');
  assert.match(script, /ip daddr 10\.43\.1\.2 tcp dport 80 dnat ip to numgen random mod 2 map \{ 0 : 10\.42\.0\.5 \. 8080, 1 : 10\.42\.0\.6 \. 8080 \} comment "shop\/web:http"/);
  assert.match(script, /fib daddr type local tcp dport 30080 dnat ip to numgen random mod 2 map/);
  assert.match(script, /ip daddr 10\.43\.1\.3 udp dport 53 dnat ip to 10\.42\.0\.7:53/);
  assert.match(script, /ip daddr 10\.43\.1\.4 tcp dport 81 reject/);
  assert.match(script, /fib daddr type local tcp dport 81 reject/, 'a LoadBalancer also answers on its port at the node');
  assert.doesNotMatch(script, /5432/, 'headless services are DNS only');
  assert.match(script, /ct status dnat ip saddr 10\.42\.0\.0\/16 masquerade/);
  assert.match(script, /ip saddr 10\.42\.0\.0\/16 ip daddr != 10\.42\.0\.0\/16 masquerade/, 'what pods send out of the pod range leaves with the node\'s address');
});

test('traffic policies Local reach only this node\'s endpoints, and drop when it has none', () => {
  const script = renderRuleset(
    [
      {
        namespace: 'shop',
        name: 'local',
        type: 'NodePort',
        clusterIP: '10.43.2.1',
        internalLocal: true,
        externalLocal: true,
        ports: [{ protocol: 'TCP', port: 80, nodePort: 30090, endpoints: [{ ip: '10.42.0.5', port: 8080, local: true }, { ip: '10.42.1.5', port: 8080 }] }],
      },
      { namespace: 'shop', name: 'remote-only', type: 'NodePort', clusterIP: '10.43.2.2', externalLocal: true, ports: [{ protocol: 'TCP', port: 80, nodePort: 30091, endpoints: [{ ip: '10.42.1.6', port: 8080 }] }] },
    ],
    { table: 't', clusterCIDR: '10.42.0.0/16' },
  );
  assert.match(script, /ip daddr 10\.43\.2\.1 tcp dport 80 dnat ip to 10\.42\.0\.5:8080/);
  assert.match(script, /dport 30090 dnat ip to 10\.42\.0\.5:8080/);
  assert.match(script, /ip daddr 10\.43\.2\.2 tcp dport 80 dnat ip to 10\.42\.1\.6:8080/, 'the ClusterIP is not Local');
  assert.match(script, /dport 30091 drop/);
});

test('sessionAffinity ClientIP: known clients go back to their endpoint, new ones are placed and remembered', () => {
  const script = renderRuleset(
    [{ namespace: 'shop', name: 'sticky', type: 'ClusterIP', clusterIP: '10.43.3.1', affinitySeconds: 600, ports: [{ protocol: 'TCP', port: 80, endpoints: [{ ip: '10.42.0.5', port: 8080 }, { ip: '10.42.0.6', port: 8080 }] }] }],
    { table: 't', clusterCIDR: '10.42.0.0/16' },
  );
  assert.match(script, /ip daddr 10\.43\.3\.1 tcp dport 80 goto aff-0 comment/);
  assert.match(script, /set aff-0-1 \{\n    type ipv4_addr; flags dynamic,timeout; timeout 600s;/);
  assert.match(script, /chain aff-0 \{\n    ip saddr @aff-0-0 goto aff-0-0\n    ip saddr @aff-0-1 goto aff-0-1\n    numgen random mod 2 vmap \{ 0 : goto aff-0-0, 1 : goto aff-0-1 \}/);
  assert.match(script, /chain aff-0-0 \{\n    update @aff-0-0 \{ ip saddr timeout 600s \}\n    meta l4proto tcp dnat ip to 10\.42\.0\.5:8080/);
});
