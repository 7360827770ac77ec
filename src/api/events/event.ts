/** events.k8s.io/v1 Event, stored as (and shared with) core/v1 events. */
import type { ResourceType } from '../resource.js';
import { eventConversion, toCoreEvent } from './conversion.js';
import { EventSchema, type EventsV1Event } from './schema.js';
import { eventColumns, coreEventCells } from './table.js';
import { validateEventLegacy, validateEventsV1Create, validateEventsV1Update } from './validation.js';

export const events: ResourceType<EventsV1Event> = {
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  resource: 'events',
  singular: 'event',
  shortNames: ['ev'],
  namespaced: true,
  schema: EventSchema,
  // Same key space as core/v1 events: /registry/events/<ns>/<name>.
  storageResource: 'events',
  conversion: eventConversion,
  validate(obj, context) {
    const core = toCoreEvent(obj);
    // Upstream applies the strict events.k8s.io rules on create only, so old events stay updatable.
    return context.operation === 'create' ? validateEventsV1Create(core) : validateEventLegacy(core, 'reportingController');
  },
  validateUpdate: (obj, old) => validateEventsV1Update(toCoreEvent(obj), toCoreEvent(old)),
  table: { columns: eventColumns, cells: (obj, now) => coreEventCells(toCoreEvent(obj), now) },
  // Upstream converts these events.k8s.io field labels to the core ones; the set is the same.
  selectableFields(obj) {
    const r = (obj.regarding ?? {}) as Record<string, string | undefined>;
    return {
      reason: obj.reason ?? '',
      type: obj.type ?? '',
      reportingController: obj.reportingController ?? '',
      'regarding.kind': r.kind ?? '',
      'regarding.namespace': r.namespace ?? '',
      'regarding.name': r.name ?? '',
      'regarding.uid': r.uid ?? '',
      'regarding.apiVersion': r.apiVersion ?? '',
      'regarding.resourceVersion': r.resourceVersion ?? '',
      'regarding.fieldPath': r.fieldPath ?? '',
    };
  },
};
