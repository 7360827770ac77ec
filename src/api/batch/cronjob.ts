/** batch/v1 CronJob: defaults, validation and table. */
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { validateNonNegative, validateObjectMeta } from '../../machinery/validation.js';
import { templateSummary } from '../core/index.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, since } from '../core/table-util.js';
import { formatLabelSelector } from '../common/selector.js';
import type { TableConvertor } from '../resource.js';
import { cronScheduleError, isKnownTimeZone } from './cron.js';
import { defaultJobSpec, validateJobSpec } from './job.js';
import type { CronJob } from './types.js';

type Errs = FieldErrorLike[];

/**
 * Jobs are named `<cronjob>-<minutes since epoch>` (11 characters more) and
 * their pods' labels carry that name, so a CronJob name may be at most 52 long.
 */
const maxCronJobNameLength = 52;

export function defaultCronJob(obj: CronJob): void {
  const spec = (obj.spec ??= {});
  spec.concurrencyPolicy ||= 'Allow';
  spec.suspend ??= false;
  spec.successfulJobsHistoryLimit ??= 3;
  spec.failedJobsHistoryLimit ??= 1;
  const jobTemplate = (spec.jobTemplate ??= {});
  defaultJobSpec((jobTemplate.spec ??= {}));
}

export function validateCronJob(obj: CronJob): Errs {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  const name = obj.metadata.name ?? '';
  if (name.length > maxCronJobNameLength) errs.push(field.invalid('metadata.name', name, `must be no more than ${maxCronJobNameLength} characters`));
  const spec = obj.spec ?? {};
  if (!spec.schedule) errs.push(field.required('spec.schedule', ''));
  else {
    const problem = cronScheduleError(spec.schedule);
    if (problem) errs.push(field.invalid('spec.schedule', spec.schedule, problem));
  }
  if (spec.timeZone !== undefined) {
    if (spec.timeZone === 'Local' || /\s/.test(spec.timeZone) || spec.timeZone === '') {
      errs.push(field.invalid('spec.timeZone', spec.timeZone, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones'));
    } else if (!isKnownTimeZone(spec.timeZone)) {
      errs.push(field.invalid('spec.timeZone', spec.timeZone, `unknown time zone ${spec.timeZone}`));
    }
  }
  if (spec.concurrencyPolicy !== undefined && !['Allow', 'Forbid', 'Replace'].includes(spec.concurrencyPolicy)) {
    errs.push(field.notSupported('spec.concurrencyPolicy', spec.concurrencyPolicy, ['Allow', 'Forbid', 'Replace']));
  }
  errs.push(...validateNonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'));
  errs.push(...validateNonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'));
  errs.push(...validateNonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'));
  if (!spec.jobTemplate) errs.push(field.required('spec.jobTemplate', ''));
  else errs.push(...validateJobSpec(spec.jobTemplate.spec ?? {}, 'spec.jobTemplate.spec', false));
  return errs;
}

export const cronJobTable: TableConvertor<CronJob> = {
  columns: [
    NAME_COLUMN,
    column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column('Timezone', 'The time zone name for the given schedule.'),
    column('Suspend', 'This flag tells the controller to suspend subsequent executions.', 0, 'boolean'),
    column('Active', 'A list of pointers to currently running jobs.', 0, 'integer'),
    column('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
    AGE_COLUMN,
    column('Containers', 'Names of each container in the template.', 1),
    column('Images', 'Images referenced by each container in the template.', 1),
    column('Selector', 'Query over pods that should match the pod count.', 1),
  ],
  cells(obj, now) {
    const template = obj.spec?.jobTemplate?.spec;
    const summary = templateSummary(template?.template);
    const last = obj.status?.lastScheduleTime ? since(obj.status.lastScheduleTime, now) : '<none>';
    return [
      obj.metadata.name,
      obj.spec?.schedule ?? '',
      obj.spec?.timeZone ?? '<none>',
      obj.spec?.suspend ? 'True' : 'False',
      obj.status?.active?.length ?? 0,
      last,
      age(obj, now),
      summary.containers,
      summary.images,
      formatLabelSelector(template?.selector),
    ];
  },
};
