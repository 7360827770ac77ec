/** batch/v1 Job: defaults, the generated selector, validation and table. */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { validateImmutable, validateNonNegative, validateObjectMeta } from '../../machinery/validation.js';
import { labelSelectorMatches } from '../../machinery/labels.js';
import { humanDuration } from '../../machinery/duration.js';
import { defaultPodTemplateSpec, templateSummary, validatePodTemplateSpec } from '../core/index.js';
import { AGE_COLUMN, NAME_COLUMN, age, column } from '../core/table-util.js';
import { formatLabelSelector, validateLabelSelector } from '../common/selector.js';
import type { TableConvertor } from '../resource.js';
import type { Job, JobSpec } from './types.js';

type Errs = FieldErrorLike[];

const maxInt32 = 2 ** 31 - 1;

/** Labels the apiserver puts on a Job's pod template to tie its pods to it. */
export const jobLabels = {
  controllerUid: 'batch.kubernetes.io/controller-uid',
  jobName: 'batch.kubernetes.io/job-name',
  legacyControllerUid: 'controller-uid',
  legacyJobName: 'job-name',
};

/** SetDefaults_Job, for a Job or a CronJob's job template. */
export function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions === undefined && spec.parallelism === undefined) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  spec.parallelism ??= 1;
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? maxInt32 : 6;
  spec.completionMode ||= 'NonIndexed';
  spec.suspend ??= false;
  spec.podReplacementPolicy ||= spec.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  spec.manualSelector ??= false;
  defaultPodTemplateSpec(spec.template);
}

export function defaultJob(obj: Job): void {
  defaultJobSpec((obj.spec ??= {}));
}

/**
 * Unless the user chose the selector by hand, a Job selects its pods by its
 * own uid: the apiserver writes the selector and the matching template labels.
 */
export function prepareJobForCreate(obj: Job): void {
  obj.status = {};
  const spec = (obj.spec ??= {});
  if (spec.manualSelector === true) return;
  const uid = obj.metadata.uid ?? '';
  const name = obj.metadata.name ?? '';
  const template = (spec.template ??= {});
  const metadata = (template.metadata ??= {});
  metadata.labels = {
    ...metadata.labels,
    [jobLabels.controllerUid]: uid,
    [jobLabels.jobName]: name,
    [jobLabels.legacyControllerUid]: uid,
    [jobLabels.legacyJobName]: name,
  };
  spec.selector = { matchLabels: { [jobLabels.controllerUid]: uid } };
}

/** The rules a Job spec and a CronJob's job template share. */
export function validateJobSpec(spec: JobSpec, path: string, requireSelector: boolean): Errs {
  const errs: Errs = [];
  errs.push(...validateNonNegative(spec.parallelism, `${path}.parallelism`));
  errs.push(...validateNonNegative(spec.completions, `${path}.completions`));
  errs.push(...validateNonNegative(spec.backoffLimit, `${path}.backoffLimit`));
  errs.push(...validateNonNegative(spec.ttlSecondsAfterFinished, `${path}.ttlSecondsAfterFinished`));
  if (spec.activeDeadlineSeconds !== undefined && spec.activeDeadlineSeconds <= 0) {
    errs.push(field.invalid(`${path}.activeDeadlineSeconds`, spec.activeDeadlineSeconds, 'must be greater than 0'));
  }
  if (spec.completionMode !== undefined && spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
    errs.push(field.notSupported(`${path}.completionMode`, spec.completionMode, ['NonIndexed', 'Indexed']));
  }
  if (spec.completionMode === 'Indexed' && spec.completions === undefined) {
    errs.push(field.required(`${path}.completions`, 'when completion mode is Indexed'));
  }
  if (spec.backoffLimitPerIndex !== undefined && spec.completionMode !== 'Indexed') {
    errs.push(field.forbidden(`${path}.backoffLimitPerIndex`, 'requires indexed completion mode'));
  }
  if (spec.podReplacementPolicy !== undefined && !['TerminatingOrFailed', 'Failed'].includes(spec.podReplacementPolicy)) {
    errs.push(field.notSupported(`${path}.podReplacementPolicy`, spec.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
  }
  if (spec.selector) errs.push(...validateLabelSelector(spec.selector, `${path}.selector`));
  else if (requireSelector) errs.push(field.required(`${path}.selector`, ''));
  if (!spec.template) {
    errs.push(field.required(`${path}.template`, ''));
    return errs;
  }
  if (spec.selector && !labelSelectorMatches(spec.selector, spec.template.metadata?.labels)) {
    errs.push(field.invalid(`${path}.template.metadata.labels`, spec.template.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(spec.template, `${path}.template`));
  const restartPolicy = spec.template.spec?.restartPolicy;
  if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    if (restartPolicy === undefined || restartPolicy === '') {
      errs.push(field.required(`${path}.template.spec.restartPolicy`, 'valid values: "OnFailure", "Never"'));
    } else {
      errs.push(field.notSupported(`${path}.template.spec.restartPolicy`, restartPolicy, ['OnFailure', 'Never']));
    }
  }
  return errs;
}

export function validateJob(obj: Job): Errs {
  return [...validateObjectMeta(obj.metadata, { namespaced: true }), ...validateJobSpec(obj.spec ?? {}, 'spec', true)];
}

/**
 * A running Job's pods are fixed: its selector, completion mode and (unless
 * the Job is suspended, when upstream lets schedulers adjust it) template.
 */
export function validateJobUpdate(obj: Job, old: Job): Errs {
  const spec = obj.spec ?? {};
  const oldSpec = old.spec ?? {};
  const errs: Errs = [
    ...validateImmutable(spec.selector, oldSpec.selector, 'spec.selector'),
    ...validateImmutable(spec.completionMode, oldSpec.completionMode, 'spec.completionMode'),
  ];
  if (!(oldSpec.suspend && spec.suspend !== undefined)) errs.push(...validateImmutable(spec.template, oldSpec.template, 'spec.template'));
  // Elastic Indexed Jobs may change completions together with parallelism.
  const elastic = spec.completionMode === 'Indexed' && spec.completions === spec.parallelism;
  if (!elastic) errs.push(...validateImmutable(spec.completions, oldSpec.completions, 'spec.completions'));
  return errs;
}

function hasCondition(obj: Job, type: string): boolean {
  return (obj.status?.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

/** The STATUS column of upstream 1.32's printer. */
export function jobStatus(obj: Job): string {
  if (hasCondition(obj, 'Complete')) return 'Complete';
  if (hasCondition(obj, 'Failed')) return 'Failed';
  if (obj.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(obj, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(obj, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  if (hasCondition(obj, 'Suspended')) return 'Suspended';
  return 'Running';
}

function completions(obj: Job): string {
  const succeeded = obj.status?.succeeded ?? 0;
  if (obj.spec?.completions !== undefined) return `${succeeded}/${obj.spec.completions}`;
  const parallelism = obj.spec?.parallelism ?? 0;
  return parallelism > 1 ? `${succeeded}/1 of ${parallelism}` : `${succeeded}/1`;
}

function duration(obj: Job, now: Date): string {
  const start = obj.status?.startTime;
  if (!start) return '';
  const end = obj.status?.completionTime ? Date.parse(obj.status.completionTime) : now.getTime();
  return humanDuration(end - Date.parse(start));
}

export const jobTable: TableConvertor<Job> = {
  columns: [
    NAME_COLUMN,
    column('Status', 'Status of the job.'),
    column('Completions', 'The desired number of successfully finished pods the job should be run with.'),
    column('Duration', 'Time required to complete the job.'),
    AGE_COLUMN,
    column('Containers', 'Names of each container in the template.', 1),
    column('Images', 'Images referenced by each container in the template.', 1),
    column('Selector', 'Query over pods that should match the pod count.', 1),
  ],
  cells(obj, now) {
    const summary = templateSummary(obj.spec?.template);
    return [obj.metadata.name, jobStatus(obj), completions(obj), duration(obj, now), age(obj, now), summary.containers, summary.images, formatLabelSelector(obj.spec?.selector)];
  },
};
