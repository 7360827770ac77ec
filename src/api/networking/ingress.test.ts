import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ingressclasses, ingresses } from './ingress.js';
import type { Ingress, IngressClass } from './ingress-schema.js';
import { renderFieldError } from '../../machinery/status.js';

const backend = { service: { name: 'web', port: { number: 80 } } };
const ingress = (spec: Ingress['spec'], annotations?: Record<string, string>): Ingress => ({
  metadata: { name: 'web', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z', annotations },
  spec,
});
const check = (obj: Ingress, operation: 'create' | 'update' = 'create') => ingresses.validate!(obj, { operation }).map(renderFieldError);

test('a typical ingress is valid; status is cleared on create', () => {
  const obj = ingress({
    ingressClassName: 'nginx',
    rules: [{ host: 'example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend }] } }],
    tls: [{ hosts: ['example.com', '*.example.com'], secretName: 'tls' }],
  });
  obj.status = { loadBalancer: { ingress: [{ ip: '1.2.3.4' }] } };
  ingresses.prepareForCreate!(obj);
  assert.deepEqual(obj.status, { loadBalancer: {} });
  assert.deepEqual(check(obj), []);
  assert.equal(ingresses.hasGeneration, true);
});

test('pathType is required in v1 and paths must be absolute', () => {
  assert.deepEqual(check(ingress({ rules: [{ http: { paths: [{ path: '/', backend }] } }] })), [
    'spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified',
  ]);
  assert.deepEqual(check(ingress({ rules: [{ http: { paths: [{ path: 'api//v1', pathType: 'Exact', backend }] } }] })), [
    'spec.rules[0].http.paths[0].path: Invalid value: "api//v1": must be an absolute path',
    `spec.rules[0].http.paths[0].path: Invalid value: "api//v1": must not contain '//'`,
  ]);
  assert.deepEqual(check(ingress({ rules: [{ http: { paths: [{ path: '/', pathType: 'Regex', backend }] } }] })), [
    'spec.rules[0].http.paths[0].pathType: Unsupported value: "Regex": supported values: "Exact", "ImplementationSpecific", "Prefix"',
  ]);
});

test('backends, hosts and the rules-or-default rule', () => {
  assert.deepEqual(check(ingress({})), ['spec: Invalid value: either `defaultBackend` or `rules` must be specified']);
  assert.deepEqual(check(ingress({ defaultBackend: { service: { name: 'web' } } })), ['spec.defaultBackend: Required value: port name or number is required']);
  assert.deepEqual(check(ingress({ defaultBackend: { service: { name: 'web', port: { name: 'http', number: 80 } } } })), [
    'spec.defaultBackend: Invalid value: "": cannot set both port name & port number',
  ]);
  assert.deepEqual(check(ingress({ defaultBackend: {} })), ['spec.defaultBackend: Invalid value: "": resource or service backend is required']);
  assert.deepEqual(check(ingress({ defaultBackend: backend, rules: [{ host: '10.0.0.1' }] })), [
    'spec.rules[0].host: Invalid value: "10.0.0.1": must be a DNS name, not an IP address',
  ]);
});

test('the legacy class annotation conflicts with ingressClassName on create only', () => {
  const obj = ingress({ ingressClassName: 'nginx', defaultBackend: backend }, { 'kubernetes.io/ingress.class': 'nginx' });
  assert.deepEqual(check(obj), ['annotations.kubernetes.io/ingress.class: Invalid value: "nginx": can not be set when the class field is also set']);
  assert.deepEqual(check(obj, 'update'), []);
});

test('status updates check load balancer addresses', () => {
  const obj = ingress({ defaultBackend: backend });
  obj.status = { loadBalancer: { ingress: [{ ip: 'nope' }, { hostname: '1.2.3.4' }] } };
  assert.deepEqual(ingresses.validateStatusUpdate!(obj, obj).map(renderFieldError), [
    'status.loadBalancer.ingress[0].ip: Invalid value: "nope": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    'status.loadBalancer.ingress[1].hostname: Invalid value: "1.2.3.4": must be a DNS name, not an IP address',
  ]);
});

test('ingress table: NAME CLASS HOSTS ADDRESS PORTS AGE', () => {
  const now = new Date('2024-01-01T00:03:00Z');
  const obj = ingress({ rules: [{ host: 'a.com' }, { host: 'b.com' }, {}, { host: 'd.com' }, { host: 'e.com' }], tls: [{}] });
  obj.status = { loadBalancer: { ingress: [{ ip: '10.0.0.2' }, { hostname: 'lb.example.com' }, { ip: '10.0.0.1' }] } };
  assert.deepEqual(ingresses.table!.cells(obj, now), ['web', '<none>', 'a.com,b.com,d.com + 2 more...', '10.0.0.1,10.0.0.2,lb.example.com', '80, 443', '3m']);
  assert.deepEqual(ingresses.table!.cells(ingress({ ingressClassName: 'nginx', defaultBackend: backend }), now).slice(1, 5), ['nginx', '*', '', '80']);
  assert.deepEqual(ingresses.table!.columns.map((c) => c.name), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
});

const ingressClass = (spec: IngressClass['spec']): IngressClass => ({ metadata: { name: 'nginx', creationTimestamp: '2024-01-01T00:00:00Z' }, spec });

test('ingress class: controller is a domain-prefixed path, immutable; parameters scope defaults to Cluster', () => {
  const obj = ingressClass({ controller: 'k8s.io/ingress-nginx', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } });
  ingressclasses.defaults!(obj);
  assert.equal(obj.spec!.parameters!.scope, 'Cluster');
  assert.deepEqual(ingressclasses.validate!(obj, { operation: 'create' }), []);
  assert.deepEqual(ingressclasses.table!.cells(obj, new Date('2024-01-01T00:00:10Z')), [
    'nginx', 'k8s.io/ingress-nginx', 'IngressParameters.k8s.example.com/external-lb', '10s',
  ]);
  const bad = ingressClass({ controller: 'nginx', parameters: { kind: 'P', name: 'p', scope: 'Namespace' } });
  assert.deepEqual(ingressclasses.validate!(bad, { operation: 'create' }).map(renderFieldError), [
    'spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")',
    "spec.parameters.namespace: Required value: `parameters.scope` is set to 'Namespace'",
  ]);
  const next = ingressClass({ controller: 'example.com/other' });
  assert.deepEqual(ingressclasses.validateUpdate!(next, obj).map(renderFieldError), ['spec.controller: Invalid value: "example.com/other": field is immutable']);
});
