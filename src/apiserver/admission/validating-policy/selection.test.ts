/**
 * Which requests a policy applies to, through the plugin: matchConditions, selectors, rules, subresources, scopes, matchPolicy.
 */
import { describe } from 'node:test';
import type { KubeObject } from '../../../machinery/object.js';
import { binding, check, configMap, defaultRules, deployment, hpaV1, namespaces, policy, refused, selfSubjectAccessReviews, typeOf, type Case, type PolicySpec } from './testing.js';

describe('ValidatingAdmissionPolicy: matchConditions', () => {
  const withConditions = (conditions: { name: string; expression: string }[], failurePolicy = 'Fail') =>
    policy('p', { failurePolicy, matchConditions: conditions, validations: [{ expression: 'false', message: 'checked' }] });
  const cases: Case[] = [
    { name: 'a false condition skips the policy', policies: [withConditions([{ name: 'updates', expression: "request.operation == 'UPDATE'" }])], bindings: [binding('b', 'p')] },
    { name: 'all true: the policy applies', policies: [withConditions([{ name: 'creates', expression: "request.operation == 'CREATE'" }, { name: 'web', expression: "object.metadata.name == 'web'" }])], bindings: [binding('b', 'p')], denied: refused('checked') },
    {
      name: 'an error with none false fails under Fail',
      policies: [withConditions([{ name: 'broken', expression: 'object.spec.nope == 1' }, { name: 'creates', expression: "request.operation == 'CREATE'" }])],
      bindings: [binding('b', 'p')],
      denied: refused("expression 'object.spec.nope == 1' resulted in error: no such key: nope"),
    },
    {
      name: 'several errors are aggregated',
      policies: [withConditions([{ name: 'a', expression: 'object.spec.nope == 1' }, { name: 'b', expression: 'object.spec.other == 1' }])],
      bindings: [binding('b', 'p')],
      denied: refused("[expression 'object.spec.nope == 1' resulted in error: no such key: nope, expression 'object.spec.other == 1' resulted in error: no such key: other]"),
    },
    { name: 'an error and a false condition: skipped', policies: [withConditions([{ name: 'a', expression: 'object.spec.nope == 1' }, { name: 'b', expression: 'false' }])], bindings: [binding('b', 'p')] },
    { name: 'an error under Ignore skips the policy', policies: [withConditions([{ name: 'a', expression: 'object.spec.nope == 1' }], 'Ignore')], bindings: [binding('b', 'p')] },
    {
      name: 'conditions see params and no namespaceObject',
      policies: [
        policy('p', {
          paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
          matchConditions: [{ name: 'enabled', expression: "params.data.enabled == 'true' && namespaceObject == null" }],
          validations: [{ expression: 'false', message: 'checked' }],
        }),
      ],
      bindings: [binding('b', 'p', { paramRef: { selector: {}, parameterNotFoundAction: 'Allow' } })],
      params: [configMap('on', { enabled: 'true' }), configMap('off', { enabled: 'false' })],
      denied: refused('checked'),
    },
  ];
  for (const c of cases) check(c);
});

describe('ValidatingAdmissionPolicy: matching requests', () => {
  const deny = (match: Partial<NonNullable<PolicySpec['matchConstraints']>>) => policy('p', { matchConstraints: match, validations: [{ expression: 'false', message: 'matched' }] });
  const namespaceObject = (labels: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team', labels } });
  const cases: Case[] = [
    { name: 'namespaceSelector: a matching namespace', policies: [deny({ namespaceSelector: { matchLabels: { env: 'prod' } } })], bindings: [binding('b', 'p')], denied: refused('matched') },
    { name: 'namespaceSelector: another namespace', policies: [deny({ namespaceSelector: { matchLabels: { env: 'prod' } } })], bindings: [binding('b', 'p')], request: { namespace: 'dev' } },
    {
      name: 'namespaceSelector: a Namespace create is judged by its own labels',
      policies: [deny({ namespaceSelector: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['namespaces'], scope: 'Cluster' }] })],
      bindings: [binding('b', 'p')],
      request: { type: namespaces, namespace: undefined, name: 'team', object: namespaceObject({ env: 'prod' }) },
      denied: refused('matched', 'p', 'b', 'namespaces "team"'),
    },
    {
      name: 'namespaceSelector: a namespace that does not exist',
      policies: [deny({ namespaceSelector: { matchLabels: { env: 'prod' } } })],
      bindings: [binding('b', 'p')],
      request: { namespace: 'ghost' },
      denied: `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'p' denied request: failed to configure policy: namespaces "ghost" not found`,
    },
    {
      name: 'namespaceSelector does not exempt cluster-scoped requests',
      policies: [deny({ namespaceSelector: { matchLabels: { env: 'prod' } }, resourceRules: [{ apiGroups: ['rbac.authorization.k8s.io'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['clusterroles'] }] })],
      bindings: [binding('b', 'p')],
      request: { type: typeOf('rbac.authorization.k8s.io', 'v1', 'clusterroles'), namespace: undefined, name: 'r', object: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'r' } } },
      denied: refused('matched', 'p', 'b', 'clusterroles.rbac.authorization.k8s.io "r"'),
    },
    { name: 'objectSelector: the new object', policies: [deny({ objectSelector: { matchLabels: { app: 'web' } } })], bindings: [binding('b', 'p')], denied: refused('matched') },
    {
      name: 'objectSelector: or the old one',
      policies: [deny({ objectSelector: { matchLabels: { app: 'old' } } })],
      bindings: [binding('b', 'p')],
      request: { operation: 'UPDATE', oldObject: deployment({ labels: { app: 'old' } }) },
      denied: refused('matched'),
    },
    { name: 'objectSelector: neither', policies: [deny({ objectSelector: { matchLabels: { app: 'db' } } })], bindings: [binding('b', 'p')] },
    { name: 'excludeResourceRules', policies: [deny({ excludeResourceRules: [{ apiGroups: ['apps'], apiVersions: ['*'], operations: ['*'], resources: ['deployments'], scope: '*' }] })], bindings: [binding('b', 'p')] },
    { name: 'resourceNames: another name', policies: [deny({ resourceRules: [{ ...defaultRules[0], resourceNames: ['api'] }] })], bindings: [binding('b', 'p')] },
    { name: 'resourceNames: this name', policies: [deny({ resourceRules: [{ ...defaultRules[0], resourceNames: ['web'] }] })], bindings: [binding('b', 'p')], denied: refused('matched') },
    { name: 'operations: not this one', policies: [deny({ resourceRules: [{ ...defaultRules[0], operations: ['DELETE'] }] })], bindings: [binding('b', 'p')] },
    { name: 'scope Cluster does not match a namespaced request', policies: [deny({ resourceRules: [{ ...defaultRules[0], scope: 'Cluster' }] })], bindings: [binding('b', 'p')] },
    { name: 'scope Namespaced matches it', policies: [deny({ resourceRules: [{ ...defaultRules[0], scope: 'Namespaced' }] })], bindings: [binding('b', 'p')], denied: refused('matched') },
    { name: 'a resource rule does not match its subresources', policies: [deny({})], bindings: [binding('b', 'p')], request: { operation: 'UPDATE', subresource: 'status', oldObject: deployment() } },
    {
      name: 'resource/subresource',
      policies: [deny({ resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['deployments/status'] }] })],
      bindings: [binding('b', 'p')],
      request: { operation: 'UPDATE', subresource: 'status', oldObject: deployment() },
      denied: refused('matched'),
    },
    {
      name: 'resource/* and */subresource',
      policies: [
        deny({ resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['UPDATE'], resources: ['deployments/*'] }] }),
        policy('q', { matchConstraints: { resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*/status'] }] }, validations: [{ expression: 'false', message: 'also matched' }] }),
      ],
      bindings: [binding('b', 'p', { validationActions: ['Warn'] }), binding('c', 'q', { validationActions: ['Warn'] })],
      request: { operation: 'UPDATE', subresource: 'status', oldObject: deployment() },
      warnings: ["Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': matched", "Validation failed for ValidatingAdmissionPolicy 'q' with binding 'c': also matched"],
    },
    {
      name: 'a binding narrows with its matchResources',
      policies: [deny({})],
      bindings: [binding('b', 'p', { matchResources: { namespaceSelector: { matchLabels: { env: 'dev' } }, objectSelector: {} } })],
    },
    {
      name: 'bindings of one policy apply each',
      policies: [deny({})],
      bindings: [
        binding('dev', 'p', { matchResources: { namespaceSelector: { matchLabels: { env: 'dev' } } } }),
        binding('prod', 'p', { validationActions: ['Warn'], matchResources: { namespaceSelector: { matchLabels: { env: 'prod' } } } }),
      ],
      warnings: ["Validation failed for ValidatingAdmissionPolicy 'p' with binding 'prod': matched"],
    },
    {
      name: 'matchPolicy Equivalent: another version of the resource, converted',
      policies: [
        policy('p', {
          matchConstraints: { matchPolicy: 'Equivalent', resourceRules: [{ apiGroups: ['autoscaling'], apiVersions: ['v2'], operations: ['CREATE'], resources: ['horizontalpodautoscalers'] }] },
          validations: [{ expression: 'false', messageExpression: "request.kind.version + ' ' + request.requestKind.version + ' ' + request.resource.version + ' ' + string(size(object.spec.metrics))" }],
        }),
      ],
      bindings: [binding('b', 'p')],
      request: {
        type: hpaV1,
        name: 'h',
        object: { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'default' }, spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3, targetCPUUtilizationPercentage: 50 } },
      },
      denied: refused('v2 v1 v2 1', 'p', 'b', 'horizontalpodautoscalers.autoscaling "h"'),
    },
    {
      name: 'matchPolicy Exact: only the version asked',
      policies: [deny({ matchPolicy: 'Exact', resourceRules: [{ apiGroups: ['autoscaling'], apiVersions: ['v2'], operations: ['CREATE'], resources: ['horizontalpodautoscalers'] }] })],
      bindings: [binding('b', 'p')],
      request: { type: hpaV1, name: 'h', object: { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h', namespace: 'default' }, spec: { maxReplicas: 3 } } },
    },
    {
      name: 'access reviews are never intercepted',
      policies: [deny({ resourceRules: [{ apiGroups: ['*'], apiVersions: ['*'], operations: ['*'], resources: ['*'] }] })],
      bindings: [binding('b', 'p')],
      request: { type: selfSubjectAccessReviews, namespace: undefined, name: undefined, object: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', metadata: {} } },
    },
  ];
  for (const c of cases) check(c);
});
