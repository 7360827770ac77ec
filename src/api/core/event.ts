/** The core/v1 events resource (the legacy Event shape; events.k8s.io shares its storage). */
import type { ResourceType } from '../resource.js';
import { field } from '../../machinery/status.js';
import { isQualifiedName, validateObjectMeta } from '../../machinery/validation.js';
import { EventSchema } from './schema/misc.js';
import { NAME_COLUMN, column, since } from './table-util.js';
import type { Errs } from './validate-common.js';

function validateEvent(event: any): Errs {
  const errs = validateObjectMeta(event.metadata, { namespaced: true });
  const involved = event.involvedObject ?? {};
  const ns = event.metadata?.namespace ?? '';
  if (!involved.namespace) {
    // Cluster-scoped objects: events live in "default" (or nowhere, for old clients).
    if (ns && ns !== 'default') errs.push(field.invalid('involvedObject.namespace', involved.namespace ?? '', 'does not match event.namespace'));
  } else if (ns !== involved.namespace) {
    errs.push(field.invalid('involvedObject.namespace', involved.namespace, 'does not match event.namespace'));
  }
  if (event.eventTime) {
    // New-style events carry who reported them.
    if (!event.reportingComponent) errs.push(field.required('reportingComponent', ''));
    else for (const msg of isQualifiedName(event.reportingComponent)) errs.push(field.invalid('reportingComponent', event.reportingComponent, msg));
    if (!event.reportingInstance) errs.push(field.required('reportingInstance', ''));
    else if (event.reportingInstance.length > 128) errs.push(field.invalid('reportingInstance', '', 'can have at most 128 characters'));
    if (!event.action) errs.push(field.required('action', ''));
    else if (event.action.length > 128) errs.push(field.invalid('action', '', 'can have at most 128 characters'));
    if (event.type !== 'Normal' && event.type !== 'Warning') errs.push(field.invalid('type', '', 'has invalid value: ' + (event.type ?? '')));
    if (String(event.message ?? '').length > 1024) errs.push(field.invalid('message', '', 'can have at most 1024 characters'));
  }
  return errs;
}

function source(event: any): string {
  const component = event.source?.component || event.reportingComponent || '';
  const instance = event.source?.host || event.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

export const events: ResourceType = {
  group: '', version: 'v1', kind: 'Event', resource: 'events', singular: 'event',
  shortNames: ['ev'], namespaced: true,
  schema: EventSchema,
  validate: (event) => validateEvent(event),
  table: {
    columns: [
      column('Last Seen', 'When the event was last seen.'),
      column('Type', 'Type of the event: Normal or Warning.'),
      column('Reason', 'Short machine-readable reason.'),
      column('Object', 'The object the event is about.'),
      column('Subobject', 'Field path inside the object.', 1),
      column('Source', 'Component that reported the event.', 1),
      column('Message', 'Human-readable description.'),
      column('First Seen', 'When the event was first seen.', 1),
      column('Count', 'How often the event happened.', 1),
      { ...NAME_COLUMN, priority: 1 },
    ],
    cells(obj, now) {
      const event = obj as any;
      const first = event.firstTimestamp ? since(event.firstTimestamp, now) : since(event.eventTime, now);
      let last = event.lastTimestamp ? since(event.lastTimestamp, now) : first;
      let count = event.count ?? 0;
      if (event.series) {
        last = since(event.series.lastObservedTime, now);
        count = event.series.count ?? 0;
      } else if (count === 0) {
        count = 1;
      }
      const involved = event.involvedObject ?? {};
      const kind = String(involved.kind ?? '').toLowerCase();
      const target = involved.name ? `${kind}/${involved.name}` : kind;
      return [last, event.type ?? '', event.reason ?? '', target, involved.fieldPath ?? '', source(event), String(event.message ?? '').trim(), first, count, obj.metadata.name];
    },
  },
  selectableFields(obj) {
    const event = obj as any;
    const involved = event.involvedObject ?? {};
    return {
      'involvedObject.kind': involved.kind ?? '',
      'involvedObject.namespace': involved.namespace ?? '',
      'involvedObject.name': involved.name ?? '',
      'involvedObject.uid': involved.uid ?? '',
      'involvedObject.apiVersion': involved.apiVersion ?? '',
      'involvedObject.resourceVersion': involved.resourceVersion ?? '',
      'involvedObject.fieldPath': involved.fieldPath ?? '',
      reason: event.reason ?? '',
      reportingComponent: event.reportingComponent ?? '',
      source: event.source?.component || event.reportingComponent || '',
      type: event.type ?? '',
    };
  },
};
