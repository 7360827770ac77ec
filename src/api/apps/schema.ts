/** Schemas of the apps/v1 kinds, field for field as upstream's Go types. */
import { kindSchema, LabelSelectorSchema, s, type Schema } from '../../machinery/schema/index.js';
import { PersistentVolumeClaimSchema, PodTemplateSpecSchema } from '../core/index.js';

const V1 = 'io.k8s.api.apps.v1';

/** The condition type of each workload kind; only Deployment's has lastUpdateTime. */
function conditions(name: string) {
  const properties: Record<string, Schema> = {
    lastTransitionTime: s.dateTime('When the condition last changed status.'),
    message: s.string('Human-readable details.'),
    reason: s.string('Machine-readable reason for the last transition.'),
    status: s.string('True, False or Unknown.'),
    type: s.string('Type of the condition.'),
  };
  if (name === 'DeploymentCondition') properties.lastUpdateTime = s.dateTime('When the condition was last updated.');
  const schema = s.object(`${V1}.${name}`, `A condition of the ${name.replace('Condition', '')}.`, properties, { required: ['type', 'status'] });
  return s.array(schema, 'Latest observations of the current state.', { listType: 'map', mapKeys: ['type'], mergeKey: 'type', patchStrategy: 'merge' });
}

const selector = s.field(LabelSelectorSchema, 'Which pods belong to this object; must match the template labels. Immutable.');
const template = s.field(PodTemplateSpecSchema, 'The pods this object creates.');

export const RollingUpdateDeploymentSchema = s.object(`${V1}.RollingUpdateDeployment`, 'How fast a rolling update proceeds.', {
  maxSurge: s.intOrString('Pods that may exist above the desired count during the update: a number or a percentage (default 25%).'),
  maxUnavailable: s.intOrString('Pods that may be unavailable during the update: a number or a percentage (default 25%).'),
});

export const DeploymentStrategySchema = s.object(`${V1}.DeploymentStrategy`, 'How old pods are replaced by new ones.', {
  rollingUpdate: s.field(RollingUpdateDeploymentSchema, 'Parameters of a RollingUpdate.'),
  type: s.enumString(['Recreate', 'RollingUpdate'], 'Recreate or RollingUpdate (default).'),
});

export const DeploymentSpecSchema = s.object(`${V1}.DeploymentSpec`, 'The desired state of a Deployment.', {
  minReadySeconds: s.int32('Seconds a new pod must be ready before it counts as available.'),
  paused: s.boolean('Stops the rollout controller from acting on changes.'),
  progressDeadlineSeconds: s.int32('Seconds a rollout may go without progress before it is reported failed (default 600).'),
  replicas: s.int32('Desired number of pods (default 1).'),
  revisionHistoryLimit: s.int32('Old ReplicaSets kept for rollback (default 10).'),
  selector,
  strategy: s.field(DeploymentStrategySchema, 'How pods are replaced.', { patchStrategy: 'retainKeys' }),
  template,
}, { required: ['selector', 'template'] });

export const DeploymentStatusSchema = s.object(`${V1}.DeploymentStatus`, 'The observed state of a Deployment.', {
  availableReplicas: s.int32('Pods ready for at least minReadySeconds.'),
  collisionCount: s.int32('Hash collisions seen when naming ReplicaSets.'),
  conditions: conditions('DeploymentCondition'),
  observedGeneration: s.int64('The generation the controller last acted on.'),
  readyReplicas: s.int32('Pods that are ready.'),
  replicas: s.int32('Pods of every ReplicaSet of this Deployment.'),
  unavailableReplicas: s.int32('Pods still needed for the desired count to be available.'),
  updatedReplicas: s.int32('Pods of the newest template.'),
});

export const DeploymentSchema = kindSchema({
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  definitionName: `${V1}.Deployment`,
  description: 'Declarative updates for a set of identical pods, through ReplicaSets.',
  fields: {
    spec: s.field(DeploymentSpecSchema, 'Desired state.'),
    status: s.field(DeploymentStatusSchema, 'Observed state, written by the controller.'),
  },
});

export const ReplicaSetSpecSchema = s.object(`${V1}.ReplicaSetSpec`, 'The desired state of a ReplicaSet.', {
  minReadySeconds: s.int32('Seconds a new pod must be ready before it counts as available.'),
  replicas: s.int32('Desired number of pods (default 1).'),
  selector,
  template,
}, { required: ['selector'] });

export const ReplicaSetStatusSchema = s.object(`${V1}.ReplicaSetStatus`, 'The observed state of a ReplicaSet.', {
  availableReplicas: s.int32('Pods ready for at least minReadySeconds.'),
  conditions: conditions('ReplicaSetCondition'),
  fullyLabeledReplicas: s.int32('Pods whose labels match the template labels.'),
  observedGeneration: s.int64('The generation the controller last acted on.'),
  readyReplicas: s.int32('Pods that are ready.'),
  replicas: s.int32('Pods currently owned.'),
}, { required: ['replicas'] });

export const ReplicaSetSchema = kindSchema({
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  definitionName: `${V1}.ReplicaSet`,
  description: 'Keeps a given number of identical pods running.',
  fields: {
    spec: s.field(ReplicaSetSpecSchema, 'Desired state.'),
    status: s.field(ReplicaSetStatusSchema, 'Observed state, written by the controller.'),
  },
});

export const RollingUpdateStatefulSetStrategySchema = s.object(`${V1}.RollingUpdateStatefulSetStrategy`, 'Parameters of a StatefulSet rolling update.', {
  maxUnavailable: s.intOrString('Pods that may be unavailable during the update (default 1).'),
  partition: s.int32('Only pods with an ordinal at or above this are updated (default 0).'),
});

export const StatefulSetUpdateStrategySchema = s.object(`${V1}.StatefulSetUpdateStrategy`, 'How pods are updated when the template changes.', {
  rollingUpdate: s.field(RollingUpdateStatefulSetStrategySchema, 'Parameters of a RollingUpdate.'),
  type: s.enumString(['OnDelete', 'RollingUpdate'], 'RollingUpdate (default) or OnDelete.'),
});

export const StatefulSetPersistentVolumeClaimRetentionPolicySchema = s.object(
  `${V1}.StatefulSetPersistentVolumeClaimRetentionPolicy`,
  'What happens to the claims of volumeClaimTemplates when pods go away.',
  {
    whenDeleted: s.enumString(['Retain', 'Delete'], 'On StatefulSet deletion: Retain (default) or Delete.'),
    whenScaled: s.enumString(['Retain', 'Delete'], 'On scale down: Retain (default) or Delete.'),
  },
);

export const StatefulSetOrdinalsSchema = s.object(`${V1}.StatefulSetOrdinals`, 'The numbering of StatefulSet pods.', {
  start: s.int32('The first ordinal (default 0).'),
});

export const StatefulSetSpecSchema = s.object(`${V1}.StatefulSetSpec`, 'The desired state of a StatefulSet.', {
  minReadySeconds: s.int32('Seconds a new pod must be ready before it counts as available.'),
  ordinals: s.field(StatefulSetOrdinalsSchema, 'Pod numbering.'),
  persistentVolumeClaimRetentionPolicy: s.field(StatefulSetPersistentVolumeClaimRetentionPolicySchema, 'Claim lifecycle.'),
  podManagementPolicy: s.enumString(['OrderedReady', 'Parallel'], 'OrderedReady (default): one pod at a time, in order; Parallel: all at once.'),
  replicas: s.int32('Desired number of pods (default 1).'),
  revisionHistoryLimit: s.int32('ControllerRevisions kept (default 10).'),
  selector,
  serviceName: s.string('The headless Service that gives the pods their network identity.'),
  template,
  updateStrategy: s.field(StatefulSetUpdateStrategySchema, 'How pods are updated.'),
  volumeClaimTemplates: s.array(PersistentVolumeClaimSchema, 'Claims each pod gets its own copy of.', { listType: 'atomic' }),
}, { required: ['selector', 'template'] });

export const StatefulSetStatusSchema = s.object(`${V1}.StatefulSetStatus`, 'The observed state of a StatefulSet.', {
  availableReplicas: s.int32('Pods ready for at least minReadySeconds.'),
  collisionCount: s.int32('Hash collisions seen when naming ControllerRevisions.'),
  conditions: conditions('StatefulSetCondition'),
  currentReplicas: s.int32('Pods at currentRevision.'),
  currentRevision: s.string('Revision of the pods in the sequence before the update.'),
  observedGeneration: s.int64('The generation the controller last acted on.'),
  readyReplicas: s.int32('Pods that are ready.'),
  replicas: s.int32('Pods created.'),
  updateRevision: s.string('Revision the pods are being updated to.'),
  updatedReplicas: s.int32('Pods at updateRevision.'),
}, { required: ['replicas'] });

export const StatefulSetSchema = kindSchema({
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  definitionName: `${V1}.StatefulSet`,
  description: 'Pods with stable names and storage, created and updated in order.',
  fields: {
    spec: s.field(StatefulSetSpecSchema, 'Desired state.'),
    status: s.field(StatefulSetStatusSchema, 'Observed state, written by the controller.'),
  },
});

export const RollingUpdateDaemonSetSchema = s.object(`${V1}.RollingUpdateDaemonSet`, 'Parameters of a DaemonSet rolling update.', {
  maxSurge: s.intOrString('Nodes that may run an old and a new pod at once (default 0).'),
  maxUnavailable: s.intOrString('Nodes whose pod may be unavailable during the update (default 1).'),
});

export const DaemonSetUpdateStrategySchema = s.object(`${V1}.DaemonSetUpdateStrategy`, 'How pods are updated when the template changes.', {
  rollingUpdate: s.field(RollingUpdateDaemonSetSchema, 'Parameters of a RollingUpdate.'),
  type: s.enumString(['OnDelete', 'RollingUpdate'], 'RollingUpdate (default) or OnDelete.'),
});

export const DaemonSetSpecSchema = s.object(`${V1}.DaemonSetSpec`, 'The desired state of a DaemonSet.', {
  minReadySeconds: s.int32('Seconds a new pod must be ready before it counts as available.'),
  revisionHistoryLimit: s.int32('ControllerRevisions kept (default 10).'),
  selector,
  template,
  updateStrategy: s.field(DaemonSetUpdateStrategySchema, 'How pods are updated.'),
}, { required: ['selector', 'template'] });

export const DaemonSetStatusSchema = s.object(`${V1}.DaemonSetStatus`, 'The observed state of a DaemonSet.', {
  collisionCount: s.int32('Hash collisions seen when naming ControllerRevisions.'),
  conditions: conditions('DaemonSetCondition'),
  currentNumberScheduled: s.int32('Nodes running at least one daemon pod that should.'),
  desiredNumberScheduled: s.int32('Nodes that should run the daemon pod.'),
  numberAvailable: s.int32('Nodes whose daemon pod is available.'),
  numberMisscheduled: s.int32('Nodes running the daemon pod that should not.'),
  numberReady: s.int32('Nodes whose daemon pod is ready.'),
  numberUnavailable: s.int32('Nodes that should run an available daemon pod and do not.'),
  observedGeneration: s.int64('The generation the controller last acted on.'),
  updatedNumberScheduled: s.int32('Nodes running the updated daemon pod.'),
}, { required: ['currentNumberScheduled', 'numberMisscheduled', 'desiredNumberScheduled', 'numberReady'] });

export const DaemonSetSchema = kindSchema({
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  definitionName: `${V1}.DaemonSet`,
  description: 'One pod on every (selected) node.',
  fields: {
    spec: s.field(DaemonSetSpecSchema, 'Desired state.'),
    status: s.field(DaemonSetStatusSchema, 'Observed state, written by the controller.'),
  },
});

export const ControllerRevisionSchema = kindSchema({
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  definitionName: `${V1}.ControllerRevision`,
  description: 'An immutable snapshot of a StatefulSet or DaemonSet template, for rollbacks.',
  fields: {
    data: s.any('The serialized state.'),
    revision: s.int64('The revision number.'),
  },
  required: ['revision'],
});

