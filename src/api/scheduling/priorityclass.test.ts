import { test } from 'node:test';
import assert from 'node:assert/strict';
import { priorityclasses, systemPriorityClasses, type PriorityClass } from './priorityclass.js';
import { renderFieldError } from '../../machinery/status.js';

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => ({ metadata: { name }, value, ...extra });
const check = (obj: PriorityClass) => {
  priorityclasses.defaults!(obj);
  return priorityclasses.validate!(obj, { operation: 'create' }).map(renderFieldError);
};

test('system classes are valid and have the upstream values', () => {
  assert.deepEqual(systemPriorityClasses.map((c) => [c.metadata.name, c.value]), [
    ['system-node-critical', 2000001000],
    ['system-cluster-critical', 2000000000],
  ]);
  for (const c of systemPriorityClasses) assert.deepEqual(check(structuredClone(c)), []);
});

test('preemptionPolicy defaults to PreemptLowerPriority', () => {
  const obj = pc('high', 1000);
  assert.deepEqual(check(obj), []);
  assert.equal(obj.preemptionPolicy, 'PreemptLowerPriority');
  assert.deepEqual(check(pc('x', 1, { preemptionPolicy: 'Always' })), ['preemptionPolicy: Unsupported value: "Always": supported values: "Never", "PreemptLowerPriority"']);
});

test('system- names are reserved; user values are capped', () => {
  assert.deepEqual(check(pc('system-mine', 10)), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class",
  ]);
  assert.deepEqual(check(pc('system-node-critical', 10)), [
    "metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: value of system-node-critical PriorityClass must be 2000001000",
  ]);
  assert.deepEqual(check(pc('huge', 1_000_000_001)), ['value: Forbidden: maximum allowed value of a user defined priority is 1000000000']);
});

test('value and preemptionPolicy are immutable', () => {
  const old = pc('high', 1000, { preemptionPolicy: 'PreemptLowerPriority' });
  const next = pc('high', 2000, { preemptionPolicy: 'Never' });
  assert.deepEqual(priorityclasses.validateUpdate!(next, old).map(renderFieldError), [
    'value: Forbidden: may not be changed in an update.',
    'preemptionPolicy: Invalid value: "Never": field is immutable',
  ]);
});

test('table: NAME VALUE GLOBAL-DEFAULT AGE PREEMPTIONPOLICY', () => {
  const obj = pc('high', 1000, { globalDefault: true, preemptionPolicy: 'Never' });
  obj.metadata.creationTimestamp = '2024-01-01T00:00:00Z';
  assert.deepEqual(priorityclasses.table!.columns.map((c) => c.name), ['Name', 'Value', 'Global-Default', 'Age', 'PreemptionPolicy']);
  assert.deepEqual(priorityclasses.table!.cells(obj, new Date('2024-01-03T00:00:00Z')), ['high', 1000, true, '2d', 'Never']);
});
