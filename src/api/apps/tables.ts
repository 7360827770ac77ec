/** `kubectl get` columns of the apps/v1 kinds, as upstream's printers define them. */
import type { KubeObject } from '../../machinery/object.js';
import type { TableColumn, TableConvertor } from '../resource.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, formatLabels } from '../core/table-util.js';
import { templateSummary } from '../core/index.js';
import { formatLabelSelector } from '../common/selector.js';
import type { ControllerRevision, DaemonSet, Deployment, PodTemplateSpec, ReplicaSet, StatefulSet } from './types.js';

const wideColumns = (withSelector: boolean): TableColumn[] => [
  column('Containers', 'Names of each container in the template.', 1),
  column('Images', 'Images referenced by each container in the template.', 1),
  ...(withSelector ? [column('Selector', 'Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.', 1)] : []),
];

function wideCells(template: PodTemplateSpec | undefined, selector?: Parameters<typeof formatLabelSelector>[0]): string[] {
  const summary = templateSummary(template);
  return selector === undefined ? [summary.containers, summary.images] : [summary.containers, summary.images, formatLabelSelector(selector)];
}

export const deploymentTable: TableConvertor<Deployment> = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'Number of the pod with ready state'),
    column('Up-to-date', 'Total number of non-terminated pods targeted by this deployment that have the desired template spec.', 0, 'integer'),
    column('Available', 'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.', 0, 'integer'),
    AGE_COLUMN,
    ...wideColumns(true),
  ],
  cells: (obj, now) => [
    obj.metadata.name,
    `${obj.status?.readyReplicas ?? 0}/${obj.spec?.replicas ?? 0}`,
    obj.status?.updatedReplicas ?? 0,
    obj.status?.availableReplicas ?? 0,
    age(obj, now),
    ...wideCells(obj.spec?.template, obj.spec?.selector ?? {}),
  ],
};

export const replicaSetTable: TableConvertor<ReplicaSet> = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'Number of desired pods.', 0, 'integer'),
    column('Current', 'Number of actual replicas.', 0, 'integer'),
    column('Ready', 'The number of ready replicas for this replica set.', 0, 'integer'),
    AGE_COLUMN,
    ...wideColumns(true),
  ],
  cells: (obj, now) => [
    obj.metadata.name,
    obj.spec?.replicas ?? 0,
    obj.status?.replicas ?? 0,
    obj.status?.readyReplicas ?? 0,
    age(obj, now),
    ...wideCells(obj.spec?.template, obj.spec?.selector ?? {}),
  ],
};

export const statefulSetTable: TableConvertor<StatefulSet> = {
  columns: [NAME_COLUMN, column('Ready', 'Number of the pod with ready state'), AGE_COLUMN, ...wideColumns(false)],
  cells: (obj, now) => [
    obj.metadata.name,
    `${obj.status?.readyReplicas ?? 0}/${obj.spec?.replicas ?? 0}`,
    age(obj, now),
    ...wideCells(obj.spec?.template),
  ],
};

export const daemonSetTable: TableConvertor<DaemonSet> = {
  columns: [
    NAME_COLUMN,
    column('Desired', 'The total number of nodes that should be running the daemon pod.', 0, 'integer'),
    column('Current', 'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.', 0, 'integer'),
    column('Ready', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.', 0, 'integer'),
    column('Up-to-date', 'The total number of nodes that are running updated daemon pod', 0, 'integer'),
    column('Available', 'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available (ready for at least spec.minReadySeconds)', 0, 'integer'),
    column('Node Selector', 'NodeSelector is a selector which must be true for the pod to fit on a node.'),
    AGE_COLUMN,
    ...wideColumns(true),
  ],
  cells: (obj, now) => [
    obj.metadata.name,
    obj.status?.desiredNumberScheduled ?? 0,
    obj.status?.currentNumberScheduled ?? 0,
    obj.status?.numberReady ?? 0,
    obj.status?.updatedNumberScheduled ?? 0,
    obj.status?.numberAvailable ?? 0,
    formatLabels(obj.spec?.template?.spec?.nodeSelector),
    age(obj, now),
    ...wideCells(obj.spec?.template, obj.spec?.selector ?? {}),
  ],
};

/** `daemonset.apps/web`: the controlling owner, as kubectl names it. */
function controllerName(obj: KubeObject): string {
  const owner = obj.metadata.ownerReferences?.find((ref) => ref.controller);
  if (!owner) return '<none>';
  const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
  return `${owner.kind.toLowerCase()}${group ? `.${group}` : ''}/${owner.name}`;
}

export const controllerRevisionTable: TableConvertor<ControllerRevision> = {
  columns: [
    NAME_COLUMN,
    column('Controller', 'Controller of the object'),
    column('Revision', 'Revision of the ControllerRevision', 0, 'integer'),
    AGE_COLUMN,
  ],
  cells: (obj, now) => [obj.metadata.name, controllerName(obj), obj.revision ?? 0, age(obj, now)],
};
