/** HorizontalPodAutoscaler validation, with upstream's paths and messages. */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isPathSegmentName, validateObjectMeta } from '../../machinery/validation.js';
import { isValidQuantity } from '../../machinery/quantity.js';
import type { CrossVersionObjectReference, HorizontalPodAutoscalerV1, HorizontalPodAutoscalerV2, MetricSpec, MetricTarget, ScalingRules } from './types.js';

type Errs = FieldErrorLike[];

function validateTargetRef(ref: CrossVersionObjectReference | undefined, path: string): Errs {
  const errs: Errs = [];
  if (!ref?.kind) errs.push(field.required(`${path}.kind`, ''));
  if (!ref?.name) errs.push(field.required(`${path}.name`, ''));
  else for (const msg of isPathSegmentName(ref.name)) errs.push(field.invalid(`${path}.name`, ref.name, msg));
  return errs;
}

function validateBounds(minReplicas: number | undefined, maxReplicas: number | undefined): Errs {
  const errs: Errs = [];
  if (minReplicas !== undefined && minReplicas < 1) errs.push(field.invalid('spec.minReplicas', minReplicas, 'must be greater than or equal to 1'));
  if (maxReplicas === undefined) errs.push(field.required('spec.maxReplicas', ''));
  else if (maxReplicas < 1) errs.push(field.invalid('spec.maxReplicas', maxReplicas, 'must be greater than 0'));
  else if (minReplicas !== undefined && maxReplicas < minReplicas) {
    errs.push(field.invalid('spec.maxReplicas', maxReplicas, 'must be greater than or equal to `minReplicas`'));
  }
  return errs;
}

function validateTarget(target: MetricTarget | undefined, path: string): Errs {
  if (!target) return [field.required(path, '')];
  const errs: Errs = [];
  if (!['Utilization', 'Value', 'AverageValue'].includes(target.type ?? '')) {
    errs.push(field.notSupported(`${path}.type`, target.type ?? '', ['AverageValue', 'Utilization', 'Value']));
  }
  if (target.averageUtilization !== undefined && target.averageUtilization < 1) {
    errs.push(field.invalid(`${path}.averageUtilization`, target.averageUtilization, 'must be greater than 0'));
  }
  for (const key of ['value', 'averageValue'] as const) {
    if (target[key] !== undefined && !isValidQuantity(target[key])) errs.push(field.invalid(`${path}.${key}`, target[key], 'must be a valid quantity'));
  }
  const set = [target.value, target.averageValue, target.averageUtilization].filter((v) => v !== undefined).length;
  if (set === 0) errs.push(field.required(path, 'must set either a target value, average value, or average utilization'));
  return errs;
}

const metricSources: Record<string, keyof MetricSpec> = {
  Resource: 'resource',
  ContainerResource: 'containerResource',
  Pods: 'pods',
  Object: 'object',
  External: 'external',
};

function validateMetric(metric: MetricSpec, path: string): Errs {
  const source = metricSources[metric.type ?? ''];
  if (!source) return [field.notSupported(`${path}.type`, metric.type ?? '', Object.keys(metricSources).sort())];
  const errs: Errs = [];
  for (const other of Object.values(metricSources)) {
    if (other !== source && metric[other] !== undefined) errs.push(field.forbidden(`${path}.${other}`, 'must populate the given metric source only'));
  }
  const value = metric[source] as { name?: string; metric?: { name?: string }; target?: MetricTarget; describedObject?: CrossVersionObjectReference } | undefined;
  if (!value) return [...errs, field.required(`${path}.${source}`, `must populate information for the given metric source`)];
  if (source === 'resource' || source === 'containerResource') {
    if (!value.name) errs.push(field.required(`${path}.${source}.name`, ''));
  } else if (!value.metric?.name) {
    errs.push(field.required(`${path}.${source}.metric.name`, ''));
  }
  if (source === 'object') errs.push(...validateTargetRef(value.describedObject, `${path}.object.describedObject`));
  errs.push(...validateTarget(value.target, `${path}.${source}.target`));
  return errs;
}

function validateRules(rules: ScalingRules | undefined, path: string): Errs {
  if (!rules) return [];
  const errs: Errs = [];
  const window = rules.stabilizationWindowSeconds;
  if (window !== undefined && (window < 0 || window > 3600)) errs.push(field.invalid(`${path}.stabilizationWindowSeconds`, window, 'must be less than or equal to 3600'));
  if (rules.selectPolicy !== undefined && !['Max', 'Min', 'Disabled'].includes(rules.selectPolicy)) {
    errs.push(field.notSupported(`${path}.selectPolicy`, rules.selectPolicy, ['Disabled', 'Max', 'Min']));
  }
  (rules.policies ?? []).forEach((policy, i) => {
    const p = `${path}.policies[${i}]`;
    if (policy.type !== 'Pods' && policy.type !== 'Percent') errs.push(field.notSupported(`${p}.type`, policy.type ?? '', ['Percent', 'Pods']));
    if ((policy.value ?? 0) <= 0) errs.push(field.invalid(`${p}.value`, policy.value ?? 0, 'must be greater than zero'));
    const period = policy.periodSeconds ?? 0;
    if (period <= 0) errs.push(field.invalid(`${p}.periodSeconds`, period, 'must be greater than zero'));
    else if (period > 1800) errs.push(field.invalid(`${p}.periodSeconds`, period, 'must be less than or equal to 1800'));
  });
  return errs;
}

export function validateHorizontalPodAutoscalerV2(obj: HorizontalPodAutoscalerV2): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = obj.spec ?? {};
  errs.push(...validateTargetRef(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  errs.push(...validateBounds(spec.minReplicas, spec.maxReplicas));
  (spec.metrics ?? []).forEach((metric, i) => errs.push(...validateMetric(metric, `spec.metrics[${i}]`)));
  errs.push(...validateRules(spec.behavior?.scaleUp, 'spec.behavior.scaleUp'));
  errs.push(...validateRules(spec.behavior?.scaleDown, 'spec.behavior.scaleDown'));
  return errs;
}

export function validateHorizontalPodAutoscalerV1(obj: HorizontalPodAutoscalerV1): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = obj.spec ?? {};
  errs.push(...validateTargetRef(spec.scaleTargetRef, 'spec.scaleTargetRef'));
  errs.push(...validateBounds(spec.minReplicas, spec.maxReplicas));
  const target = spec.targetCPUUtilizationPercentage;
  if (target !== undefined && target < 1) errs.push(field.invalid('spec.targetCPUUtilizationPercentage', target, 'must be greater than 0'));
  return errs;
}
