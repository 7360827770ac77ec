import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resources, podQOSClass, foldStringData, PodSpecSchema } from './index.js';

const type = (resource: string) => resources.find((r) => r.resource === resource)!;

test('secret stringData is folded into data on create and update', () => {
  const secret: any = { metadata: { name: 's', namespace: 'd' }, data: { a: 'b2xk', keep: 'eA==' }, stringData: { a: 'new', b: 'héllo' } };
  type('secrets').prepareForCreate!(secret);
  assert.equal(secret.stringData, undefined);
  assert.deepEqual(secret.data, { a: Buffer.from('new').toString('base64'), keep: 'eA==', b: Buffer.from('héllo').toString('base64') });
  const updated: any = { metadata: { name: 's' }, stringData: { c: 'x' } };
  type('secrets').prepareForUpdate!(updated, secret);
  assert.deepEqual(updated.data, { c: 'eA==' });
  const none: any = { metadata: { name: 's' } };
  foldStringData(none);
  assert.equal(none.data, undefined);
});

test('QoS classes', () => {
  const c = (resources: any) => ({ name: 'c', image: 'x', resources });
  assert.equal(podQOSClass({ containers: [c(undefined)] }), 'BestEffort');
  assert.equal(podQOSClass({ containers: [c({ requests: { cpu: '100m' } })] }), 'Burstable');
  assert.equal(podQOSClass({ containers: [c({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '1000m', memory: '1Gi' } })] }), 'Guaranteed');
  assert.equal(podQOSClass({ containers: [c({ limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '500m', memory: '1Gi' } })] }), 'Burstable');
  assert.equal(podQOSClass({ containers: [c({ limits: { cpu: '1' }, requests: { cpu: '1' } })] }), 'Burstable');
  assert.equal(podQOSClass({ containers: [c({ requests: { 'example.com/gpu': '1' } })] }), 'BestEffort');
});

test('pod create status: Pending with QoS; scheduling gates add a condition', () => {
  const pod: any = { metadata: { name: 'p' }, spec: { containers: [{ name: 'a', image: 'x', resources: { limits: { cpu: '1', memory: '1Gi' } } }] }, status: { phase: 'Running' } };
  type('pods').defaults!(pod);
  type('pods').prepareForCreate!(pod);
  assert.deepEqual(pod.status, { phase: 'Pending', qosClass: 'Guaranteed' });
  const gated: any = { metadata: { name: 'p' }, spec: { schedulingGates: [{ name: 'g' }], containers: [{ name: 'a', image: 'x' }] } };
  type('pods').prepareForCreate!(gated);
  assert.equal(gated.status.conditions[0].reason, 'SchedulingGated');
});

test('namespace update keeps spec finalizers; names, short names and subresources as upstream', () => {
  const old: any = { metadata: { name: 'n' }, spec: { finalizers: ['kubernetes'] } };
  const next: any = { metadata: { name: 'n' }, spec: { finalizers: [] } };
  type('namespaces').prepareForUpdate!(next, old);
  assert.deepEqual(next.spec.finalizers, ['kubernetes']);
  const short = Object.fromEntries(resources.map((r) => [r.resource, r.shortNames?.[0]]));
  assert.equal(short.persistentvolumeclaims, 'pvc');
  assert.equal(short.resourcequotas, 'quota');
  assert.equal(short.limitranges, 'limits');
  assert.deepEqual(resources.filter((r) => r.categories?.includes('all')).map((r) => r.resource).sort(), ['pods', 'replicationcontrollers', 'services']);
  assert.equal(resources.length, 15);
  assert.equal(type('replicationcontrollers').hasGeneration, true);
  assert.ok(!type('pods').hasGeneration);
});

test('schema patch metadata on pod lists', () => {
  const props = PodSpecSchema.properties!;
  assert.equal(props.volumes['x-kubernetes-patch-strategy'], 'merge,retainKeys');
  assert.equal(props.containers['x-kubernetes-patch-merge-key'], 'name');
  assert.equal(props.tolerations['x-kubernetes-list-type'], 'atomic');
  const container = props.containers.items!.properties!;
  assert.deepEqual(container.ports['x-kubernetes-list-map-keys'], ['containerPort', 'protocol']);
  assert.equal(container.volumeMounts['x-kubernetes-patch-merge-key'], 'mountPath');
  assert.equal(container.envFrom['x-kubernetes-patch-merge-key'], undefined);
  const svcPorts = type('services').schema.properties!.spec.properties!.ports;
  assert.deepEqual(svcPorts['x-kubernetes-list-map-keys'], ['port', 'protocol']);
});
