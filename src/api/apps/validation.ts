/**
 * Validation of apps/v1 objects, with upstream's field paths and messages
 * (pkg/apis/apps/validation): what kubectl prints after `Invalid value`.
 */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { validateImmutable, validateNonNegative, validateObjectMeta } from '../../machinery/validation.js';
import { labelSelectorMatches } from '../../machinery/labels.js';
import { validatePodTemplateSpec, type PodSpecValidationOptions } from '../core/index.js';
import { validateLabelSelector, type LabelSelector } from '../common/selector.js';
import { isZeroIntOrPercent, validateNotMoreThan100Percent, validatePositiveIntOrPercent } from '../common/intorstring.js';
import type { ControllerRevision, DaemonSet, Deployment, IntOrString, PodTemplateSpec, ReplicaSet, StatefulSet } from './types.js';

type Errs = FieldErrorLike[];

/**
 * The selector must be present and non-empty, the template's labels must
 * match it (else the controller would never see its own pods), and a
 * workload's pods always restart.
 */
function validateSelectorAndTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  path: string,
  kindWord: string,
  requireTemplate = true,
  podSpecOptions: PodSpecValidationOptions = {},
): Errs {
  const errs: Errs = [];
  const selectorEmpty = !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
  if (!selector) errs.push(field.required(`${path}.selector`, ''));
  else {
    errs.push(...validateLabelSelector(selector, `${path}.selector`));
    if (selectorEmpty) errs.push(field.invalid(`${path}.selector`, selector, `empty selector is invalid for ${kindWord}`));
  }
  if (!template) {
    if (requireTemplate) errs.push(field.required(`${path}.template`, ''));
    return errs;
  }
  if (selector && !selectorEmpty && !labelSelectorMatches(selector, template.metadata?.labels)) {
    errs.push(field.invalid(`${path}.template.metadata.labels`, template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, `${path}.template`, podSpecOptions));
  const restartPolicy = template.spec?.restartPolicy;
  if (restartPolicy !== undefined && restartPolicy !== 'Always') {
    errs.push(field.notSupported(`${path}.template.spec.restartPolicy`, restartPolicy, ['Always']));
  }
  return errs;
}

function validateCountOrPercent(value: IntOrString | undefined, path: string): Errs {
  return [...validatePositiveIntOrPercent(value, path), ...validateNotMoreThan100Percent(value, path)];
}

export function validateDeployment(obj: Deployment): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = obj.spec ?? {};
  errs.push(...validateNonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'spec', 'deployment'));
  const strategy = spec.strategy ?? {};
  if (strategy.type === 'Recreate') {
    if (strategy.rollingUpdate) {
      errs.push(field.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    }
  } else if (strategy.type === 'RollingUpdate') {
    const rolling = strategy.rollingUpdate ?? {};
    errs.push(...validatePositiveIntOrPercent(rolling.maxSurge, 'spec.strategy.rollingUpdate.maxSurge'));
    errs.push(...validateCountOrPercent(rolling.maxUnavailable, 'spec.strategy.rollingUpdate.maxUnavailable'));
    if (isZeroIntOrPercent(rolling.maxSurge) && isZeroIntOrPercent(rolling.maxUnavailable)) {
      errs.push(field.invalid('spec.strategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  } else if (strategy.type !== undefined) {
    errs.push(field.notSupported('spec.strategy.type', strategy.type, ['Recreate', 'RollingUpdate']));
  }
  errs.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateNonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  if (spec.progressDeadlineSeconds !== undefined) {
    errs.push(...validateNonNegative(spec.progressDeadlineSeconds, 'spec.progressDeadlineSeconds'));
    if (spec.progressDeadlineSeconds <= (spec.minReadySeconds ?? 0)) {
      errs.push(field.invalid('spec.progressDeadlineSeconds', spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  return errs;
}

export function validateReplicaSet(obj: ReplicaSet): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = obj.spec ?? {};
  errs.push(...validateNonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  // A ReplicaSet may omit its template only while it wants no pods.
  errs.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'spec', 'deployment', (spec.replicas ?? 1) > 0));
  return errs;
}

export function validateStatefulSet(obj: StatefulSet): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = obj.spec ?? {};
  if (spec.podManagementPolicy !== undefined && !['OrderedReady', 'Parallel'].includes(spec.podManagementPolicy)) {
    errs.push(field.invalid('spec.podManagementPolicy', spec.podManagementPolicy, 'must be \'OrderedReady\' or \'Parallel\''));
  }
  const strategy = spec.updateStrategy ?? {};
  if (strategy.type === 'OnDelete') {
    if (strategy.rollingUpdate) errs.push(field.invalid('spec.updateStrategy.rollingUpdate', strategy.rollingUpdate, "only allowed for updateStrategy 'RollingUpdate'"));
  } else if (strategy.type === 'RollingUpdate') {
    const rolling = strategy.rollingUpdate ?? {};
    errs.push(...validateNonNegative(rolling.partition, 'spec.updateStrategy.rollingUpdate.partition'));
    if (rolling.maxUnavailable !== undefined) {
      errs.push(...validateCountOrPercent(rolling.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
      if (isZeroIntOrPercent(rolling.maxUnavailable)) {
        errs.push(field.invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, 'must be greater than 0'));
      }
    }
  } else if (strategy.type !== undefined) {
    errs.push(field.invalid('spec.updateStrategy', strategy, "must be 'RollingUpdate' or 'OnDelete'"));
  }
  const retention = spec.persistentVolumeClaimRetentionPolicy ?? {};
  for (const which of ['whenDeleted', 'whenScaled'] as const) {
    const value = retention[which];
    if (value !== undefined && value !== 'Retain' && value !== 'Delete') {
      errs.push(field.notSupported(`spec.persistentVolumeClaimRetentionPolicy.${which}`, value, ['Retain', 'Delete']));
    }
  }
  errs.push(...validateNonNegative(spec.replicas, 'spec.replicas'));
  errs.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateNonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  errs.push(...validateNonNegative(spec.ordinals?.start, 'spec.ordinals.start'));
  // Each pod gets a volume named after every volumeClaimTemplate (the controller
  // adds it), so containers may mount a claim template by name.
  const claimTemplateNames = (spec.volumeClaimTemplates ?? []).map((claim) => claim.metadata?.name).filter((name): name is string => Boolean(name));
  errs.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'spec', 'statefulset', true, { providedVolumeNames: claimTemplateNames }));
  if (spec.template?.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(field.forbidden('spec.template.spec.activeDeadlineSeconds', 'activeDeadlineSeconds in StatefulSet is not Supported'));
  }
  (spec.volumeClaimTemplates ?? []).forEach((claim, i) => {
    if (!claim.metadata?.name) errs.push(field.required(`spec.volumeClaimTemplates[${i}].metadata.name`, ''));
  });
  return errs;
}

/** The StatefulSet spec fields an update may change; everything else is fixed at creation. */
const statefulSetMutableFields = ['replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'];

export function validateStatefulSetUpdate(obj: StatefulSet, old: StatefulSet): Errs {
  const strip = (spec: StatefulSet['spec']) => {
    const copy: Record<string, unknown> = { ...(spec ?? {}) };
    for (const key of statefulSetMutableFields) delete copy[key];
    return JSON.stringify(Object.fromEntries(Object.entries(copy).sort(([a], [b]) => a.localeCompare(b))));
  };
  if (strip(obj.spec) !== strip(old.spec)) {
    return [
      field.forbidden(
        'spec',
        "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
      ),
    ];
  }
  return [];
}

export function validateDaemonSet(obj: DaemonSet): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const spec = obj.spec ?? {};
  errs.push(...validateSelectorAndTemplate(spec.selector, spec.template, 'spec', 'daemonset'));
  const strategy = spec.updateStrategy ?? {};
  if (strategy.type === 'RollingUpdate') {
    const rolling = strategy.rollingUpdate ?? {};
    errs.push(...validateCountOrPercent(rolling.maxUnavailable, 'spec.updateStrategy.rollingUpdate.maxUnavailable'));
    errs.push(...validateCountOrPercent(rolling.maxSurge, 'spec.updateStrategy.rollingUpdate.maxSurge'));
    if (isZeroIntOrPercent(rolling.maxSurge) && isZeroIntOrPercent(rolling.maxUnavailable)) {
      errs.push(field.invalid('spec.updateStrategy.rollingUpdate.maxUnavailable', rolling.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  } else if (strategy.type !== undefined && strategy.type !== 'OnDelete') {
    errs.push(field.notSupported('spec.updateStrategy.type', strategy.type, ['OnDelete', 'RollingUpdate']));
  }
  errs.push(...validateNonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  errs.push(...validateNonNegative(spec.revisionHistoryLimit, 'spec.revisionHistoryLimit'));
  return errs;
}

/** apps/v1 selectors cannot change: pods of the old selector would be orphaned silently. */
export function validateSelectorImmutable(obj: { spec?: { selector?: LabelSelector } }, old: { spec?: { selector?: LabelSelector } }): Errs {
  return validateImmutable(obj.spec?.selector, old.spec?.selector, 'spec.selector');
}

export function validateControllerRevision(obj: ControllerRevision): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  errs.push(...validateNonNegative(obj.revision, 'revision'));
  return errs;
}

export function validateControllerRevisionUpdate(obj: ControllerRevision, old: ControllerRevision): Errs {
  return validateImmutable(obj.data, old.data, 'data');
}
