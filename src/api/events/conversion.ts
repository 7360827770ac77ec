/**
 * events.k8s.io/v1 and core/v1 describe one stored Event. Objects are stored
 * in the core/v1 shape (upstream's storage version), so either API serves
 * every event; these functions rename fields between the two shapes.
 */
import type { KubeObject } from '../../machinery/object.js';
import type { StorageConversion } from '../resource.js';
import type { EventsV1Event } from './schema.js';

/** events.k8s.io/v1 field → core/v1 field. Fields with the same name in both are absent. */
const toCoreNames: Record<string, string> = {
  regarding: 'involvedObject',
  note: 'message',
  deprecatedSource: 'source',
  deprecatedFirstTimestamp: 'firstTimestamp',
  deprecatedLastTimestamp: 'lastTimestamp',
  deprecatedCount: 'count',
  reportingController: 'reportingComponent',
};
const toEventsNames = Object.fromEntries(Object.entries(toCoreNames).map(([a, b]) => [b, a]));

function rename(obj: KubeObject, names: Record<string, string>, apiVersion: string): KubeObject {
  const out: KubeObject = { apiVersion, kind: 'Event', metadata: obj.metadata };
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || key === 'metadata') continue;
    out[names[key] ?? key] = value;
  }
  return out;
}

/** events.k8s.io/v1 → core/v1. */
export function toCoreEvent(event: EventsV1Event): KubeObject {
  const core = rename(event, toCoreNames, 'v1');
  // involvedObject is required in core/v1; an event without `regarding` has an empty one upstream.
  core.involvedObject ??= {};
  return core;
}

/** core/v1 → events.k8s.io/v1. */
export function fromCoreEvent(event: KubeObject): EventsV1Event {
  return rename(event, toEventsNames, 'events.k8s.io/v1') as EventsV1Event;
}

export const eventConversion: StorageConversion<EventsV1Event> = {
  storageVersion: 'v1',
  storageGroup: '',
  toStorage: toCoreEvent,
  fromStorage: fromCoreEvent,
};
