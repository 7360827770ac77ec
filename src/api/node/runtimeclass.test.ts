import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeclasses, type RuntimeClass } from './runtimeclass.js';
import { renderFieldError } from '../../machinery/status.js';

const rc = (over: Partial<RuntimeClass> = {}): RuntimeClass => ({ metadata: { name: 'gvisor', creationTimestamp: '2024-01-01T00:00:00Z' }, handler: 'runsc', ...over });
const check = (obj: RuntimeClass) => runtimeclasses.validate!(obj, { operation: 'create' }).map(renderFieldError);

test('a runtime class with overhead and scheduling is valid; table', () => {
  const obj = rc({ overhead: { podFixed: { cpu: '250m', memory: '64Mi' } }, scheduling: { nodeSelector: { sandbox: 'gvisor' }, tolerations: [{ key: 'sandbox', operator: 'Exists', effect: 'NoSchedule' }] } });
  assert.deepEqual(check(obj), []);
  assert.deepEqual(runtimeclasses.table!.cells(obj, new Date('2024-01-01T00:00:42Z')), ['gvisor', 'runsc', '42s']);
});

test('handler must be a DNS label and is immutable', () => {
  assert.equal(check(rc({ handler: 'Run_SC' }))[0].startsWith('handler: Invalid value: "Run_SC": a lowercase RFC 1123 label'), true);
  assert.deepEqual(check(rc({ handler: '' })).length, 1);
  assert.deepEqual(runtimeclasses.validateUpdate!(rc({ handler: 'kata' }), rc()).map(renderFieldError), ['handler: Invalid value: "kata": field is immutable']);
});

test('overhead must be non-negative; tolerations must be unique', () => {
  const t = { key: 'a', operator: 'Equal', value: 'b', effect: 'NoSchedule' };
  assert.deepEqual(check(rc({ overhead: { podFixed: { cpu: '-1' } }, scheduling: { tolerations: [t, { ...t }] } })), [
    'overhead.podFixed[cpu]: Invalid value: "-1": must be greater than or equal to 0',
    'scheduling.tolerations[1]: Duplicate value: map[string]string{"effect":"NoSchedule", "key":"a", "operator":"Equal", "value":"b"}',
  ]);
});
