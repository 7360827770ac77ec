import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError, type FieldErrorLike } from '../../machinery/status.js';
import { resources, validatePodSpec, validatePodTemplateSpec, defaultPod } from './index.js';

const type = (resource: string) => resources.find((r) => r.resource === resource)!;
const render = (errs: FieldErrorLike[]) => errs.map(renderFieldError);

function pod(spec: any): any {
  const p: any = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec };
  defaultPod(p);
  return p;
}

function podErrors(spec: any): string[] {
  return render(type('pods').validate!(pod(spec), { operation: 'create' }));
}

test('a minimal pod is valid', () => {
  assert.deepEqual(podErrors({ containers: [{ name: 'web', image: 'nginx' }] }), []);
});

test('common pod mistakes get upstream messages', () => {
  assert.deepEqual(podErrors({ containers: [] }), ['spec.containers: Required value']);
  assert.deepEqual(podErrors({ containers: [{ name: 'web' }] }), ['spec.containers[0].image: Required value']);
  assert.ok(podErrors({ containers: [{ name: 'Web', image: 'x' }] })[0].startsWith('spec.containers[0].name: Invalid value: "Web": a lowercase RFC 1123 label'));
  assert.deepEqual(podErrors({ containers: [{ name: 'a', image: 'x' }, { name: 'a', image: 'y' }] }), ['spec.containers[1].name: Duplicate value: "a"']);
  assert.deepEqual(podErrors({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 70000 }] }] }), [
    'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
  ]);
  assert.deepEqual(podErrors({ containers: [{ name: 'a', image: 'x', ports: [{ containerPort: 80, protocol: 'HTTP' }] }] }), [
    'spec.containers[0].ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
  ]);
  assert.deepEqual(podErrors({ restartPolicy: 'Sometimes', containers: [{ name: 'a', image: 'x' }] }), [
    'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
  ]);
  assert.deepEqual(podErrors({ containers: [{ name: 'a', image: 'x', volumeMounts: [{ name: 'data', mountPath: '/d' }] }] }), [
    'spec.containers[0].volumeMounts[0].name: Not found: "data"',
  ]);
  assert.deepEqual(podErrors({ containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '2' }, limits: { cpu: '1' } } }] }), [
    'spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1',
  ]);
  assert.deepEqual(podErrors({ containers: [{ name: 'a', image: 'x', env: [{ name: '1BAD' }] }] }).length, 1);
  assert.deepEqual(podErrors({ containers: [{ name: 'a', image: 'x', livenessProbe: { periodSeconds: 5 } }] }), [
    'spec.containers[0].livenessProbe: Required value: must specify a handler type',
  ]);
  assert.deepEqual(podErrors({ volumes: [{ name: 'v', emptyDir: {} }, { name: 'v', emptyDir: {} }], containers: [{ name: 'a', image: 'x' }] }), [
    'spec.volumes[1].name: Duplicate value: "v"',
  ]);
});

test('pod updates may only change images and a few fields', () => {
  const old = pod({ containers: [{ name: 'a', image: 'x:1' }] });
  const imageOnly = structuredClone(old);
  imageOnly.spec.containers[0].image = 'x:2';
  assert.deepEqual(type('pods').validateUpdate!(imageOnly, old), []);
  const ports = structuredClone(old);
  ports.spec.containers[0].ports = [{ containerPort: 80, protocol: 'TCP' }];
  const errs = render(type('pods').validateUpdate!(ports, old));
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^spec: Forbidden: pod updates may not change fields other than `spec.containers\[\*\].image`/);
  const tolerated = structuredClone(old);
  tolerated.spec.tolerations = [{ key: 'k', operator: 'Exists' }];
  assert.deepEqual(type('pods').validateUpdate!(tolerated, old), []);
});

test('pod templates validate labels and spec', () => {
  const errs = render(validatePodTemplateSpec({ metadata: { labels: { 'bad key!': 'v' } }, spec: { containers: [] } }, 'spec.template'));
  assert.ok(errs.some((e) => e.startsWith('spec.template.metadata.labels: Invalid value: "bad key!"')));
  assert.ok(errs.includes('spec.template.spec.containers: Required value'));
  assert.ok(validatePodSpec(undefined, 'spec').length === 1);
});

function svcErrors(spec: any, name = 'web'): string[] {
  const svc: any = { metadata: { name, namespace: 'default' }, spec };
  type('services').defaults!(svc);
  return render(type('services').validate!(svc, { operation: 'create' }));
}

test('service validation', () => {
  assert.deepEqual(svcErrors({ ports: [{ port: 80 }], selector: { app: 'web' } }), []);
  assert.deepEqual(svcErrors({ selector: { app: 'web' } }), ['spec.ports: Required value']);
  assert.deepEqual(svcErrors({ clusterIP: 'None' }), []);
  assert.deepEqual(svcErrors({ type: 'ExternalName', externalName: 'example.com' }), []);
  assert.deepEqual(svcErrors({ ports: [{ port: 80 }, { port: 81 }] }), ['spec.ports[0].name: Required value', 'spec.ports[1].name: Required value']);
  assert.deepEqual(svcErrors({ type: 'NodePort', ports: [{ port: 80, nodePort: 80 }] }), [
    'spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767',
  ]);
  assert.deepEqual(svcErrors({ type: 'Public', ports: [{ port: 80 }] }).slice(0, 1), [
    'spec.type: Unsupported value: "Public": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
  ]);
  assert.ok(svcErrors({ ports: [{ port: 80 }] }, '1web')[0].startsWith('metadata.name: Invalid value: "1web": a DNS-1035 label'));
  const old: any = { metadata: { name: 'web', namespace: 'default' }, spec: { clusterIP: '10.43.0.10', ports: [{ port: 80 }] } };
  const next = structuredClone(old);
  next.spec.clusterIP = '10.43.0.11';
  assert.deepEqual(render(type('services').validateUpdate!(next, old)), ['spec.clusterIPs[0]: Invalid value: "10.43.0.11": may not change once set']);
});

test('config maps and secrets: keys, size, immutability, type', () => {
  const cm: any = { metadata: { name: 'c', namespace: 'default' }, data: { 'good.key': 'v', 'bad key': 'v' } };
  const errs = render(type('configmaps').validate!(cm, { operation: 'create' }));
  assert.equal(errs.length, 1);
  assert.match(errs[0], /^data\[bad key\]: Invalid value: "bad key": a valid config key must consist of alphanumeric characters/);
  const big: any = { metadata: { name: 'c', namespace: 'default' }, data: { a: 'x'.repeat(1024 * 1024 + 1) } };
  assert.deepEqual(render(type('configmaps').validate!(big, { operation: 'create' })), ['Too long: may not be more than 1048576 bytes']);
  const old: any = { metadata: { name: 'c', namespace: 'default' }, immutable: true, data: { a: '1' } };
  const changed = { ...structuredClone(old), data: { a: '2' } };
  assert.deepEqual(render(type('configmaps').validateUpdate!(changed, old)), ['data: Forbidden: field is immutable when `immutable` is set']);

  const tls: any = { metadata: { name: 't', namespace: 'default' }, type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } };
  assert.deepEqual(render(type('secrets').validate!(tls, { operation: 'create' })), ['data[tls.key]: Required value']);
  const retyped = { ...structuredClone(tls), type: 'Opaque' };
  assert.deepEqual(render(type('secrets').validateUpdate!(retyped, tls)), ['type: Invalid value: "Opaque": field is immutable']);
});

test('pvc, namespace, event and rc validation', () => {
  const pvc: any = { metadata: { name: 'c', namespace: 'default' }, spec: {} };
  type('persistentvolumeclaims').defaults!(pvc);
  assert.deepEqual(render(type('persistentvolumeclaims').validate!(pvc, { operation: 'create' })), [
    'spec.accessModes: Required value: at least 1 access mode is required',
    'spec.resources[storage]: Required value',
  ]);
  const bound: any = { metadata: { name: 'c', namespace: 'default' }, spec: { accessModes: ['ReadWriteOnce'], volumeName: 'v', resources: { requests: { storage: '1Gi' } } }, status: { phase: 'Bound' } };
  const grown = structuredClone(bound);
  grown.spec.resources.requests.storage = '2Gi';
  assert.deepEqual(type('persistentvolumeclaims').validateUpdate!(grown, bound), []);
  const remoded = structuredClone(bound);
  remoded.spec.accessModes = ['ReadWriteMany'];
  assert.match(render(type('persistentvolumeclaims').validateUpdate!(remoded, bound))[0], /^spec: Forbidden: spec is immutable after creation/);

  const ns: any = { metadata: { name: 'Team' } };
  assert.match(render(type('namespaces').validate!(ns, { operation: 'create' }))[0], /^metadata.name: Invalid value: "Team"/);

  const event: any = { metadata: { name: 'e', namespace: 'default' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'other' } };
  assert.deepEqual(render(type('events').validate!(event, { operation: 'create' })), ['involvedObject.namespace: Invalid value: "other": does not match event.namespace']);

  const rc: any = { metadata: { name: 'r', namespace: 'default' }, spec: { selector: { app: 'a' }, template: { metadata: { labels: { app: 'b' } }, spec: { containers: [{ name: 'c', image: 'x' }] } } } };
  type('replicationcontrollers').defaults!(rc);
  assert.deepEqual(render(type('replicationcontrollers').validate!(rc, { operation: 'create' })), [
    'spec.template.metadata.labels: Invalid value: map[string]string{"app":"b"}: `selector` does not match template `labels`',
  ]);
});
