/** node.k8s.io/v1 RuntimeClass: a container runtime configuration pods can ask for. */
import { ageOf } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1123Label, validateImmutable, validateLabels, validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { TolerationSchema } from '../common/core-types.js';
import { ageColumn, nameColumn } from '../common/print.js';
import { validateTolerations, type Toleration } from '../common/tolerations.js';

const V1 = 'io.k8s.api.node.v1';

export interface RuntimeClass extends KubeObject {
  handler: string;
  overhead?: { podFixed?: Record<string, string | number> };
  scheduling?: { nodeSelector?: Record<string, string>; tolerations?: Toleration[] };
}

export const OverheadSchema = s.object(`${V1}.Overhead`, 'Resources running a pod with this runtime costs beyond its containers.', {
  podFixed: s.map(s.quantity(), 'Fixed resource overhead per pod.'),
});

export const SchedulingSchema = s.object(`${V1}.Scheduling`, 'Constraints that put pods of this class on nodes supporting it.', {
  nodeSelector: { ...s.map(s.string(), 'Labels nodes must have; merged with the pod node selector.'), 'x-kubernetes-map-type': 'atomic' },
  tolerations: s.array(TolerationSchema, 'Tolerations added to pods of this class.', { listType: 'atomic' }),
});

export const RuntimeClassSchema = kindSchema({
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  definitionName: `${V1}.RuntimeClass`,
  description: 'A container runtime configuration; pods select it with runtimeClassName.',
  fields: {
    handler: s.string('Name of the runtime configuration the node agent uses; a DNS label. Immutable.'),
    overhead: s.field(OverheadSchema, 'Resource overhead of pods using this class.'),
    scheduling: s.field(SchedulingSchema, 'Where pods of this class can run.'),
  },
  required: ['handler'],
});

// resource.Quantity syntax: a signed decimal with an optional binary/decimal suffix or exponent.
const quantityRe = /^[+-]?(\d+\.?\d*|\.\d+)([KMGTPE]i|[numkMGTPE]|[eE][+-]?\d+)?$/;

function validateOverhead(podFixed: Record<string, string | number>): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  for (const [name, value] of Object.entries(podFixed)) {
    const path = `overhead.podFixed[${name}]`;
    const text = String(value);
    if (!quantityRe.test(text)) errs.push(field.invalid(path, value, 'quantities must match the regular expression \'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$\''));
    else if (text.startsWith('-') && /[1-9]/.test(text)) errs.push(field.invalid(path, value, 'must be greater than or equal to 0'));
  }
  return errs;
}

export function validateRuntimeClass(obj: RuntimeClass): FieldErrorLike[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false });
  for (const msg of isDNS1123Label(obj.handler ?? '')) errs.push(field.invalid('handler', obj.handler ?? '', msg));
  if (obj.overhead) errs.push(...validateOverhead(obj.overhead.podFixed ?? {}));
  if (obj.scheduling) {
    errs.push(...validateLabels(obj.scheduling.nodeSelector, 'scheduling.nodeSelector'));
    const tolerations = obj.scheduling.tolerations ?? [];
    errs.push(...validateTolerations(tolerations, 'scheduling.tolerations'));
    // Tolerations are a set keyed by everything but tolerationSeconds.
    const seen = new Set<string>();
    tolerations.forEach((t, i) => {
      const key = JSON.stringify([t.key ?? '', t.operator ?? '', t.value ?? '', t.effect ?? '']);
      if (seen.has(key)) errs.push(field.duplicate(`scheduling.tolerations[${i}]`, t));
      seen.add(key);
    });
  }
  return errs;
}

export const runtimeclasses: ResourceType<RuntimeClass> = {
  group: 'node.k8s.io',
  version: 'v1',
  kind: 'RuntimeClass',
  resource: 'runtimeclasses',
  singular: 'runtimeclass',
  namespaced: false,
  schema: RuntimeClassSchema,
  validate: (obj) => validateRuntimeClass(obj),
  validateUpdate: (obj, old) => validateImmutable(obj.handler, old.handler, 'handler'),
  table: {
    columns: [nameColumn, { name: 'Handler', type: 'string', description: 'Runtime configuration the node agent uses.' }, ageColumn],
    cells: (obj, now) => [obj.metadata.name ?? '', obj.handler ?? '', ageOf(obj.metadata.creationTimestamp, now)],
  },
};
