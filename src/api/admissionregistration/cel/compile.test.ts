/** Compiling policies (compile.ts, environment.ts, cel-errors.ts): upstream's compile errors, typed variables, the cache. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ValidatingAdmissionPolicy } from '../policies.js';
import { compilePolicy, PolicyCache } from './compile.js';

type Spec = NonNullable<ValidatingAdmissionPolicy['spec']>;
const policy = (spec: Spec, resourceVersion = '1'): ValidatingAdmissionPolicy => ({ metadata: { name: 'p', uid: 'u1', resourceVersion }, spec });

describe('compilePolicy', () => {
  const cases: { name: string; spec: Spec; errors: (string | undefined)[] }[] = [
    { name: 'a valid validation', spec: { validations: [{ expression: 'object.spec.replicas <= 5' }] }, errors: [undefined] },
    { name: 'a dyn result is not a bool', spec: { validations: [{ expression: 'object.spec.paused' }] }, errors: ['must evaluate to bool but got dyn'] },
    { name: 'an int is not a bool', spec: { validations: [{ expression: '1' }] }, errors: ['must evaluate to bool but got int'] },
    {
      name: 'params without a paramKind',
      spec: { validations: [{ expression: 'params.x == 1' }] },
      errors: ["compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.x == 1\n | ^"],
    },
    { name: 'params with a paramKind', spec: { paramKind: { apiVersion: 'v1', kind: 'ConfigMap' }, validations: [{ expression: "params.data.x == '1'" }] }, errors: [undefined] },
    {
      name: 'a message expression has no authorizer',
      spec: { validations: [{ expression: 'true', messageExpression: "authorizer.path('/x').check('get').reason()" }] },
      errors: [undefined, "compilation failed: ERROR: <input>:1:1: undeclared reference to 'authorizer' (in container '')\n | authorizer.path('/x').check('get').reason()\n | ^"],
    },
    { name: 'a message expression must be a string', spec: { validations: [{ expression: 'true', messageExpression: '1' }] }, errors: [undefined, 'must evaluate to string but got int'] },
    { name: 'an audit annotation is a string or null', spec: { auditAnnotations: [{ key: 'a', valueExpression: '1' }] }, errors: ['must evaluate to one of [string null_type] but got int'] },
    { name: 'a match condition must be a bool', spec: { matchConditions: [{ name: 'm', expression: "'a'" }], validations: [] }, errors: ['must evaluate to bool but got string'] },
    {
      name: 'variables are typed by their expressions',
      spec: { variables: [{ name: 'x', expression: "'a'" }], validations: [{ expression: 'variables.x > 1' }] },
      errors: ["compilation failed: ERROR: <input>:1:13: found no matching overload for '_>_' applied to '(string, int)'\n | variables.x > 1\n | ............^"],
    },
    { name: 'a variable from an object is dyn', spec: { variables: [{ name: 'x', expression: 'object.spec.replicas' }], validations: [{ expression: 'variables.x > 1' }] }, errors: [undefined] },
    {
      name: 'undeclared variables',
      spec: { validations: [{ expression: 'variables.x > 1' }] },
      errors: ["compilation failed: ERROR: <input>:1:10: undefined field 'x'\n | variables.x > 1\n | .........^"],
    },
    {
      name: 'namespaceObject has upstream fields',
      spec: { validations: [{ expression: "namespaceObject.metadata.uid == ''" }, { expression: "namespaceObject.metadata.UID == '' || namespaceObject == null" }] },
      errors: ["compilation failed: ERROR: <input>:1:25: undefined field 'uid'\n | namespaceObject.metadata.uid == ''\n | ........................^", undefined],
    },
    { name: 'a syntax error', spec: { validations: [{ expression: 'object.spec.replicas <=' }] }, errors: ['compilation failed: ERROR: <input>:1:24: Syntax error: Unexpected token: EOF\n | object.spec.replicas <=\n | .......................^'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const compiled = compilePolicy(policy(c.spec));
      const errors = [
        ...compiled.matchConditions.map((m) => m.compiled.error),
        ...compiled.validations.flatMap((v) => (v.message ? [v.compiled.error, v.message.error] : [v.compiled.error])),
        ...compiled.auditAnnotations.map((a) => a.compiled.error),
      ];
      assert.deepEqual(errors, c.errors);
    });
  }
});

describe('PolicyCache', () => {
  it('compiles a policy once per resourceVersion', () => {
    const cache = new PolicyCache();
    const spec: Spec = { validations: [{ expression: 'true' }] };
    const first = cache.get(policy(spec, '1'));
    assert.equal(cache.get(policy(spec, '1')), first);
    const second = cache.get(policy(spec, '2'));
    assert.notEqual(second, first);
    assert.equal(cache.get(policy(spec, '2')), second);
  });

  it('forgets policies that are gone', () => {
    const cache = new PolicyCache();
    const spec: Spec = { validations: [{ expression: 'true' }] };
    const first = cache.get(policy(spec));
    cache.retain([]);
    assert.notEqual(cache.get(policy(spec)), first);
  });
});
