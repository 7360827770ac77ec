/** typeCheckPolicy: the warnings of upstream's documentation examples, and what is deliberately not reported. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidatingAdmissionPolicy } from '../policies.js';
import { builtinRegistry } from '../../index.js';
import { schemaResolverOf, typeCheckPolicy } from './type-check.js';

const resolver = schemaResolverOf(builtinRegistry().all());
type Spec = NonNullable<ValidatingAdmissionPolicy['spec']>;

const policy = (validations: Spec['validations'], extra: Partial<Spec> = {}, resources = ['deployments']): ValidatingAdmissionPolicy => ({
  metadata: { name: 'replica-policy.example.com' },
  spec: {
    matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources }] },
    validations,
    ...extra,
  },
});

describe('typeCheckPolicy', () => {
  it("the documentation's example: an undefined field", () => {
    assert.deepEqual(typeCheckPolicy(policy([{ expression: 'object.replicas > 1' }]), resolver), [
      { fieldRef: 'spec.validations[0].expression', warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n" },
    ]);
  });

  it('each matched kind is checked, in order of group, version and kind', () => {
    const [warning] = typeCheckPolicy(policy([{ expression: 'object.replicas > 1' }], {}, ['replicasets', 'deployments']), resolver);
    assert.equal(
      warning.warning,
      "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n\n" +
        "apps/v1, Kind=ReplicaSet: ERROR: <input>:1:7: undefined field 'replicas'\n | object.replicas > 1\n | ......^\n",
    );
  });

  it('wrong operand types, fields inside comprehensions, message expressions', () => {
    const warnings = typeCheckPolicy(
      policy([
        { expression: "object.spec.replicas <= '5'" },
        { expression: "object.spec.template.spec.containers.all(c, c.imag.startsWith('x'))", messageExpression: "'bad ' + object.metadata.nam" },
      ]),
      resolver,
    );
    assert.deepEqual(warnings, [
      {
        fieldRef: 'spec.validations[0].expression',
        warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:22: found no matching overload for '_<=_' applied to '(int, string)'\n | object.spec.replicas <= '5'\n | .....................^\n",
      },
      {
        fieldRef: 'spec.validations[1].expression',
        warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:46: undefined field 'imag'\n | object.spec.template.spec.containers.all(c, c.imag.startsWith('x'))\n | .............................................^\n",
      },
      { fieldRef: 'spec.validations[1].messageExpression', warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:25: undefined field 'nam'\n | 'bad ' + object.metadata.nam\n | ........................^\n" },
    ]);
  });

  it('params are typed by the paramKind, variables by their expressions', () => {
    const warnings = typeCheckPolicy(
      policy([{ expression: 'object.spec.replicas <= int(params.data.max) && variables.replicas > 0' }, { expression: "params.dat.max == '1'" }], {
        paramKind: { apiVersion: 'v1', kind: 'ConfigMap' },
        variables: [{ name: 'replicas', expression: 'object.spec.replicas' }],
      }),
      resolver,
    );
    assert.deepEqual(warnings, [
      { fieldRef: 'spec.validations[1].expression', warning: "apps/v1, Kind=Deployment: ERROR: <input>:1:7: undefined field 'dat'\n | params.dat.max == '1'\n | ......^\n" },
    ]);
  });

  it('what typing could get wrong is not reported', () => {
    const expressions = [
      'object == oldObject',
      "object.metadata.creationTimestamp < timestamp('2020-01-01T00:00:00Z')",
      "object.spec.strategy.rollingUpdate.maxSurge == '25%'",
      "object.metadata.labels.app == 'web'",
      "has(object.spec.nope) || object.spec.replicas > 1",
    ];
    assert.deepEqual(typeCheckPolicy(policy(expressions.map((expression) => ({ expression }))), resolver), []);
  });

  it('rules with wildcards, subresources or unknown resources are not checked', () => {
    const p = policy([{ expression: 'object.nope > 1' }]);
    p.spec!.matchConstraints!.resourceRules = [
      { apiGroups: ['*'], apiVersions: ['v1'], operations: ['*'], resources: ['deployments'] },
      { apiGroups: ['apps'], apiVersions: ['v1'], operations: ['*'], resources: ['deployments/status', '*', 'nonexistent'] },
    ];
    assert.deepEqual(typeCheckPolicy(p, resolver), []);
  });
});
