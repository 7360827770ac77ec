/**
 * Event validation, after upstream's core validation of events. It runs on the
 * core/v1 shape (as upstream validates the internal type), so field paths name
 * core fields (`involvedObject`, `message`) except `reportingController`.
 */
import type { KubeObject } from '../../machinery/object.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1123Subdomain, isQualifiedName, validateImmutable, validateObjectMeta } from '../../machinery/validation.js';

const reportingInstanceLengthLimit = 128;
const actionLengthLimit = 128;
const reasonLengthLimit = 128;
const noteLengthLimit = 1024;

interface CoreEventFields {
  involvedObject?: { namespace?: string };
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  count?: number;
  type?: string;
  eventTime?: string;
  series?: { count?: number; lastObservedTime?: string };
  action?: string;
  related?: unknown;
  reportingComponent?: string;
  reportingInstance?: string;
}

type CoreEvent = KubeObject & CoreEventFields;

/**
 * The checks every event passes, whichever API wrote it. `reportingField` is
 * how the reporter is named in the request's version.
 */
export function validateEventLegacy(event: CoreEvent, reportingField: 'reportingController' | 'reportingComponent'): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  const namespace = event.metadata.namespace ?? '';
  const involvedNamespace = event.involvedObject?.namespace ?? '';
  const mismatch = () => field.invalid('involvedObject.namespace', involvedNamespace, 'does not match event.namespace');
  if (!event.eventTime) {
    // Old-style events: the event lives in its object's namespace (or default, for old clients).
    if (!involvedNamespace) {
      if (namespace !== '' && namespace !== 'default') errs.push(mismatch());
    } else if (namespace !== involvedNamespace) {
      errs.push(mismatch());
    }
  } else {
    if (!involvedNamespace && namespace !== 'default' && namespace !== 'kube-system') errs.push(mismatch());
    const reporter = event.reportingComponent ?? '';
    if (!reporter) errs.push(field.required(reportingField));
    for (const msg of isQualifiedName(reporter)) errs.push(field.invalid(reportingField, reporter, msg));
    const instance = event.reportingInstance ?? '';
    if (!instance) errs.push(field.required('reportingInstance'));
    if (instance.length > reportingInstanceLengthLimit) {
      errs.push(field.invalid('reportingInstance', '', `can have at most ${reportingInstanceLengthLimit} characters`));
    }
    const action = event.action ?? '';
    if (!action) errs.push(field.required('action'));
    if (action.length > actionLengthLimit) errs.push(field.invalid('action', '', `can have at most ${actionLengthLimit} characters`));
    const reason = event.reason ?? '';
    if (!reason) errs.push(field.required('reason'));
    if (reason.length > reasonLengthLimit) errs.push(field.invalid('reason', '', `can have at most ${reasonLengthLimit} characters`));
    if ((event.message ?? '').length > noteLengthLimit) {
      errs.push(field.invalid('message', '', `can have at most ${noteLengthLimit} characters`));
    }
  }
  for (const msg of isDNS1123Subdomain(namespace)) errs.push(field.invalid('namespace', namespace, msg));
  return errs;
}

function validateSeries(event: CoreEvent): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (event.series) {
    if ((event.series.count ?? 0) < 2) errs.push(field.invalid('series.count', '', 'should be at least 2'));
    if (!event.series.lastObservedTime) errs.push(field.required('series.lastObservedTime'));
  }
  return errs;
}

/** Creation through events.k8s.io/v1: the legacy checks plus the stricter rules of the new API. */
export function validateEventsV1Create(event: CoreEvent): FieldErrorLike[] {
  const errs = validateEventLegacy(event, 'reportingController');
  errs.push(...validateObjectMeta(event.metadata, { namespaced: true }));
  errs.push(...validateSeries(event));
  if (!event.eventTime) errs.push(field.required('eventTime'));
  if (event.type !== 'Normal' && event.type !== 'Warning') errs.push(field.invalid('type', '', `has invalid value: ${event.type ?? ''}`));
  if (event.firstTimestamp) errs.push(field.invalid('firstTimestamp', '', 'needs to be unset'));
  if (event.lastTimestamp) errs.push(field.invalid('lastTimestamp', '', 'needs to be unset'));
  if (event.count) errs.push(field.invalid('count', '', 'needs to be unset'));
  if (event.source?.component || event.source?.host) errs.push(field.invalid('source', '', 'needs to be unset'));
  return errs;
}

const immutableOnUpdate = [
  'involvedObject', 'reason', 'message', 'source', 'firstTimestamp', 'lastTimestamp', 'count', 'type',
  'eventTime', 'action', 'related', 'reportingComponent', 'reportingInstance',
] as const;

/** Update through events.k8s.io/v1: only the series (and metadata) may change. */
export function validateEventsV1Update(event: CoreEvent, old: CoreEvent): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (JSON.stringify(event.series) !== JSON.stringify(old.series)) errs.push(...validateSeries(event));
  for (const name of immutableOnUpdate) {
    const path = name === 'reportingComponent' ? 'reportingController' : name;
    errs.push(...validateImmutable(event[name], old[name], path));
  }
  return errs;
}
