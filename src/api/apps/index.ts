/**
 * apps/v1: the workload kinds — Deployment, ReplicaSet, StatefulSet,
 * DaemonSet — and ControllerRevision, the history StatefulSets and
 * DaemonSets roll back to. Data and pure functions only; the controllers
 * that act on these objects live in src/controllers.
 */
import type { ResourceType } from '../resource.js';
import { validateObjectMeta } from '../../machinery/validation.js';
import { defaultDaemonSet, defaultDeployment, defaultReplicaSet, defaultStatefulSet } from './defaults.js';
import { ControllerRevisionSchema, DaemonSetSchema, DeploymentSchema, ReplicaSetSchema, StatefulSetSchema } from './schema.js';
import { controllerRevisionTable, daemonSetTable, deploymentTable, replicaSetTable, statefulSetTable } from './tables.js';
import type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from './types.js';
import {
  validateControllerRevision,
  validateControllerRevisionUpdate,
  validateDaemonSet,
  validateDeployment,
  validateReplicaSet,
  validateSelectorImmutable,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from './validation.js';

export * from './schema.js';
export * from './types.js';
export * from './defaults.js';
export * from './validation.js';

/** Where the scale subresource finds replicas and the selector in every apps workload. */
const scale = { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.spec.selector' };

/** Workloads start with an empty status; only their controller writes it (through /status). */
function resetStatus(obj: { status?: unknown }): void {
  obj.status = {};
}

/** A status write may only change status; its values must make sense. */
function validateStatusCounts(obj: { metadata: Deployment['metadata']; status?: Record<string, unknown> }): ReturnType<typeof validateObjectMeta> {
  const errs = validateObjectMeta(obj.metadata, { namespaced: true });
  for (const [key, value] of Object.entries(obj.status ?? {})) {
    if (typeof value === 'number' && value < 0) errs.push({ type: 'FieldValueInvalid', field: `status.${key}`, value, detail: 'must be greater than or equal to 0' });
  }
  return errs;
}

export const deployments: ResourceType<Deployment> = {
  group: 'apps',
  version: 'v1',
  kind: 'Deployment',
  resource: 'deployments',
  singular: 'deployment',
  shortNames: ['deploy'],
  categories: ['all'],
  namespaced: true,
  schema: DeploymentSchema,
  subresources: { status: true, scale },
  hasGeneration: true,
  defaults: defaultDeployment,
  prepareForCreate: resetStatus,
  validate: validateDeployment,
  validateUpdate: validateSelectorImmutable,
  validateStatusUpdate: validateStatusCounts,
  table: deploymentTable,
};

export const replicasets: ResourceType<ReplicaSet> = {
  group: 'apps',
  version: 'v1',
  kind: 'ReplicaSet',
  resource: 'replicasets',
  singular: 'replicaset',
  shortNames: ['rs'],
  categories: ['all'],
  namespaced: true,
  schema: ReplicaSetSchema,
  subresources: { status: true, scale },
  hasGeneration: true,
  defaults: defaultReplicaSet,
  prepareForCreate: resetStatus,
  validate: validateReplicaSet,
  validateUpdate: validateSelectorImmutable,
  validateStatusUpdate: validateStatusCounts,
  table: replicaSetTable,
  selectableFields: (obj) => ({ 'status.replicas': String(obj.status?.replicas ?? 0) }),
};

export const statefulsets: ResourceType<StatefulSet> = {
  group: 'apps',
  version: 'v1',
  kind: 'StatefulSet',
  resource: 'statefulsets',
  singular: 'statefulset',
  shortNames: ['sts'],
  categories: ['all'],
  namespaced: true,
  schema: StatefulSetSchema,
  subresources: { status: true, scale },
  hasGeneration: true,
  defaults: defaultStatefulSet,
  prepareForCreate: resetStatus,
  validate: validateStatefulSet,
  validateUpdate: (obj, old) => [...validateSelectorImmutable(obj, old), ...validateStatefulSetUpdate(obj, old)],
  validateStatusUpdate: validateStatusCounts,
  table: statefulSetTable,
};

export const daemonsets: ResourceType<DaemonSet> = {
  group: 'apps',
  version: 'v1',
  kind: 'DaemonSet',
  resource: 'daemonsets',
  singular: 'daemonset',
  shortNames: ['ds'],
  categories: ['all'],
  namespaced: true,
  schema: DaemonSetSchema,
  subresources: { status: true },
  hasGeneration: true,
  defaults: defaultDaemonSet,
  prepareForCreate: resetStatus,
  validate: validateDaemonSet,
  validateUpdate: validateSelectorImmutable,
  validateStatusUpdate: validateStatusCounts,
  table: daemonSetTable,
};

export const controllerrevisions: ResourceType<ControllerRevision> = {
  group: 'apps',
  version: 'v1',
  kind: 'ControllerRevision',
  resource: 'controllerrevisions',
  singular: 'controllerrevision',
  namespaced: true,
  schema: ControllerRevisionSchema,
  validate: validateControllerRevision,
  validateUpdate: validateControllerRevisionUpdate,
  table: controllerRevisionTable,
};

export const resources = [deployments, replicasets, statefulsets, daemonsets, controllerrevisions] as ResourceType[];
