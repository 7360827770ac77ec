import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources, podStatusCells } from './index.js';

const type = (resource: string) => resources.find((r) => r.resource === resource)!;
const now = new Date('2025-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(now.getTime() - seconds * 1000).toISOString();

function pod(spec: any, status: any, meta: any = {}): any {
  return { metadata: { name: 'p', namespace: 'default', creationTimestamp: ago(600), ...meta }, spec, status };
}

const running = { running: { startedAt: ago(500) } };

test('pod STATUS, READY and RESTARTS cells', () => {
  const two = { containers: [{ name: 'a' }, { name: 'b' }] };
  assert.deepEqual(podStatusCells(pod(two, { phase: 'Pending' }), now), { ready: '0/2', status: 'Pending', restarts: '0' });
  assert.deepEqual(podStatusCells(pod(two, {
    phase: 'Running',
    containerStatuses: [
      { name: 'a', ready: true, restartCount: 3, state: running, lastState: { terminated: { exitCode: 1, finishedAt: ago(300) } } },
      { name: 'b', ready: true, restartCount: 0, state: running },
    ],
  }), now), { ready: '2/2', status: 'Running', restarts: '3 (5m ago)' });
  assert.equal(podStatusCells(pod(two, {
    phase: 'Pending',
    containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'ImagePullBackOff' } } }],
  }), now).status, 'ImagePullBackOff');
  assert.equal(podStatusCells(pod({ containers: [{ name: 'a' }] }, {
    phase: 'Succeeded', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }],
  }), now).status, 'Completed');
  assert.equal(podStatusCells(pod({ containers: [{ name: 'a' }] }, {
    phase: 'Failed', containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { terminated: { exitCode: 137 } } }],
  }), now).status, 'ExitCode:137');
});

test('init container progress', () => {
  const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }], containers: [{ name: 'a' }] };
  assert.equal(podStatusCells(pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } },
      { name: 'i2', restartCount: 0, state: running },
    ],
  }), now).status, 'Init:1/2');
  assert.equal(podStatusCells(pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [{ name: 'i1', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } }],
  }), now).status, 'Init:CrashLoopBackOff');
  assert.equal(podStatusCells(pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [{ name: 'i1', restartCount: 0, state: { terminated: { exitCode: 2, reason: 'Error' } } }],
  }), now).status, 'Init:Error');
  assert.equal(podStatusCells(pod(spec, {
    phase: 'Pending',
    initContainerStatuses: [
      { name: 'i1', restartCount: 0, state: { terminated: { exitCode: 0 } } },
      { name: 'i2', restartCount: 0, state: { terminated: { exitCode: 0 } } },
    ],
    containerStatuses: [{ name: 'a', ready: false, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } } }],
  }), now).status, 'PodInitializing');
});

test('sidecars count toward READY; deletion shows Terminating or Unknown', () => {
  const spec = { initContainers: [{ name: 'side', restartPolicy: 'Always' }], containers: [{ name: 'a' }] };
  const status = {
    phase: 'Running',
    conditions: [{ type: 'Initialized', status: 'True' }],
    initContainerStatuses: [{ name: 'side', ready: true, started: true, restartCount: 0, state: running }],
    containerStatuses: [{ name: 'a', ready: true, restartCount: 0, state: running }],
  };
  assert.deepEqual(podStatusCells(pod(spec, status), now), { ready: '2/2', status: 'Running', restarts: '0' });
  assert.equal(podStatusCells(pod(spec, status, { deletionTimestamp: ago(1) }), now).status, 'Terminating');
  assert.equal(podStatusCells(pod(spec, { ...status, reason: 'NodeLost' }, { deletionTimestamp: ago(1) }), now).status, 'Unknown');
  assert.equal(podStatusCells(pod(spec, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' }] }), now).status, 'SchedulingGated');
});

test('pod row with wide columns', () => {
  const row = type('pods').table!.cells(pod({ containers: [{ name: 'a' }], nodeName: 'n1', readinessGates: [{ conditionType: 'x/y' }] }, {
    phase: 'Running', podIPs: [{ ip: '10.42.0.5' }], conditions: [{ type: 'x/y', status: 'True' }],
    containerStatuses: [{ name: 'a', ready: true, restartCount: 0, state: running }],
  }), now);
  assert.deepEqual(row, ['p', '1/1', 'Running', '0', '10m', '10.42.0.5', 'n1', '<none>', '1/1']);
  assert.equal(type('pods').table!.columns.length, row.length);
  assert.equal(type('pods').table!.columns[0].format, 'name');
});

test('service cells', () => {
  const cells = (spec: any, status: any = {}) => type('services').table!.cells({ metadata: { name: 's', creationTimestamp: ago(60) }, spec, status }, now);
  assert.deepEqual(cells({ type: 'ClusterIP', clusterIP: '10.43.0.1', clusterIPs: ['10.43.0.1'], ports: [{ port: 80, protocol: 'TCP' }], selector: { app: 'web' } }),
    ['s', 'ClusterIP', '10.43.0.1', '<none>', '80/TCP', '60s', 'app=web']);
  assert.deepEqual(cells({ type: 'NodePort', clusterIPs: ['10.43.0.2'], ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }] }).slice(3, 5), ['<none>', '80:30080/TCP']);
  assert.equal(cells({ type: 'LoadBalancer', clusterIPs: ['10.43.0.3'], ports: [] })[3], '<pending>');
  assert.equal(cells({ type: 'LoadBalancer', clusterIPs: ['10.43.0.3'], ports: [] }, { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } })[3], '1.2.3.4');
  assert.deepEqual(cells({ type: 'ExternalName', externalName: 'example.com' }).slice(2, 5), ['<none>', 'example.com', '<none>']);
});

test('node, event, secret, endpoints, pvc and quota cells', () => {
  const node: any = {
    metadata: { name: 'n1', creationTimestamp: ago(3600), labels: { 'node-role.kubernetes.io/control-plane': '' } },
    spec: { unschedulable: true },
    status: { conditions: [{ type: 'Ready', status: 'True' }], addresses: [{ type: 'InternalIP', address: '10.0.0.1' }], nodeInfo: { kubeletVersion: 'v1.32.0' } },
  };
  assert.deepEqual(type('nodes').table!.cells(node, now), ['n1', 'Ready,SchedulingDisabled', 'control-plane', '60m', 'v1.32.0', '10.0.0.1', '<none>', '<unknown>', '<unknown>', '<unknown>']);
  const event: any = { metadata: { name: 'e1' }, type: 'Normal', reason: 'Scheduled', message: 'ok ', involvedObject: { kind: 'Pod', name: 'p' }, source: { component: 'default-scheduler' }, firstTimestamp: ago(30), lastTimestamp: ago(10), count: 2 };
  assert.deepEqual(type('events').table!.cells(event, now), ['10s', 'Normal', 'Scheduled', 'pod/p', '', 'default-scheduler', 'ok', '30s', 2, 'e1']);
  assert.deepEqual(type('secrets').table!.cells({ metadata: { name: 's', creationTimestamp: ago(5) }, type: 'Opaque', data: { a: 'eA==' } }, now), ['s', 'Opaque', 1, '5s']);
  const ep: any = { metadata: { name: 'e' }, subsets: [{ addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }, { ip: '10.0.0.3' }, { ip: '10.0.0.4' }], ports: [{ port: 80 }] }] };
  assert.equal(type('endpoints').table!.cells(ep, now)[1], '10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 1 more...');
  assert.equal(type('endpoints').table!.cells({ metadata: { name: 'e' } }, now)[1], '<none>');
  const pvc: any = { metadata: { name: 'c', creationTimestamp: ago(5) }, spec: { volumeName: 'pv1', storageClassName: 'local', volumeMode: 'Filesystem' }, status: { phase: 'Bound', capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'] } };
  assert.deepEqual(type('persistentvolumeclaims').table!.cells(pvc, now), ['c', 'Bound', 'pv1', '1Gi', 'RWO', 'local', '<unset>', '5s', 'Filesystem']);
  const quota: any = { metadata: { name: 'q', creationTimestamp: ago(5) }, status: { hard: { pods: '10', 'limits.cpu': '2' }, used: { pods: '1' } } };
  assert.deepEqual(type('resourcequotas').table!.cells(quota, now), ['q', '5s', 'pods: 1/10', 'limits.cpu: 0/2']);
});

test('every kind has a table whose cells match its columns, and selectable fields', () => {
  for (const t of resources) {
    const cells = t.table!.cells({ metadata: { name: 'x' } }, now);
    assert.equal(cells.length, t.table!.columns.length, t.resource);
  }
  const p = type('pods').selectableFields!({ metadata: { name: 'p' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } });
  assert.equal(p['spec.nodeName'], 'n1');
  assert.equal(p['spec.hostNetwork'], 'false');
  assert.equal(p['status.phase'], 'Running');
  assert.equal(type('nodes').selectableFields!({ metadata: { name: 'n' }, spec: {} })['spec.unschedulable'], 'false');
  assert.equal(type('replicationcontrollers').selectableFields!({ metadata: { name: 'r' }, status: { replicas: 3 } })['status.replicas'], '3');
});
