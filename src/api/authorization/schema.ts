/** Schemas and types of authorization.k8s.io/v1: the access reviews. */
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, s } from '../../machinery/schema/index.js';

export const AUTHORIZATION_GROUP = 'authorization.k8s.io';
const V1 = 'io.k8s.api.authorization.v1';

export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

export interface AccessReviewStatus {
  allowed: boolean;
  denied?: boolean;
  reason?: string;
  evaluationError?: string;
}

/** SubjectAccessReview and LocalSubjectAccessReview: may this user do this? */
export interface SubjectAccessReview extends KubeObject {
  spec: {
    resourceAttributes?: ResourceAttributes;
    nonResourceAttributes?: NonResourceAttributes;
    user?: string;
    groups?: string[];
    extra?: Record<string, string[]>;
    uid?: string;
  };
  status?: AccessReviewStatus;
}

/** SelfSubjectAccessReview: may I do this? (`kubectl auth can-i`) */
export interface SelfSubjectAccessReview extends KubeObject {
  spec: { resourceAttributes?: ResourceAttributes; nonResourceAttributes?: NonResourceAttributes };
  status?: AccessReviewStatus;
}

/** SelfSubjectRulesReview: what may I do in this namespace? (`kubectl auth can-i --list`) */
export interface SelfSubjectRulesReview extends KubeObject {
  spec: { namespace?: string };
  status?: {
    resourceRules: { verbs: string[]; apiGroups?: string[]; resources?: string[]; resourceNames?: string[] }[];
    nonResourceRules: { verbs: string[]; nonResourceURLs?: string[] }[];
    incomplete: boolean;
    evaluationError?: string;
  };
}

const names = (description: string) => s.array(s.string(), description, { listType: 'atomic' });

const FieldSelectorAttributesSchema = s.object(`${V1}.FieldSelectorAttributes`, 'A field selector the request is limited to.', {
  rawSelector: s.string('The serialization of a field selector.'),
  requirements: s.array(s.any(), 'The parsed requirements of the selector.', { listType: 'atomic' }),
});
const LabelSelectorAttributesSchema = s.object(`${V1}.LabelSelectorAttributes`, 'A label selector the request is limited to.', {
  rawSelector: s.string('The serialization of a label selector.'),
  requirements: s.array(s.any(), 'The parsed requirements of the selector.', { listType: 'atomic' }),
});

const ResourceAttributesSchema = s.object(`${V1}.ResourceAttributes`, 'The attributes of a request about a resource.', {
  namespace: s.string('The namespace of the action; "" means all namespaces for namespaced resources.'),
  verb: s.string('A Kubernetes resource API verb (get, list, watch, create, update, delete, proxy) or "*".'),
  group: s.string('The API group of the resource; "*" means all.'),
  version: s.string('The API version of the resource; "*" means all.'),
  resource: s.string('One of the existing resource types; "*" means all.'),
  subresource: s.string('One of the existing subresources; "" means none.'),
  name: s.string('The name of the resource being requested for a get or deleted for a delete; "" means all.'),
  fieldSelector: s.field(FieldSelectorAttributesSchema, 'The field selector of the request.'),
  labelSelector: s.field(LabelSelectorAttributesSchema, 'The label selector of the request.'),
});

const NonResourceAttributesSchema = s.object(`${V1}.NonResourceAttributes`, 'The attributes of a request for a path that is not a resource.', {
  path: s.string('The URL path of the request.'),
  verb: s.string('The standard HTTP verb.'),
});

const StatusSchema = s.object(`${V1}.SubjectAccessReviewStatus`, 'The answer.', {
  allowed: s.boolean('Whether the action would be allowed.'),
  denied: s.boolean('Whether the action was explicitly denied (an authorizer said no, not just nobody said yes).'),
  reason: s.string('Why the action was allowed or denied.'),
  evaluationError: s.string('What went wrong while deciding; the answer may still stand.'),
}, { required: ['allowed'] });

const SubjectSpecSchema = s.object(`${V1}.SubjectAccessReviewSpec`, 'Exactly one of resourceAttributes and nonResourceAttributes, and the user asked about.', {
  resourceAttributes: s.field(ResourceAttributesSchema, 'A request about a resource.'),
  nonResourceAttributes: s.field(NonResourceAttributesSchema, 'A request for a path.'),
  user: s.string('The user to test for.'),
  groups: names("The groups to test for."),
  extra: s.map(s.array(s.string()), 'Extra information from the authenticator.'),
  uid: s.string('Information about the requesting user.'),
});

const SelfSpecSchema = s.object(`${V1}.SelfSubjectAccessReviewSpec`, 'Exactly one of resourceAttributes and nonResourceAttributes.', {
  resourceAttributes: s.field(ResourceAttributesSchema, 'A request about a resource.'),
  nonResourceAttributes: s.field(NonResourceAttributesSchema, 'A request for a path.'),
});

export const SubjectAccessReviewSchema = kindSchema({
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  kind: 'SubjectAccessReview',
  definitionName: `${V1}.SubjectAccessReview`,
  description: 'Checks whether a user or group can perform an action.',
  fields: { spec: s.field(SubjectSpecSchema, 'What is being asked.'), status: s.field(StatusSchema, 'The answer, filled in by the server.') },
  required: ['spec'],
});

export const LocalSubjectAccessReviewSchema = kindSchema({
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  kind: 'LocalSubjectAccessReview',
  definitionName: `${V1}.LocalSubjectAccessReview`,
  description: 'Checks whether a user or group can perform an action in a namespace: what a namespace admin may ask.',
  fields: { spec: s.field(SubjectSpecSchema, 'What is being asked; the namespace must be the review\'s own.'), status: s.field(StatusSchema, 'The answer, filled in by the server.') },
  required: ['spec'],
});

export const SelfSubjectAccessReviewSchema = kindSchema({
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  kind: 'SelfSubjectAccessReview',
  definitionName: `${V1}.SelfSubjectAccessReview`,
  description: 'Checks whether the current user can perform an action.',
  fields: { spec: s.field(SelfSpecSchema, 'What is being asked.'), status: s.field(StatusSchema, 'The answer, filled in by the server.') },
  required: ['spec'],
});

const ResourceRuleSchema = s.object(`${V1}.ResourceRule`, 'What the user may do with resources.', {
  verbs: names('The verbs allowed; "*" means all.'),
  apiGroups: names('The API groups of the resources; "*" means all.'),
  resources: names('The resources; "*" means all, "*/x" every resource\'s subresource x.'),
  resourceNames: names('The names the rule is limited to; empty means all.'),
}, { required: ['verbs'] });

const NonResourceRuleSchema = s.object(`${V1}.NonResourceRule`, 'What the user may do with paths.', {
  verbs: names('The verbs allowed; "*" means all.'),
  nonResourceURLs: names('The paths; a trailing "*" matches a prefix.'),
}, { required: ['verbs'] });

export const SelfSubjectRulesReviewSchema = kindSchema({
  group: AUTHORIZATION_GROUP,
  version: 'v1',
  kind: 'SelfSubjectRulesReview',
  definitionName: `${V1}.SelfSubjectRulesReview`,
  description: 'Lists what the current user may do in a namespace. Not every authorizer can list its rules: check incomplete.',
  fields: {
    spec: s.field(s.object(`${V1}.SelfSubjectRulesReviewSpec`, 'Which namespace.', { namespace: s.string('The namespace to list rules in.') }), 'What is being asked.'),
    status: s.field(
      s.object(`${V1}.SubjectRulesReviewStatus`, 'The rules, filled in by the server.', {
        resourceRules: s.array(ResourceRuleSchema, 'What the user may do with resources.', { listType: 'atomic' }),
        nonResourceRules: s.array(NonResourceRuleSchema, 'What the user may do with paths.', { listType: 'atomic' }),
        incomplete: s.boolean('True when the list may lack rules an authorizer could not enumerate.'),
        evaluationError: s.string('What went wrong while listing.'),
      }, { required: ['resourceRules', 'nonResourceRules', 'incomplete'] }),
      'The answer.',
    ),
  },
  required: ['spec'],
});
