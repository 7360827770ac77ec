/** The policy status controller's pure part: what a policy's status says after type checking. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { builtinRegistry } from '../../api/index.js';
import { schemaResolverOf } from '../../api/admissionregistration/cel/type-check.js';
import { policyStatus } from './controller.js';

const resolver = schemaResolverOf(builtinRegistry().all());
const policy = (expression: string) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind: 'ValidatingAdmissionPolicy',
  metadata: { name: 'p', generation: 3 },
  spec: {
    matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE'], resources: ['deployments'] }] },
    validations: [{ expression }],
  },
});

const cases: [string, string, (status: Record<string, unknown>) => void][] = [
  ['a sound expression: no warnings', 'object.spec.replicas <= 5', (status) => assert.deepEqual(status.typeChecking, {})],
  [
    'a field Deployments do not have: a warning naming the expression',
    'object.spec.replicaz <= 5',
    (status) => {
      const warnings = (status.typeChecking as { expressionWarnings: { fieldRef: string; warning: string }[] }).expressionWarnings;
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0].fieldRef, 'spec.validations[0].expression');
      assert.match(warnings[0].warning, /apps\/v1, Kind=Deployment/);
    },
  ],
];
for (const [name, expression, check] of cases) {
  it(name, () => {
    const status = policyStatus(policy(expression) as never, resolver) as Record<string, unknown>;
    assert.equal(status.observedGeneration, 3);
    check(status);
  });
}
