/** scheduling.k8s.io/v1 PriorityClass: named pod priorities, and the two the system reserves. */
import { ageOf } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { validateImmutable, validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { ageColumn, nameColumn } from '../common/print.js';

export interface PriorityClass extends KubeObject {
  value: number;
  globalDefault?: boolean;
  description?: string;
  preemptionPolicy?: string;
}

/** Highest value a user-defined class may have; values above are for system classes. */
export const highestUserDefinablePriority = 1_000_000_000;
export const systemCriticalPriority = 2 * highestUserDefinablePriority;
export const systemPriorityClassPrefix = 'system-';
export const preemptionPolicies = ['Never', 'PreemptLowerPriority'];

export const PriorityClassSchema = kindSchema({
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  definitionName: 'io.k8s.api.scheduling.v1.PriorityClass',
  description: 'Maps a class name to a pod priority. Pods name the class in priorityClassName.',
  fields: {
    description: s.string('When to use this class, for people.'),
    globalDefault: s.boolean('Whether pods without a class get this one. At most one class should set it.'),
    preemptionPolicy: s.string('Never or PreemptLowerPriority (default). Immutable.'),
    value: s.int32('The priority pods of this class get; higher schedules first. Immutable.'),
  },
  required: ['value'],
});

const critical = (name: string, value: number, description: string): PriorityClass => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  globalDefault: false,
  description,
});

/** The classes the apiserver creates at start; their names, values and globalDefault are fixed. */
export const systemPriorityClasses: PriorityClass[] = [
  critical('system-node-critical', systemCriticalPriority + 1000, 'For pods the node itself depends on; they are never moved off their node.'),
  critical('system-cluster-critical', systemCriticalPriority, 'For pods the cluster depends on; they may be moved to another node when needed.'),
];

function systemClassProblem(obj: PriorityClass): string | undefined {
  const known = systemPriorityClasses.find((c) => c.metadata.name === obj.metadata.name);
  if (!known) return `${obj.metadata.name} is not a known system priority class`;
  if (known.value !== obj.value) return `value of ${known.metadata.name} PriorityClass must be ${known.value}`;
  if (Boolean(known.globalDefault) !== Boolean(obj.globalDefault)) {
    return `globalDefault of ${known.metadata.name} PriorityClass must be ${Boolean(known.globalDefault)}`;
  }
  return undefined;
}

export function validatePriorityClass(obj: PriorityClass): FieldErrorLike[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false });
  if (obj.metadata.name?.startsWith(systemPriorityClassPrefix)) {
    const problem = systemClassProblem(obj);
    if (problem) {
      errs.push(field.forbidden('metadata.name', `priority class names with '${systemPriorityClassPrefix}' prefix are reserved for system use only. error: ${problem}`));
    }
  } else if (obj.value > highestUserDefinablePriority) {
    errs.push(field.forbidden('value', `maximum allowed value of a user defined priority is ${highestUserDefinablePriority}`));
  }
  if (obj.preemptionPolicy !== undefined && !preemptionPolicies.includes(obj.preemptionPolicy)) {
    errs.push(field.notSupported('preemptionPolicy', obj.preemptionPolicy, preemptionPolicies));
  }
  return errs;
}

export function validatePriorityClassUpdate(obj: PriorityClass, old: PriorityClass): FieldErrorLike[] {
  const errs: FieldErrorLike[] = [];
  if (obj.value !== old.value) errs.push(field.forbidden('value', 'may not be changed in an update.'));
  errs.push(...validateImmutable(obj.preemptionPolicy, old.preemptionPolicy, 'preemptionPolicy'));
  return errs;
}

export const priorityclasses: ResourceType<PriorityClass> = {
  group: 'scheduling.k8s.io',
  version: 'v1',
  kind: 'PriorityClass',
  resource: 'priorityclasses',
  singular: 'priorityclass',
  shortNames: ['pc'],
  namespaced: false,
  schema: PriorityClassSchema,
  defaults(obj) {
    obj.preemptionPolicy ??= 'PreemptLowerPriority';
  },
  validate: (obj) => validatePriorityClass(obj),
  validateUpdate: validatePriorityClassUpdate,
  table: {
    columns: [
      nameColumn,
      { name: 'Value', type: 'integer', description: 'Priority of pods of this class.' },
      { name: 'Global-Default', type: 'boolean', description: 'Whether pods without a class get this one.' },
      ageColumn,
      { name: 'PreemptionPolicy', type: 'string', description: 'Whether pods of this class preempt lower-priority pods.' },
    ],
    cells: (obj, now) => [
      obj.metadata.name ?? '',
      obj.value ?? 0,
      obj.globalDefault ?? false,
      ageOf(obj.metadata.creationTimestamp, now),
      obj.preemptionPolicy ?? '',
    ],
  },
};
