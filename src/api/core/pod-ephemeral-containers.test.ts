import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../machinery/object.js';
import { pods } from './pod.js';
import { defaultPod } from './defaults-pod.js';
import { validatePodUpdate } from './pod-update.js';
import { dropNonEphemeralContainerUpdates, validateEphemeralContainersUpdate } from './pod-ephemeral-containers.js';

function pod(ephemeralContainers?: unknown[], extra: Record<string, unknown> = {}): KubeObject {
  const p: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'x', namespace: 'default', uid: 'u1' },
    spec: {
      initContainers: [{ name: 'setup', image: 'busybox', command: ['true'] }],
      containers: [{ name: 'app', image: 'busybox', command: ['sleep', '3600'] }],
      ...(ephemeralContainers ? { ephemeralContainers } : {}),
      ...extra,
    },
  };
  defaultPod(p);
  return p;
}

const debuggerContainer = (more: Record<string, unknown> = {}) => ({ name: 'debugger', image: 'busybox', command: ['sh'], targetContainerName: 'app', ...more });

/** Validation of a pod with ephemeral containers, as the subresource runs it: the pod as a whole. */
function errorsOf(ephemeral: Record<string, unknown>): string[] {
  return pods.validate!(pod([ephemeral]), { operation: 'update' }).map((e) => `${e.type} ${e.field}${e.detail ? `: ${e.detail}` : ''}`);
}

test('ephemeral container validation: what upstream allows and refuses', () => {
  const forbidden = (field: string) => `FieldValueForbidden spec.ephemeralContainers[0].${field}: cannot be set for an Ephemeral Container`;
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['a plain debugger', debuggerContainer(), []],
    ['without a target', debuggerContainer({ targetContainerName: undefined }), []],
    ['targeting an init container', debuggerContainer({ targetContainerName: 'setup' }), []],
    ['stdin and a terminal', debuggerContainer({ stdin: true, tty: true }), []],
    ['a target that is no container', debuggerContainer({ targetContainerName: 'nope' }), ['FieldValueNotFound spec.ephemeralContainers[0].targetContainerName']],
    ['the name of a regular container', debuggerContainer({ name: 'app' }), ['FieldValueDuplicate spec.ephemeralContainers[0].name']],
    ['the name of an init container', debuggerContainer({ name: 'setup' }), ['FieldValueDuplicate spec.ephemeralContainers[0].name']],
    ['ports', debuggerContainer({ ports: [{ containerPort: 80 }] }), [forbidden('ports')]],
    ['resources', debuggerContainer({ resources: { limits: { cpu: '1' } } }), [forbidden('resources')]],
    ['empty resources (kubectl sends them)', debuggerContainer({ resources: {} }), []],
    ['a liveness probe', debuggerContainer({ livenessProbe: { exec: { command: ['true'] } } }), [forbidden('livenessProbe')]],
    ['a readiness probe', debuggerContainer({ readinessProbe: { exec: { command: ['true'] } } }), [forbidden('readinessProbe')]],
    ['a startup probe', debuggerContainer({ startupProbe: { exec: { command: ['true'] } } }), [forbidden('startupProbe')]],
    ['a lifecycle hook', debuggerContainer({ lifecycle: { preStop: { exec: { command: ['true'] } } } }), [forbidden('lifecycle')]],
    ['a restart policy', debuggerContainer({ restartPolicy: 'Always' }), [forbidden('restartPolicy')]],
    ['no image', debuggerContainer({ image: '' }), ['FieldValueRequired spec.ephemeralContainers[0].image']],
    ['a bad name', debuggerContainer({ name: 'Debug_Me' }), ['FieldValueInvalid spec.ephemeralContainers[0].name']],
  ];
  for (const [what, ephemeral, expected] of cases) {
    const errs = errorsOf(ephemeral).map((e) => (e.startsWith('FieldValueForbidden') ? e : e.split(':')[0]));
    assert.deepEqual(errs, expected, what);
  }
});

test('ephemeral containers may not be set on create, nor in a pod template', () => {
  const created = pods.validate!(pod([debuggerContainer()]), { operation: 'create' });
  assert.deepEqual(created.map((e) => [e.field, e.detail]), [['spec.ephemeralContainers', 'cannot be set on create']]);
});

test('the subresource adds ephemeral containers; changing or removing one is forbidden with upstream messages', () => {
  const old = pod([debuggerContainer()]);
  const added = dropNonEphemeralContainerUpdates(pod([debuggerContainer(), debuggerContainer({ name: 'second' })]), old);
  assert.deepEqual(validateEphemeralContainersUpdate(added, old), []);
  // The order may change (a patch need not keep it).
  const reordered = dropNonEphemeralContainerUpdates(pod([debuggerContainer({ name: 'second' }), debuggerContainer()]), old);
  assert.deepEqual(validateEphemeralContainersUpdate(reordered, old), []);

  const removed = validateEphemeralContainersUpdate(dropNonEphemeralContainerUpdates(pod([]), old), old);
  assert.deepEqual(removed, [{ type: 'FieldValueForbidden', field: 'spec.ephemeralContainers', detail: 'existing ephemeral containers "debugger" may not be removed\n' }]);

  const changed = validateEphemeralContainersUpdate(dropNonEphemeralContainerUpdates(pod([debuggerContainer({ command: ['top'] })]), old), old);
  assert.equal(changed.length, 1);
  assert.equal(changed[0].field, 'spec.ephemeralContainers');
  assert.match(changed[0].detail ?? '', /^existing ephemeral containers "debugger" may not be changed\n.*command/);
});

test('everything but spec.ephemeralContainers is dropped from a write through the subresource', () => {
  const old = pod();
  old.metadata.labels = { app: 'x' };
  old.status = { phase: 'Running' };
  const next = pod([debuggerContainer()], { activeDeadlineSeconds: 5 });
  next.metadata.labels = { app: 'changed' };
  next.status = { phase: 'Failed' };
  const stored = dropNonEphemeralContainerUpdates(next, old);
  assert.deepEqual(stored.metadata.labels, { app: 'x' });
  assert.deepEqual(stored.status, { phase: 'Running' });
  assert.equal((stored.spec as any).activeDeadlineSeconds, undefined);
  assert.equal((stored.spec as any).ephemeralContainers[0].name, 'debugger');
  // A changed uid is still reported.
  next.metadata.uid = 'other';
  assert.deepEqual(validateEphemeralContainersUpdate(dropNonEphemeralContainerUpdates(next, old), old).map((e) => e.field), ['metadata.uid']);
});

test('an update of the pod itself may not change its ephemeral containers', () => {
  const old = pod([debuggerContainer()]);
  const errs = validatePodUpdate(pod([debuggerContainer(), debuggerContainer({ name: 'second' })]), old);
  assert.equal(errs.length, 1);
  assert.match(errs[0].detail ?? '', /pod updates may not change fields other than .*\n {2}changed: spec\.ephemeralContainers/);
  assert.deepEqual(validatePodUpdate(pod([debuggerContainer()]), old), []);
});

test('static pods do not support ephemeral containers', () => {
  const old = pod();
  old.metadata.annotations = { 'kubernetes.io/config.mirror': 'abc' };
  const errs = validateEphemeralContainersUpdate(dropNonEphemeralContainerUpdates(pod([debuggerContainer()]), old), old);
  assert.deepEqual(errs, [{ type: 'FieldValueForbidden', field: '', detail: 'static pods do not support ephemeral containers' }]);
});
