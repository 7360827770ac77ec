import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../machinery/object.js';
import { ServiceAllocator } from './service-allocation.js';
import { StatusError } from '../machinery/status.js';

function service(name: string, spec: Record<string, unknown>): KubeObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec };
}

test('allocates a ClusterIP in the service range and never twice', () => {
  const allocator = new ServiceAllocator();
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const svc = service(`s${i}`, { ports: [{ port: 80 }] });
    allocator.allocate(svc, undefined, false);
    const ip = (svc.spec as { clusterIP: string }).clusterIP;
    assert.match(ip, /^10\.43\.\d+\.\d+$/);
    assert.ok(!seen.has(ip), `duplicate ${ip}`);
    seen.add(ip);
  }
});

test('a requested IP that is taken is refused with upstream wording', () => {
  const allocator = new ServiceAllocator();
  allocator.allocate(service('a', { clusterIP: '10.43.0.20', ports: [{ port: 80 }] }), undefined, false);
  assert.throws(
    () => allocator.allocate(service('b', { clusterIP: '10.43.0.20', ports: [{ port: 80 }] }), undefined, false),
    (err: unknown) => err instanceof StatusError && err.code === 422 && /provided IP is already allocated/.test(err.message),
  );
  assert.throws(
    () => allocator.allocate(service('c', { clusterIP: '192.168.0.1', ports: [{ port: 80 }] }), undefined, false),
    (err: unknown) => err instanceof StatusError && /not in the valid range/.test(err.message),
  );
});

test('restore marks existing allocations; release frees them', () => {
  const allocator = new ServiceAllocator();
  const existing = service('old', { clusterIP: '10.43.0.30', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
  allocator.restore([existing]);
  assert.throws(() => allocator.allocate(service('x', { clusterIP: '10.43.0.30', ports: [{ port: 80 }] }), undefined, false));
  assert.throws(() => allocator.allocate(service('y', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }), undefined, false), /already allocated/);
  allocator.release(existing);
  allocator.allocate(service('z', { clusterIP: '10.43.0.30', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }), undefined, false);
});

test('NodePort services get node ports; updates keep allocated values the client left out', () => {
  const allocator = new ServiceAllocator();
  const created = service('np', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] });
  allocator.allocate(created, undefined, false);
  const spec = created.spec as { clusterIP: string; ports: { nodePort: number }[] };
  assert.ok(spec.ports[0].nodePort >= 30000 && spec.ports[0].nodePort <= 32767);
  const update = service('np', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }] });
  allocator.allocate(update, created, false);
  const updated = update.spec as typeof spec;
  assert.equal(updated.clusterIP, spec.clusterIP);
  assert.equal(updated.ports[0].nodePort, spec.ports[0].nodePort);
});

test('headless and ExternalName services get no ClusterIP; dry runs claim nothing', () => {
  const allocator = new ServiceAllocator();
  const headless = service('h', { clusterIP: 'None', ports: [{ port: 80 }] });
  allocator.allocate(headless, undefined, false);
  assert.deepEqual((headless.spec as { clusterIPs: string[] }).clusterIPs, ['None']);
  const external = service('e', { type: 'ExternalName', externalName: 'example.com' });
  allocator.allocate(external, undefined, false);
  assert.equal((external.spec as { clusterIP?: string }).clusterIP, undefined);
  const dry = service('d', { clusterIP: '10.43.0.40', ports: [{ port: 80 }] });
  allocator.allocate(dry, undefined, true);
  allocator.allocate(service('d2', { clusterIP: '10.43.0.40', ports: [{ port: 80 }] }), undefined, false);
});
