/** Schemas of batch/v1 Job and CronJob, field for field as upstream's Go types. */
import { kindSchema, LabelSelectorSchema, ObjectMetaSchema, s } from '../../machinery/schema/index.js';
import { ObjectReferenceSchema, PodTemplateSpecSchema } from '../core/index.js';

const V1 = 'io.k8s.api.batch.v1';

export const PodFailurePolicyRuleSchema = s.object(`${V1}.PodFailurePolicyRule`, 'What to do when a failed pod matches: FailJob, FailIndex, Ignore or Count.', {
  action: s.enumString(['Count', 'FailIndex', 'FailJob', 'Ignore'], 'The action on a match.'),
  onExitCodes: s.object(`${V1}.PodFailurePolicyOnExitCodesRequirement`, 'Matches on container exit codes.', {
    containerName: s.string('Only this container; all when unset.'),
    operator: s.enumString(['In', 'NotIn'], 'In or NotIn.'),
    values: s.array(s.int32(), 'Exit codes.', { listType: 'set' }),
  }, { required: ['operator', 'values'] }),
  onPodConditions: s.array(
    s.object(`${V1}.PodFailurePolicyOnPodConditionsPattern`, 'Matches a pod condition.', {
      status: s.string('True, False or Unknown.'),
      type: s.string('The pod condition type.'),
    }, { required: ['type', 'status'] }),
    'Matches on pod conditions.',
    { listType: 'atomic' },
  ),
}, { required: ['action'] });

export const JobSpecSchema = s.object(`${V1}.JobSpec`, 'The desired state of a Job.', {
  activeDeadlineSeconds: s.int64('Seconds the Job may run before it is terminated.'),
  backoffLimit: s.int32('Retries before the Job is marked failed (default 6).'),
  backoffLimitPerIndex: s.int32('Retries per index of an Indexed Job.'),
  completionMode: s.enumString(['NonIndexed', 'Indexed'], 'NonIndexed (default) or Indexed: each pod gets a completion index.'),
  completions: s.int32('Successful pods needed for the Job to complete.'),
  managedBy: s.string('The controller that manages this Job, when not the built-in one.'),
  manualSelector: s.boolean('Whether the selector is set by hand instead of generated.'),
  maxFailedIndexes: s.int32('Failed indexes allowed before the Job fails.'),
  parallelism: s.int32('Pods running at once at most.'),
  podFailurePolicy: s.object(`${V1}.PodFailurePolicy`, 'How failed pods count against the Job.', {
    rules: s.array(PodFailurePolicyRuleSchema, 'Rules, evaluated in order.', { listType: 'atomic' }),
  }, { required: ['rules'] }),
  podReplacementPolicy: s.enumString(['TerminatingOrFailed', 'Failed'], 'When a replacement pod is created.'),
  selector: s.field(LabelSelectorSchema, 'The pods of this Job; generated unless manualSelector.'),
  successPolicy: s.object(`${V1}.SuccessPolicy`, 'When an Indexed Job counts as succeeded early.', {
    rules: s.array(
      s.object(`${V1}.SuccessPolicyRule`, 'A set of indexes that must succeed.', {
        succeededCount: s.int32('How many of the indexes must succeed.'),
        succeededIndexes: s.string('Indexes, e.g. "1,3-5".'),
      }),
      'Rules; any one met is success.',
      { listType: 'atomic' },
    ),
  }, { required: ['rules'] }),
  suspend: s.boolean('Whether the Job is suspended (no pods run).'),
  template: s.field(PodTemplateSpecSchema, 'The pods the Job runs.'),
  ttlSecondsAfterFinished: s.int32('Seconds after finishing until the Job is deleted.'),
}, { required: ['template'] });

export const JobConditionSchema = s.object(`${V1}.JobCondition`, 'A condition of a Job.', {
  lastProbeTime: s.dateTime('When the condition was last probed.'),
  lastTransitionTime: s.dateTime('When the condition last changed status.'),
  message: s.string('Human-readable details.'),
  reason: s.string('Machine-readable reason.'),
  status: s.string('True, False or Unknown.'),
  type: s.string('Complete, Failed, Suspended, FailureTarget, SuccessCriteriaMet.'),
}, { required: ['type', 'status'] });

export const JobStatusSchema = s.object(`${V1}.JobStatus`, 'The observed state of a Job.', {
  active: s.int32('Pods running.'),
  completedIndexes: s.string('Completed indexes of an Indexed Job, e.g. "1,3-5".'),
  completionTime: s.dateTime('When the Job completed.'),
  conditions: s.array(JobConditionSchema, 'Latest observations.', { listType: 'atomic', mergeKey: 'type', patchStrategy: 'merge' }),
  failed: s.int32('Pods that failed.'),
  failedIndexes: s.string('Failed indexes of an Indexed Job.'),
  ready: s.int32('Pods that are ready.'),
  startTime: s.dateTime('When the controller started the Job.'),
  succeeded: s.int32('Pods that succeeded.'),
  terminating: s.int32('Pods terminating.'),
  uncountedTerminatedPods: s.object(`${V1}.UncountedTerminatedPods`, 'Finished pods not yet counted.', {
    failed: s.array(s.string(), 'UIDs of failed pods.', { listType: 'set' }),
    succeeded: s.array(s.string(), 'UIDs of succeeded pods.', { listType: 'set' }),
  }),
});

export const JobSchema = kindSchema({
  group: 'batch',
  version: 'v1',
  kind: 'Job',
  definitionName: `${V1}.Job`,
  description: 'Runs pods to completion.',
  fields: {
    spec: s.field(JobSpecSchema, 'Desired state.'),
    status: s.field(JobStatusSchema, 'Observed state, written by the controller.'),
  },
});

export const JobTemplateSpecSchema = s.object(`${V1}.JobTemplateSpec`, 'The Jobs a CronJob creates.', {
  metadata: s.field(ObjectMetaSchema, 'Metadata of the created Jobs.'),
  spec: s.field(JobSpecSchema, 'Spec of the created Jobs.'),
});

export const CronJobSpecSchema = s.object(`${V1}.CronJobSpec`, 'The desired state of a CronJob.', {
  concurrencyPolicy: s.enumString(['Allow', 'Forbid', 'Replace'], 'What to do when a run is due while the last still runs (default Allow).'),
  failedJobsHistoryLimit: s.int32('Failed Jobs kept (default 1).'),
  jobTemplate: s.field(JobTemplateSpecSchema, 'The Job to create at each run.'),
  schedule: s.string('When to run, in cron format.'),
  startingDeadlineSeconds: s.int64('Seconds after a missed run within which it may still start.'),
  successfulJobsHistoryLimit: s.int32('Successful Jobs kept (default 3).'),
  suspend: s.boolean('Whether new runs are suspended.'),
  timeZone: s.string('IANA time zone of the schedule; the controller manager\'s zone when unset.'),
}, { required: ['schedule', 'jobTemplate'] });

export const CronJobStatusSchema = s.object(`${V1}.CronJobStatus`, 'The observed state of a CronJob.', {
  active: s.array(ObjectReferenceSchema, 'Jobs running now.', { listType: 'atomic' }),
  lastScheduleTime: s.dateTime('When a Job was last scheduled.'),
  lastSuccessfulTime: s.dateTime('When a Job last succeeded.'),
});

export const CronJobSchema = kindSchema({
  group: 'batch',
  version: 'v1',
  kind: 'CronJob',
  definitionName: `${V1}.CronJob`,
  description: 'Runs a Job on a schedule.',
  fields: {
    spec: s.field(CronJobSpecSchema, 'Desired state.'),
    status: s.field(CronJobStatusSchema, 'Observed state, written by the controller.'),
  },
});
