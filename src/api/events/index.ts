/** events.k8s.io/v1. Also exports the shared events table and legacy validation for core/v1 events. */
import type { ResourceType } from '../resource.js';
import { events } from './event.js';

export { events } from './event.js';
export { EventSchema, EventSeriesSchema, type EventsV1Event, type EventSeries } from './schema.js';
export { eventConversion, toCoreEvent, fromCoreEvent } from './conversion.js';
export { coreEventTable, coreEventCells, eventColumns } from './table.js';
export { validateEventLegacy } from './validation.js';

export const resources: ResourceType[] = [events as ResourceType];
