/** The replicationcontrollers resource. */
import type { ResourceType } from '../resource.js';
import { field } from '../../machinery/status.js';
import { validateLabels, validateObjectMeta } from '../../machinery/validation.js';
import { ReplicationControllerSchema } from './schema/misc.js';
import { defaultPodTemplateSpec } from './defaults-pod.js';
import { validatePodTemplateSpec } from './validate-podspec.js';
import { templateSummary } from './pod.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, formatLabels } from './table-util.js';
import { mapSelectorMatches, nonNegative, type Errs } from './validate-common.js';
import { isObj } from './util.js';

function validateRC(rc: any): Errs {
  const errs = validateObjectMeta(rc.metadata, { namespaced: true });
  const spec = rc.spec ?? {};
  const selector = isObj(spec.selector) ? spec.selector : {};
  if (Object.keys(selector).length === 0) errs.push(field.required('spec.selector', ''));
  else errs.push(...validateLabels(selector, 'spec.selector'));
  errs.push(...nonNegative(spec.replicas, 'spec.replicas'), ...nonNegative(spec.minReadySeconds, 'spec.minReadySeconds'));
  const template = spec.template;
  if (!isObj(template)) {
    errs.push(field.required('spec.template', ''));
    return errs;
  }
  const labels = template.metadata?.labels;
  if (Object.keys(selector).length > 0 && !mapSelectorMatches(selector, labels)) {
    errs.push(field.invalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(template, 'spec.template'));
  const restartPolicy = template.spec?.restartPolicy;
  if (restartPolicy && restartPolicy !== 'Always') errs.push(field.notSupported('spec.template.spec.restartPolicy', restartPolicy, ['Always']));
  if (template.spec?.activeDeadlineSeconds !== undefined) {
    errs.push(field.invalid('spec.template.spec.activeDeadlineSeconds', template.spec.activeDeadlineSeconds, 'activeDeadlineSeconds in ReplicationController is not Supported'));
  }
  return errs;
}

function validateRCStatus(rc: any): Errs {
  const status = rc.status ?? {};
  const errs: Errs = [];
  for (const f of ['replicas', 'fullyLabeledReplicas', 'readyReplicas', 'availableReplicas', 'observedGeneration']) {
    errs.push(...nonNegative(status[f], `status.${f}`));
  }
  const replicas = status.replicas ?? 0;
  if ((status.fullyLabeledReplicas ?? 0) > replicas) errs.push(field.invalid('status.fullyLabeledReplicas', status.fullyLabeledReplicas, 'cannot be greater than status.replicas'));
  if ((status.readyReplicas ?? 0) > replicas) errs.push(field.invalid('status.readyReplicas', status.readyReplicas, 'cannot be greater than status.replicas'));
  if ((status.availableReplicas ?? 0) > replicas) errs.push(field.invalid('status.availableReplicas', status.availableReplicas, 'cannot be greater than status.replicas'));
  if ((status.availableReplicas ?? 0) > (status.readyReplicas ?? 0)) errs.push(field.invalid('status.availableReplicas', status.availableReplicas, 'cannot be greater than readyReplicas'));
  return errs;
}

export const replicationcontrollers: ResourceType = {
  group: '', version: 'v1', kind: 'ReplicationController', resource: 'replicationcontrollers', singular: 'replicationcontroller',
  shortNames: ['rc'], categories: ['all'], namespaced: true,
  schema: ReplicationControllerSchema,
  subresources: { status: true, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' } },
  hasGeneration: true,
  defaults(rc) {
    const spec = isObj(rc.spec) ? rc.spec : (rc.spec = {});
    const labels = spec.template?.metadata?.labels;
    // An RC without a selector or labels takes its template's labels.
    if (isObj(labels)) {
      if (!isObj(spec.selector) || Object.keys(spec.selector).length === 0) spec.selector = { ...labels };
      if (!rc.metadata.labels || Object.keys(rc.metadata.labels).length === 0) rc.metadata.labels = { ...labels };
    }
    spec.replicas ??= 1;
    if (isObj(spec.template)) defaultPodTemplateSpec(spec.template);
  },
  prepareForCreate(rc) {
    rc.status = { replicas: 0 };
  },
  validate: (rc) => validateRC(rc),
  validateStatusUpdate: (rc) => validateRCStatus(rc),
  table: {
    columns: [
      NAME_COLUMN,
      column('Desired', 'Number of desired pods.', 0, 'integer'),
      column('Current', 'Number of actual pods.', 0, 'integer'),
      column('Ready', 'Number of ready pods.', 0, 'integer'),
      AGE_COLUMN,
      column('Containers', 'Names of each container in the template.', 1),
      column('Images', 'Images referenced by each container in the template.', 1),
      column('Selector', 'Label selector for the pods.', 1),
    ],
    cells(rc, now) {
      const spec = (rc.spec ?? {}) as any;
      const status = (rc.status ?? {}) as any;
      const summary = templateSummary(spec.template);
      return [rc.metadata.name, spec.replicas ?? 0, status.replicas ?? 0, status.readyReplicas ?? 0, age(rc, now), summary.containers, summary.images, formatLabels(spec.selector)];
    },
  },
  selectableFields: (rc) => ({ 'status.replicas': String((rc.status as any)?.replicas ?? 0) }),
};
