import { test } from 'node:test';
import assert from 'node:assert/strict';
import { events } from './event.js';
import { fromCoreEvent, toCoreEvent } from './conversion.js';
import type { EventsV1Event } from './schema.js';
import { renderFieldError } from '../../machinery/status.js';

const newEvent = (): EventsV1Event => ({
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name: 'web.17a', namespace: 'default', creationTimestamp: '2024-01-01T00:00:00Z' },
  eventTime: '2024-01-01T00:00:00.000000Z',
  series: { count: 3, lastObservedTime: '2024-01-01T00:09:00.000000Z' },
  reportingController: 'skiff.io/scheduler',
  reportingInstance: 'scheduler-1',
  action: 'Binding',
  reason: 'Scheduled',
  regarding: { kind: 'Pod', namespace: 'default', name: 'web', uid: 'u1', apiVersion: 'v1' },
  related: { kind: 'Node', name: 'node-a' },
  note: 'Successfully assigned default/web to node-a',
  type: 'Normal',
  deprecatedSource: { component: 'scheduler' },
  deprecatedFirstTimestamp: '2024-01-01T00:00:00Z',
  deprecatedLastTimestamp: '2024-01-01T00:09:00Z',
  deprecatedCount: 3,
});

test('conversion to core/v1 renames fields and round-trips exactly', () => {
  const event = newEvent();
  const core = toCoreEvent(structuredClone(event));
  assert.equal(core.apiVersion, 'v1');
  assert.deepEqual(core.involvedObject, event.regarding);
  assert.equal(core.message, event.note);
  assert.deepEqual(core.source, { component: 'scheduler' });
  assert.equal(core.firstTimestamp, event.deprecatedFirstTimestamp);
  assert.equal(core.lastTimestamp, event.deprecatedLastTimestamp);
  assert.equal(core.count, 3);
  assert.equal(core.reportingComponent, 'skiff.io/scheduler');
  for (const same of ['reportingInstance', 'eventTime', 'series', 'action', 'related', 'type', 'reason']) {
    assert.deepEqual(core[same], event[same], same);
  }
  for (const gone of ['regarding', 'note', 'deprecatedSource', 'deprecatedCount', 'reportingController']) assert.ok(!(gone in core), gone);
  assert.deepEqual(fromCoreEvent(core), event);
});

test('a core/v1 event written by an old client reads back through events.k8s.io', () => {
  const core = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.1', namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' },
    reason: 'Pulled',
    message: 'pulled image',
    source: { component: 'kubelet', host: 'node-a' },
    count: 1,
    type: 'Normal',
  };
  const event = fromCoreEvent(structuredClone(core));
  assert.equal(event.apiVersion, 'events.k8s.io/v1');
  assert.equal(event.note, 'pulled image');
  assert.deepEqual(event.deprecatedSource, { component: 'kubelet', host: 'node-a' });
  assert.deepEqual(toCoreEvent(event), core);
});

test('create through events.k8s.io applies the strict rules', () => {
  const ok = newEvent();
  delete ok.deprecatedSource;
  delete ok.deprecatedFirstTimestamp;
  delete ok.deprecatedLastTimestamp;
  delete ok.deprecatedCount;
  assert.deepEqual(events.validate!(ok, { operation: 'create' }), []);

  const bad = newEvent();
  delete bad.reportingController;
  bad.type = 'Info';
  bad.series = { count: 1, lastObservedTime: '2024-01-01T00:00:00Z' };
  assert.deepEqual(events.validate!(bad, { operation: 'create' }).map(renderFieldError), [
    'reportingController: Required value',
    'reportingController: Invalid value: "": name part must be non-empty',
    'series.count: Invalid value: "": should be at least 2',
    'type: Invalid value: "": has invalid value: Info',
    'firstTimestamp: Invalid value: "": needs to be unset',
    'lastTimestamp: Invalid value: "": needs to be unset',
    'count: Invalid value: "": needs to be unset',
    'source: Invalid value: "": needs to be unset',
  ]);
});

test('on update only the series may change', () => {
  const old = newEvent();
  const next = structuredClone(old);
  next.series = { count: 4, lastObservedTime: '2024-01-01T00:10:00.000000Z' };
  assert.deepEqual(events.validateUpdate!(next, old), []);
  next.note = 'changed';
  assert.deepEqual(events.validateUpdate!(next, old).map(renderFieldError), ['message: Invalid value: "changed": field is immutable']);
});

test('table as core events, and events.k8s.io field selectors', () => {
  const cells = events.table!.cells(newEvent(), new Date('2024-01-01T00:10:00Z'));
  assert.deepEqual(cells, [
    '60s', 'Normal', 'Scheduled', 'pod/web', '', 'scheduler, scheduler-1',
    'Successfully assigned default/web to node-a', '10m', 3, 'web.17a',
  ]);
  assert.equal(events.table!.columns.length, cells.length);
  const fields = events.selectableFields!(newEvent());
  assert.equal(fields['regarding.name'], 'web');
  assert.equal(fields.reportingController, 'skiff.io/scheduler');
});
