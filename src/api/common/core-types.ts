/**
 * The core/v1 types these groups embed. Some come from src/api/core; the rest
 * are local copies.
 * TODO: import EventSource and TopologySelectorTerm from src/api/core/index.ts once
 * it exports them, so each named type has exactly one definition.
 */
import { s } from '../../machinery/schema/index.js';

const CORE = 'io.k8s.api.core.v1';

// Core exports these now; re-exported so the groups here keep one import site.
export { ObjectReferenceSchema, TypedLocalObjectReferenceSchema, TolerationSchema } from '../core/index.js';

export const EventSourceSchema = s.object(`${CORE}.EventSource`, 'The component (and host) an event came from.', {
  component: s.string('Component that emitted the event.'),
  host: s.string('Node the event was generated on.'),
});

export const TopologySelectorLabelRequirementSchema = s.object(
  `${CORE}.TopologySelectorLabelRequirement`,
  'A topology label key and the values it may take.',
  {
    key: s.string('The label key.'),
    values: s.array(s.string(), 'Allowed values; one must match.', { listType: 'atomic' }),
  },
  { required: ['key', 'values'] },
);

export const TopologySelectorTermSchema = s.object(
  `${CORE}.TopologySelectorTerm`,
  'A topology domain selector: all of its requirements must match.',
  {
    matchLabelExpressions: s.array(TopologySelectorLabelRequirementSchema, 'Requirements on topology labels.', { listType: 'atomic' }),
  },
  { mapType: 'atomic' },
);
