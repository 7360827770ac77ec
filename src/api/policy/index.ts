/**
 * policy/v1: PodDisruptionBudget — how many pods of an application may be
 * down at once through voluntary disruptions (evictions, drains). The
 * eviction subresource of pods (in the apiserver) consults it.
 */
import type { KubeObject } from '../../machinery/object.js';
import { ConditionSchema, kindSchema, LabelSelectorSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { AGE_COLUMN, NAME_COLUMN, age, column } from '../core/table-util.js';
import { validateLabelSelector, type LabelSelector } from '../common/selector.js';
import { validateNotMoreThan100Percent, validatePositiveIntOrPercent } from '../common/intorstring.js';

const V1 = 'io.k8s.api.policy.v1';

export interface PodDisruptionBudget extends KubeObject {
  spec?: {
    minAvailable?: number | string;
    maxUnavailable?: number | string;
    selector?: LabelSelector;
    unhealthyPodEvictionPolicy?: string;
  };
  status?: { disruptionsAllowed?: number; currentHealthy?: number; desiredHealthy?: number; expectedPods?: number } & Record<string, unknown>;
}

export const PodDisruptionBudgetSpecSchema = s.object(`${V1}.PodDisruptionBudgetSpec`, 'The pods a budget covers and how many must stay up.', {
  maxUnavailable: s.intOrString('At most this many (or this percentage) of the selected pods may be unavailable after an eviction.'),
  minAvailable: s.intOrString('At least this many (or this percentage) of the selected pods must stay available after an eviction.'),
  selector: s.field(LabelSelectorSchema, 'The pods covered; an empty selector covers every pod of the namespace.', { patchStrategy: 'replace' }),
  unhealthyPodEvictionPolicy: s.enumString(['IfHealthyBudget', 'AlwaysAllow'], 'When running but not ready pods may be evicted.'),
});

export const PodDisruptionBudgetStatusSchema = s.object(`${V1}.PodDisruptionBudgetStatus`, 'What the disruption controller observed.', {
  conditions: s.array(ConditionSchema, 'Conditions such as DisruptionAllowed.', { listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge' }),
  currentHealthy: s.int32('Healthy pods now.'),
  desiredHealthy: s.int32('Healthy pods the budget requires.'),
  disruptedPods: s.map(s.dateTime(), 'Pods being evicted, not yet seen gone by the controller.'),
  disruptionsAllowed: s.int32('Evictions allowed now.'),
  expectedPods: s.int32('Pods the budget counts.'),
  observedGeneration: s.int64('The generation the controller last acted on.'),
}, { required: ['disruptionsAllowed', 'currentHealthy', 'desiredHealthy', 'expectedPods'] });

export const PodDisruptionBudgetSchema = kindSchema({
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  definitionName: `${V1}.PodDisruptionBudget`,
  description: 'The most disruption a collection of pods may suffer at once.',
  fields: {
    spec: s.field(PodDisruptionBudgetSpecSchema, 'Desired budget.'),
    status: s.field(PodDisruptionBudgetStatusSchema, 'Observed state.'),
  },
});

export function validatePodDisruptionBudget(obj: PodDisruptionBudget): FieldErrorLike[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = obj.spec ?? {};
  if (spec.minAvailable !== undefined && spec.maxUnavailable !== undefined) {
    errs.push(field.invalid('spec', spec, 'minAvailable and maxUnavailable cannot be both set'));
  }
  for (const key of ['minAvailable', 'maxUnavailable'] as const) {
    errs.push(...validatePositiveIntOrPercent(spec[key], `spec.${key}`));
    errs.push(...validateNotMoreThan100Percent(spec[key], `spec.${key}`));
  }
  errs.push(...validateLabelSelector(spec.selector, 'spec.selector'));
  const policy = spec.unhealthyPodEvictionPolicy;
  if (policy !== undefined && policy !== 'IfHealthyBudget' && policy !== 'AlwaysAllow') {
    errs.push(field.notSupported('spec.unhealthyPodEvictionPolicy', policy, ['AlwaysAllow', 'IfHealthyBudget']));
  }
  return errs;
}

export const poddisruptionbudgets: ResourceType<PodDisruptionBudget> = {
  group: 'policy',
  version: 'v1',
  kind: 'PodDisruptionBudget',
  resource: 'poddisruptionbudgets',
  singular: 'poddisruptionbudget',
  shortNames: ['pdb'],
  namespaced: true,
  schema: PodDisruptionBudgetSchema,
  subresources: { status: true },
  hasGeneration: true,
  prepareForCreate(obj) {
    obj.status = { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 };
  },
  validate: validatePodDisruptionBudget,
  table: {
    columns: [
      NAME_COLUMN,
      column('Min Available', 'The minimum number of pods that must be available.'),
      column('Max Unavailable', 'The maximum number of pods that may be unavailable.'),
      column('Allowed Disruptions', 'Calculated number of pods that may be disrupted at this time.', 0, 'integer'),
      AGE_COLUMN,
    ],
    cells: (obj, now) => [
      obj.metadata.name,
      obj.spec?.minAvailable !== undefined ? String(obj.spec.minAvailable) : 'N/A',
      obj.spec?.maxUnavailable !== undefined ? String(obj.spec.maxUnavailable) : 'N/A',
      obj.status?.disruptionsAllowed ?? 0,
      age(obj, now),
    ],
  },
};

export const resources = [poddisruptionbudgets] as ResourceType[];
