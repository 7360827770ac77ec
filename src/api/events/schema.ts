/** Schema and type of events.k8s.io/v1 Event. */
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { EventSourceSchema, ObjectReferenceSchema } from '../common/core-types.js';

const V1 = 'io.k8s.api.events.v1';

export interface EventSeries {
  count?: number;
  lastObservedTime?: string;
}

export interface EventsV1Event extends KubeObject {
  eventTime?: string;
  series?: EventSeries;
  reportingController?: string;
  reportingInstance?: string;
  action?: string;
  reason?: string;
  regarding?: Record<string, unknown>;
  related?: Record<string, unknown>;
  note?: string;
  type?: string;
  deprecatedSource?: { component?: string; host?: string };
  deprecatedFirstTimestamp?: string;
  deprecatedLastTimestamp?: string;
  deprecatedCount?: number;
}

export const EventSeriesSchema = s.object(
  `${V1}.EventSeries`,
  'A run of repeats of the same event, updated by its reporter.',
  {
    count: s.int32('Number of occurrences so far, as of lastObservedTime.'),
    lastObservedTime: s.dateTime('When the last occurrence was seen.'),
  },
  { required: ['count', 'lastObservedTime'] },
);

export const EventSchema = kindSchema({
  group: 'events.k8s.io',
  version: 'v1',
  kind: 'Event',
  definitionName: `${V1}.Event`,
  description: 'A report of something that happened in the cluster. Stored with, and visible as, core/v1 events.',
  fields: {
    action: s.string('What the reporter did or failed to do, in machine-readable form. At most 128 characters.'),
    deprecatedCount: s.int32('Legacy occurrence count, from core/v1 events.'),
    deprecatedFirstTimestamp: s.dateTime('Legacy first occurrence time, from core/v1 events.'),
    deprecatedLastTimestamp: s.dateTime('Legacy last occurrence time, from core/v1 events.'),
    deprecatedSource: s.field(EventSourceSchema, 'Legacy source, from core/v1 events.'),
    eventTime: s.dateTime('When the event first happened. Required.'),
    note: s.string('Human-readable description of the event. At most 1kB.'),
    reason: s.string('Why the action was taken, in machine-readable form. At most 128 characters.'),
    regarding: s.field(ObjectReferenceSchema, 'The object this event is about.'),
    related: s.field(ObjectReferenceSchema, 'A second object involved, if any.'),
    reportingController: s.string('Name of the controller that emitted the event, e.g. kubernetes.io/kubelet.'),
    reportingInstance: s.string('ID of the emitting controller instance. At most 128 characters.'),
    series: s.field(EventSeriesSchema, 'Present when the event is a series of repeats.'),
    type: s.string('Normal or Warning.'),
  },
  required: ['eventTime'],
});
