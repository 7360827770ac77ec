/** rbac.authorization.k8s.io/v1 resource types. Stored now; authorization uses them in a later issue. */
import { ageOf } from '../../machinery/duration.js';
import type { ResourceType, TableConvertor } from '../resource.js';
import { nameColumn } from '../common/print.js';
import {
  ClusterRoleBindingSchema,
  ClusterRoleSchema,
  RBAC_GROUP,
  RoleBindingSchema,
  RoleSchema,
  type ClusterRole,
  type Role,
  type RoleBinding,
} from './schema.js';
import { validateBinding, validateBindingUpdate, validateClusterRole, validateRole } from './validation.js';

/** Roles print their creation time, not an age, as upstream does. */
const roleTable: TableConvertor<Role> = {
  columns: [nameColumn, { name: 'Created At', type: 'date', description: 'When the role was created.' }],
  cells: (obj) => [obj.metadata.name ?? '', obj.metadata.creationTimestamp ? new Date(obj.metadata.creationTimestamp).toISOString().replace(/\.\d{3}Z$/, 'Z') : null],
};

const bindingTable: TableConvertor<RoleBinding> = {
  columns: [
    nameColumn,
    { name: 'Role', type: 'string', description: 'The role granted.' },
    { name: 'Age', type: 'string', description: 'Time since the binding was created.' },
    { name: 'Users', type: 'string', priority: 1, description: 'Users the role is granted to.' },
    { name: 'Groups', type: 'string', priority: 1, description: 'Groups the role is granted to.' },
    { name: 'ServiceAccounts', type: 'string', priority: 1, description: 'Service accounts the role is granted to.' },
  ],
  cells(obj, now) {
    const subjects = obj.subjects ?? [];
    const named = (kind: string) => subjects.filter((s) => s.kind === kind).map((s) => s.name);
    const serviceAccounts = subjects.filter((s) => s.kind === 'ServiceAccount').map((s) => `${s.namespace ?? ''}/${s.name}`);
    return [
      obj.metadata.name ?? '',
      `${obj.roleRef?.kind ?? ''}/${obj.roleRef?.name ?? ''}`,
      ageOf(obj.metadata.creationTimestamp, now),
      named('User').join(', '),
      named('Group').join(', '),
      serviceAccounts.join(', '),
    ];
  },
};

function defaultBinding(obj: RoleBinding): void {
  if (obj.roleRef && !obj.roleRef.apiGroup) obj.roleRef.apiGroup = RBAC_GROUP;
  for (const subject of obj.subjects ?? []) {
    // Users and groups live in the RBAC group; service accounts in the core group.
    if (!subject.apiGroup && (subject.kind === 'User' || subject.kind === 'Group')) subject.apiGroup = RBAC_GROUP;
    else if (!subject.apiGroup && subject.kind === 'ServiceAccount') subject.apiGroup = '';
  }
}

const common = { group: RBAC_GROUP, version: 'v1' };

export const roles: ResourceType<Role> = {
  ...common,
  kind: 'Role',
  resource: 'roles',
  singular: 'role',
  namespaced: true,
  schema: RoleSchema,
  validate: (obj) => validateRole(obj, true),
  table: roleTable,
};

export const clusterroles: ResourceType<ClusterRole> = {
  ...common,
  kind: 'ClusterRole',
  resource: 'clusterroles',
  singular: 'clusterrole',
  namespaced: false,
  schema: ClusterRoleSchema,
  validate: (obj) => validateClusterRole(obj),
  table: roleTable,
};

export const rolebindings: ResourceType<RoleBinding> = {
  ...common,
  kind: 'RoleBinding',
  resource: 'rolebindings',
  singular: 'rolebinding',
  namespaced: true,
  schema: RoleBindingSchema,
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, true),
  validateUpdate: validateBindingUpdate,
  table: bindingTable,
};

export const clusterrolebindings: ResourceType<RoleBinding> = {
  ...common,
  kind: 'ClusterRoleBinding',
  resource: 'clusterrolebindings',
  singular: 'clusterrolebinding',
  namespaced: false,
  schema: ClusterRoleBindingSchema,
  defaults: defaultBinding,
  validate: (obj) => validateBinding(obj, false),
  validateUpdate: validateBindingUpdate,
  table: bindingTable,
};
