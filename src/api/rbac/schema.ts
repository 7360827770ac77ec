/** Schemas and types of rbac.authorization.k8s.io/v1. */
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, LabelSelectorSchema, s } from '../../machinery/schema/index.js';
import type { LabelSelector } from '../common/selector.js';

export const RBAC_GROUP = 'rbac.authorization.k8s.io';
const V1 = 'io.k8s.api.rbac.v1';

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

export interface Subject {
  kind: string;
  apiGroup?: string;
  name: string;
  namespace?: string;
}

export interface RoleRef {
  apiGroup: string;
  kind: string;
  name: string;
}

export interface Role extends KubeObject {
  rules?: PolicyRule[];
}

export interface ClusterRole extends Role {
  aggregationRule?: { clusterRoleSelectors?: LabelSelector[] };
}

export interface RoleBinding extends KubeObject {
  subjects?: Subject[];
  roleRef: RoleRef;
}

export const PolicyRuleSchema = s.object(
  `${V1}.PolicyRule`,
  'Actions allowed on resources or non-resource URLs.',
  {
    apiGroups: s.array(s.string(), 'API groups of the resources; "" is the core group, "*" all groups.', { listType: 'atomic' }),
    nonResourceURLs: s.array(s.string(), 'URL paths such as /healthz (cluster roles only); a trailing * matches a prefix.', { listType: 'atomic' }),
    resourceNames: s.array(s.string(), 'Names the rule is limited to; empty means all.', { listType: 'atomic' }),
    resources: s.array(s.string(), 'Resources, and resource/subresource; "*" means all.', { listType: 'atomic' }),
    verbs: s.array(s.string(), 'Allowed verbs, e.g. get, list, watch; "*" means all.', { listType: 'atomic' }),
  },
  { required: ['verbs'] },
);

const rules = s.array(PolicyRuleSchema, 'The permissions the role grants.', { listType: 'atomic' });

export const AggregationRuleSchema = s.object(`${V1}.AggregationRule`, 'How a cluster role collects the rules of other cluster roles.', {
  clusterRoleSelectors: s.array(LabelSelectorSchema, 'Cluster roles matching any selector contribute their rules.', { listType: 'atomic' }),
});

export const SubjectSchema = s.object(
  `${V1}.Subject`,
  'A user, group or service account a binding applies to.',
  {
    apiGroup: s.string('"" for ServiceAccount, rbac.authorization.k8s.io for User and Group.'),
    kind: s.string('User, Group or ServiceAccount.'),
    name: s.string('Name of the subject.'),
    namespace: s.string('Namespace of a service account subject.'),
  },
  { required: ['kind', 'name'], mapType: 'atomic' },
);

export const RoleRefSchema = s.object(
  `${V1}.RoleRef`,
  'The role a binding grants.',
  {
    apiGroup: s.string('Group of the role: rbac.authorization.k8s.io.'),
    kind: s.string('Role or ClusterRole.'),
    name: s.string('Name of the role.'),
  },
  { required: ['apiGroup', 'kind', 'name'], mapType: 'atomic' },
);

const subjects = s.array(SubjectSchema, 'Who the role is granted to.', { listType: 'atomic' });
const roleRef = s.field(RoleRefSchema, 'The role granted. Immutable; delete and recreate the binding to change it.');

const kind = (name: string, description: string, fields: Parameters<typeof kindSchema>[0]['fields'], required?: string[]) =>
  kindSchema({ group: RBAC_GROUP, version: 'v1', kind: name, definitionName: `${V1}.${name}`, description, fields, required });

export const RoleSchema = kind('Role', 'Permissions within one namespace.', { rules });
export const ClusterRoleSchema = kind('ClusterRole', 'Permissions cluster-wide, or reusable in any namespace through role bindings.', {
  aggregationRule: s.field(AggregationRuleSchema, 'When set, the rules are filled in from the selected cluster roles.'),
  rules,
});
export const RoleBindingSchema = kind('RoleBinding', 'Grants a role (or a cluster role) to subjects within one namespace.', { roleRef, subjects }, ['roleRef']);
export const ClusterRoleBindingSchema = kind('ClusterRoleBinding', 'Grants a cluster role to subjects cluster-wide.', { roleRef, subjects }, ['roleRef']);
