/**
 * batch/v1: Jobs (pods that run to completion) and CronJobs (Jobs on a
 * schedule). Data and pure functions; the Job and CronJob controllers act on them.
 */
import type { ResourceType } from '../resource.js';
import { CronJobSchema, JobSchema } from './schema.js';
import { defaultJob, jobTable, prepareJobForCreate, validateJob, validateJobUpdate } from './job.js';
import { cronJobTable, defaultCronJob, validateCronJob } from './cronjob.js';
import type { CronJob, Job } from './types.js';

export * from './schema.js';
export * from './types.js';
export * from './cron.js';
export { defaultJob, defaultJobSpec, jobLabels, jobStatus, prepareJobForCreate, validateJob, validateJobSpec, validateJobUpdate } from './job.js';
export { defaultCronJob, validateCronJob } from './cronjob.js';

export const jobs: ResourceType<Job> = {
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  resource: 'jobs',
  singular: 'job',
  categories: ['all'],
  namespaced: true,
  schema: JobSchema,
  subresources: { status: true },
  hasGeneration: true,
  defaults: defaultJob,
  prepareForCreate: prepareJobForCreate,
  validate: validateJob,
  validateUpdate: validateJobUpdate,
  table: jobTable,
  selectableFields: (obj) => ({ 'status.successful': String(obj.status?.succeeded ?? 0) }),
};

export const cronjobs: ResourceType<CronJob> = {
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  resource: 'cronjobs',
  singular: 'cronjob',
  shortNames: ['cj'],
  categories: ['all'],
  namespaced: true,
  schema: CronJobSchema,
  subresources: { status: true },
  hasGeneration: true,
  defaults: defaultCronJob,
  prepareForCreate(obj) {
    obj.status = {};
  },
  validate: validateCronJob,
  table: cronJobTable,
};

export const resources = [jobs, cronjobs] as ResourceType[];
