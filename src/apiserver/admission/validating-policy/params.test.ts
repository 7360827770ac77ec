/**
 * Parameters of bindings (params.ts through the plugin): by name, by selector, namespaces, parameterNotFoundAction, unserved kinds.
 */
import { describe } from 'node:test';
import { binding, check, configMap, deployment, namespaces, policy, refused, type Case } from './testing.js';

describe('ValidatingAdmissionPolicy: params', () => {
  const maxReplicas = policy('p', {
    paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
    validations: [{ expression: 'object.spec.replicas <= int(params.data.maxReplicas)', messageExpression: "'at most ' + params.data.maxReplicas + ' replicas (' + params.metadata.name + ', a ' + params.kind + ')'" }],
  });
  const cases: Case[] = [
    {
      name: 'a ConfigMap by name',
      policies: [maxReplicas],
      bindings: [binding('b', 'p', { paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } })],
      params: [configMap('limits', { maxReplicas: '3' })],
      request: { object: deployment({ replicas: 5 }) },
      denied: refused('at most 3 replicas (limits, a ConfigMap)'),
    },
    {
      name: 'within the limit of the ConfigMap',
      policies: [maxReplicas],
      bindings: [binding('b', 'p', { paramRef: { name: 'limits', parameterNotFoundAction: 'Deny' } })],
      params: [configMap('limits', { maxReplicas: '3' })],
      request: { object: deployment({ replicas: 2 }) },
    },
    {
      name: 'by selector: one evaluation per parameter object',
      policies: [maxReplicas],
      bindings: [binding('b', 'p', { validationActions: ['Warn'], paramRef: { selector: { matchLabels: { limits: 'true' } }, parameterNotFoundAction: 'Deny' } })],
      params: [configMap('a', { maxReplicas: '1' }, { limits: 'true' }), configMap('b', { maxReplicas: '2' }, { limits: 'true' }), configMap('c', { maxReplicas: '1' })],
      request: { object: deployment({ replicas: 3 }) },
      warnings: [
        "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': at most 1 replicas (a, a ConfigMap)",
        "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': at most 2 replicas (b, a ConfigMap)",
      ],
    },
    {
      name: 'the binding namespace of the parameters',
      policies: [maxReplicas],
      bindings: [binding('b', 'p', { paramRef: { name: 'limits', namespace: 'kube-system', parameterNotFoundAction: 'Deny' } })],
      params: [configMap('limits', { maxReplicas: '3' }), configMap('limits', { maxReplicas: '1' }, {}, 'kube-system')],
      request: { object: deployment({ replicas: 2 }) },
      denied: refused('at most 1 replicas (limits, a ConfigMap)'),
    },
    {
      name: 'parameterNotFoundAction Deny',
      policies: [maxReplicas],
      bindings: [binding('b', 'p', { paramRef: { name: 'missing', parameterNotFoundAction: 'Deny' } })],
      denied: refused('failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction'),
    },
    { name: 'parameterNotFoundAction Allow', policies: [maxReplicas], bindings: [binding('b', 'p', { paramRef: { name: 'missing', parameterNotFoundAction: 'Allow' } })] },
    {
      name: 'a binding without paramRef: params is null',
      policies: [policy('p', { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, validations: [{ expression: 'params != null', message: 'no params' }] })],
      bindings: [binding('b', 'p')],
      denied: refused('no params'),
    },
    {
      name: 'a paramKind that is not served (Fail)',
      policies: [policy('p', { paramKind: { apiVersion: 'example.com/v1', kind: 'Limits' }, validations: [{ expression: 'true' }] })],
      bindings: [binding('b', 'p', { paramRef: { name: 'x', parameterNotFoundAction: 'Deny' } })],
      denied: `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'p' denied request: failed to configure policy: failed to find resource referenced by paramKind: 'example.com/v1, Kind=Limits'`,
    },
    {
      name: 'a paramKind that is not served (Ignore)',
      policies: [policy('p', { failurePolicy: 'Ignore', paramKind: { apiVersion: 'example.com/v1', kind: 'Limits' }, validations: [{ expression: 'false' }] })],
      bindings: [binding('b', 'p', { paramRef: { name: 'x', parameterNotFoundAction: 'Deny' } })],
    },
    {
      name: 'a namespace for cluster-scoped parameters',
      policies: [policy('p', { paramKind: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' }, validations: [{ expression: 'true' }] })],
      bindings: [binding('b', 'p', { paramRef: { name: 'x', namespace: 'default', parameterNotFoundAction: 'Deny' } })],
      denied: refused('failed to configure binding: paramRef.namespace must not be provided for a cluster-scoped `paramKind`'),
    },
    {
      name: 'namespaced parameters for a cluster-scoped request',
      policies: [
        policy('p', {
          paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE'], resources: ['namespaces'] }] },
          validations: [{ expression: 'true' }],
        }),
      ],
      bindings: [binding('b', 'p', { paramRef: { name: 'x', parameterNotFoundAction: 'Deny' } })],
      request: { type: namespaces, namespace: undefined, name: 'team', object: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team' } } },
      // A Namespace's request names the namespace itself: its parameters are read there.
      denied: refused('failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction', 'p', 'b', 'namespaces "team"'),
    },
  ];
  for (const c of cases) check(c);
});
