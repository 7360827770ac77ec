/**
 * The ValidatingAdmissionPolicy plugin: tables of policies, bindings and
 * requests with what upstream answers (its messages, reasons and codes),
 * after upstream's validating plugin and dispatcher tests and the
 * ValidatingAdmissionPolicy documentation's examples.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StatusError } from '../../../machinery/status.js';
import { validatingAdmissionPolicy } from './plugin.js';
import { binding, check, deployment, deployments, pod, pods, policy, refused, registry, run, type Case } from './testing.js';

const trustedImages = {
  validations: [
    { expression: "object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.com/'))", message: 'images must come from registry.example.com' },
  ],
};
const trustedPodImages = policy('trusted-pod-images', {
  matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['pods'] }] },
  validations: [{ expression: "object.spec.containers.all(c, c.image.startsWith('registry.example.com/'))", message: 'images must come from registry.example.com' }],
});
const replicasAtMost5 = { validations: [{ expression: 'object.spec.replicas <= 5' }] };

describe('ValidatingAdmissionPolicy: the issue example (trusted registries)', () => {
  const deploymentsPolicy = policy('trusted-images', {
    ...trustedImages,
    matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['deployments'] }] },
  });
  const both = {
    policies: [deploymentsPolicy, trustedPodImages],
    bindings: [binding('trusted-images-binding', 'trusted-images'), binding('trusted-pod-images-binding', 'trusted-pod-images')],
  };
  const cases: Case[] = [
    {
      name: 'a Deployment with nginx is denied with the message',
      ...both,
      request: { object: deployment({ image: 'nginx' }) },
      denied: refused('images must come from registry.example.com', 'trusted-images', 'trusted-images-binding'),
      code: 422,
      reason: 'Invalid',
    },
    { name: 'a Deployment from registry.example.com/app:1 is admitted', ...both, request: { object: deployment({ image: 'registry.example.com/app:1' }) } },
    {
      name: 'a Pod with nginx is denied',
      ...both,
      request: { type: pods, object: pod('nginx') },
      denied: refused('images must come from registry.example.com', 'trusted-pod-images', 'trusted-pod-images-binding', 'pods "web"'),
    },
    { name: 'a Pod from registry.example.com/app:1 is admitted', ...both, request: { type: pods, object: pod('registry.example.com/app:1') } },
    { name: 'without a binding a policy does nothing', policies: both.policies, bindings: [], request: { object: deployment({ image: 'nginx' }) } },
    { name: 'a binding of a policy that does not exist does nothing', policies: [], bindings: both.bindings, request: { object: deployment({ image: 'nginx' }) } },
  ];
  for (const c of cases) check(c);

  it('the refusal carries upstream details: the resource, the name and the message as a cause', async () => {
    const { error } = await run({ ...both, request: { object: deployment({ image: 'nginx' }) } });
    const message = "ValidatingAdmissionPolicy 'trusted-images' with binding 'trusted-images-binding' denied request: images must come from registry.example.com";
    assert.deepEqual(error?.status.details, { name: 'web', group: 'apps', kind: 'deployments', causes: [{ message }] });
  });
});

describe('ValidatingAdmissionPolicy: validations, messages and reasons', () => {
  const cases: Case[] = [
    { name: 'without a message: failed expression', policies: [policy('p', replicasAtMost5)], bindings: [binding('b', 'p')], request: { object: deployment({ replicas: 6 }) }, denied: refused('failed expression: object.spec.replicas <= 5') },
    { name: 'a validation that holds admits', policies: [policy('p', replicasAtMost5)], bindings: [binding('b', 'p')], request: { object: deployment({ replicas: 5 }) } },
    {
      name: 'messageExpression and reason Forbidden (403)',
      policies: [policy('p', { validations: [{ expression: 'object.spec.replicas <= 5', messageExpression: "'replicas ' + string(object.spec.replicas) + ' is over 5'", reason: 'Forbidden', message: 'unused' }] })],
      bindings: [binding('b', 'p')],
      request: { object: deployment({ replicas: 6 }) },
      denied: refused('replicas 6 is over 5'),
      code: 403,
      reason: 'Forbidden',
    },
    {
      name: 'a messageExpression that fails or is blank falls back to the message',
      policies: [policy('p', { validations: [{ expression: 'false', messageExpression: "object.spec.nope + ''", message: ' the message ' }, { expression: 'false', messageExpression: "'  '", message: 'second' }] })],
      bindings: [binding('b', 'p', { validationActions: ['Warn'] })],
      warnings: ["Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': the message", "Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': second"],
    },
    { name: 'reason Unauthorized is 401', policies: [policy('p', { validations: [{ expression: 'false', reason: 'Unauthorized' }] })], bindings: [binding('b', 'p')], denied: refused('failed expression: false'), code: 401 },
    { name: 'reason RequestEntityTooLarge is 413', policies: [policy('p', { validations: [{ expression: 'false', reason: 'RequestEntityTooLarge' }] })], bindings: [binding('b', 'p')], denied: refused('failed expression: false'), code: 413 },
    {
      name: 'the first denial decides (policies by name)',
      policies: [policy('b-second', { validations: [{ expression: 'false', message: 'second', reason: 'Forbidden' }] }), policy('a-first', { validations: [{ expression: 'false', message: 'first' }] })],
      bindings: [binding('b1', 'b-second'), binding('a1', 'a-first')],
      denied: refused('first', 'a-first', 'a1'),
      code: 422,
    },
    {
      name: 'request fields as upstream names them',
      policies: [
        policy('p', {
          validations: [
            {
              expression: 'false',
              messageExpression:
                "request.userInfo.username + ' ' + request.operation + ' ' + request.kind.group + '/' + request.kind.version + '/' + request.kind.kind + ' ' + request.resource.resource + ' ' + request.namespace + '/' + request.name + ' ' + string(request.dryRun) + ' ' + request.options.kind + ' ' + string(has(request.subResource))",
            },
          ],
        }),
      ],
      bindings: [binding('b', 'p')],
      denied: refused('alice CREATE apps/v1/Deployment deployments default/web false CreateOptions false'),
    },
    {
      name: 'namespaceObject: the request namespace',
      policies: [policy('p', { validations: [{ expression: 'false', messageExpression: "namespaceObject.metadata.name + ' ' + namespaceObject.metadata.labels.env + ' ' + namespaceObject.status.phase" }] })],
      bindings: [binding('b', 'p')],
      denied: refused('default prod Active'),
    },
    {
      name: 'oldObject on DELETE (object is null)',
      policies: [
        policy('p', {
          matchConstraints: { resourceRules: [{ apiGroups: ['apps'], apiVersions: ['v1'], operations: ['DELETE'], resources: ['deployments'] }] },
          validations: [{ expression: "object == null && oldObject.metadata.labels.app != 'web'", message: 'web is protected' }],
        }),
      ],
      bindings: [binding('b', 'p')],
      request: { operation: 'DELETE', object: undefined, oldObject: deployment() },
      denied: refused('web is protected'),
    },
  ];
  for (const c of cases) check(c);
});

describe('ValidatingAdmissionPolicy: validationActions and audit annotations', () => {
  const cases: Case[] = [
    {
      name: 'Warn warns and admits',
      policies: [policy('p', replicasAtMost5)],
      bindings: [binding('b', 'p', { validationActions: ['Warn'] })],
      request: { object: deployment({ replicas: 6 }) },
      warnings: ["Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': failed expression: object.spec.replicas <= 5"],
    },
    {
      name: 'Audit annotates and admits',
      policies: [policy('p', replicasAtMost5)],
      bindings: [binding('b', 'p', { validationActions: ['Audit'] })],
      request: { object: deployment({ replicas: 6 }) },
      annotations: {
        'validation.policy.admission.k8s.io/validation_failure':
          '[{"message":"failed expression: object.spec.replicas \\u003c= 5","policy":"p","binding":"b","expressionIndex":0,"validationActions":["Audit"]}]',
      },
    },
    {
      name: 'Deny and Audit: refused and annotated (with the validation index)',
      policies: [policy('p', { validations: [{ expression: 'true' }, { expression: 'object.spec.replicas <= 5', message: 'a <b> & c' }] })],
      bindings: [binding('b', 'p', { validationActions: ['Deny', 'Audit'] })],
      request: { object: deployment({ replicas: 6 }) },
      denied: refused('a <b> & c'),
      annotations: {
        'validation.policy.admission.k8s.io/validation_failure':
          '[{"message":"a \\u003cb\\u003e \\u0026 c","policy":"p","binding":"b","expressionIndex":1,"validationActions":["Deny","Audit"]}]',
      },
    },
    {
      name: 'auditAnnotations: published as <policy>/<key>; null and blank are not',
      policies: [
        policy('p', {
          validations: [],
          auditAnnotations: [
            { key: 'replicas', valueExpression: "'replicas: ' + string(object.spec.replicas)" },
            { key: 'none', valueExpression: 'null' },
            { key: 'blank', valueExpression: "' '" },
          ],
        }),
      ],
      bindings: [binding('b1', 'p'), binding('b2', 'p')],
      request: { object: deployment({ replicas: 7 }) },
      annotations: { 'p/replicas': 'replicas: 7' },
    },
    {
      name: 'an auditAnnotation that fails denies under Fail, whatever the actions',
      policies: [policy('p', { validations: [], auditAnnotations: [{ key: 'x', valueExpression: "object.spec.nope + ''" }] })],
      bindings: [binding('b', 'p', { validationActions: ['Audit'] })],
      denied: refused("expression 'object.spec.nope + ''' resulted in error: no such key: nope"),
    },
    {
      name: 'an auditAnnotation that fails is left out under Ignore',
      policies: [policy('p', { failurePolicy: 'Ignore', validations: [], auditAnnotations: [{ key: 'x', valueExpression: "object.spec.nope + ''" }] })],
      bindings: [binding('b', 'p')],
      annotations: {},
    },
  ];
  for (const c of cases) check(c);
});

describe('ValidatingAdmissionPolicy: failurePolicy and errors', () => {
  const cases: Case[] = [
    {
      name: 'a compile error fails the expression under Fail',
      policies: [policy('p', { validations: [{ expression: 'params.x == 1' }] })],
      bindings: [binding('b', 'p')],
      denied: refused("compilation error: compilation failed: ERROR: <input>:1:1: undeclared reference to 'params' (in container '')\n | params.x == 1\n | ^"),
    },
    { name: 'a compile error is ignored under Ignore', policies: [policy('p', { failurePolicy: 'Ignore', validations: [{ expression: 'params.x == 1' }] })], bindings: [binding('b', 'p')] },
    {
      name: 'an expression must be a bool (dyn is not)',
      policies: [policy('p', { validations: [{ expression: 'object.spec.paused' }] })],
      bindings: [binding('b', 'p')],
      denied: refused('compilation error: must evaluate to bool but got dyn'),
    },
    {
      name: 'request has upstream fields only',
      policies: [policy('p', { validations: [{ expression: "request.uid != ''" }] })],
      bindings: [binding('b', 'p')],
      denied: refused("compilation error: compilation failed: ERROR: <input>:1:8: undefined field 'uid'\n | request.uid != ''\n | .......^"),
    },
    {
      name: 'a runtime error under Fail',
      policies: [policy('p', { validations: [{ expression: 'object.spec.nope > 1' }] })],
      bindings: [binding('b', 'p')],
      denied: refused("expression 'object.spec.nope > 1' resulted in error: no such key: nope"),
    },
    {
      name: 'a runtime error under Warn only warns',
      policies: [policy('p', { validations: [{ expression: 'object.spec.nope > 1' }] })],
      bindings: [binding('b', 'p', { validationActions: ['Warn'] })],
      warnings: ["Validation failed for ValidatingAdmissionPolicy 'p' with binding 'b': expression 'object.spec.nope > 1' resulted in error: no such key: nope"],
    },
    { name: 'a runtime error under Ignore', policies: [policy('p', { failurePolicy: 'Ignore', validations: [{ expression: 'object.spec.nope > 1' }] })], bindings: [binding('b', 'p')] },
    {
      name: 'a policy without matchConstraints',
      policies: [{ metadata: { name: 'p' }, spec: { failurePolicy: 'Fail', validations: [{ expression: 'true' }] } }],
      bindings: [binding('b', 'p')],
      denied: `deployments.apps "web" is forbidden: ValidatingAdmissionPolicy 'p' denied request: failed to configure policy: policy contained no match constraints, a required field`,
    },
  ];
  for (const c of cases) check(c);
});

describe('ValidatingAdmissionPolicy: variables', () => {
  const cases: Case[] = [
    {
      name: 'variables compose, in order, typed (a bool variable is a validation)',
      policies: [
        policy('p', {
          variables: [
            { name: 'images', expression: 'object.spec.template.spec.containers.map(c, c.image)' },
            { name: 'trusted', expression: "variables.images.all(i, i.startsWith('registry.example.com/'))" },
          ],
          validations: [{ expression: 'variables.trusted', messageExpression: "'untrusted: ' + variables.images.join(', ')" }],
        }),
      ],
      bindings: [binding('b', 'p')],
      request: { object: deployment({ image: 'nginx' }) },
      denied: refused('untrusted: nginx'),
    },
    {
      name: 'a variable may not use a later one',
      policies: [policy('p', { variables: [{ name: 'a', expression: 'variables.b' }, { name: 'b', expression: 'true' }], validations: [{ expression: 'variables.a == true' }] })],
      bindings: [binding('b', 'p')],
      denied: refused(
        `expression 'variables.a == true' resulted in error: composited variable "a" fails to compile: compilation failed: ERROR: <input>:1:10: undefined field 'b'\n | variables.b\n | .........^`,
      ),
    },
    {
      name: 'a variable that fails names itself',
      policies: [policy('p', { variables: [{ name: 'x', expression: 'object.spec.nope' }], validations: [{ expression: 'variables.x == 1' }] })],
      bindings: [binding('b', 'p')],
      denied: refused(`expression 'variables.x == 1' resulted in error: composited variable "x" fails to evaluate: no such key: nope`),
    },
    {
      name: 'variables are lazy: one nobody reads does not fail',
      policies: [policy('p', { variables: [{ name: 'x', expression: 'object.spec.nope' }], validations: [{ expression: 'true' }] })],
      bindings: [binding('b', 'p')],
    },
  ];
  for (const c of cases) check(c);
});

describe('ValidatingAdmissionPolicy: cost', () => {
  it('an expression over the per-expression limit fails', async () => {
    const items = Array.from({ length: 2000 }, (_, i) => i);
    const { error } = await run({
      policies: [policy('p', { validations: [{ expression: 'object.spec.items.all(x, object.spec.items.all(y, x + y >= 0))' }] })],
      bindings: [binding('b', 'p')],
      request: { object: deployment({ items }) },
    });
    assert.equal(error?.message, refused("expression 'object.spec.items.all(x, object.spec.items.all(y, x + y >= 0))' resulted in error: operation cancelled: actual cost limit exceeded"));
  });

  it('a string doubled through variables is stopped as the cost of upstream would stop it', async () => {
    const variables = [{ name: 'v0', expression: 'object.metadata.name' }, ...Array.from({ length: 22 }, (_, i) => ({ name: `v${i + 1}`, expression: `variables.v${i} + variables.v${i}` }))];
    const { error } = await run({ policies: [policy('p', { variables, validations: [{ expression: 'variables.v22.size() > 0' }] })], bindings: [binding('b', 'p')] });
    assert.equal(
      error?.message,
      refused(`expression 'variables.v22.size() > 0' resulted in error: composited variable "v22" fails to evaluate: operation cancelled: actual cost limit exceeded`),
    );
  });

  it('expressions that together pass the budget stop the evaluation', async () => {
    // Two authorization checks cost 700,000: fifteen such expressions pass the 10M budget.
    const expression = "!authorizer.path('/a').check('get').allowed() && !authorizer.path('/b').check('get').allowed()";
    const { error } = await run({
      policies: [policy('p', { validations: Array.from({ length: 15 }, () => ({ expression })) })],
      bindings: [binding('b', 'p')],
    });
    assert.equal(error?.message, refused('validation failed due to running out of cost budget, no further validation rules will be run'));
    const fourteen = await run({
      policies: [policy('p', { validations: Array.from({ length: 14 }, () => ({ expression })) })],
      bindings: [binding('b', 'p')],
    });
    assert.equal(fourteen.error, undefined);
  });
});

describe('ValidatingAdmissionPolicy: readiness', () => {
  it('refuses while its caches are not ready', async () => {
    const plugin = validatingAdmissionPolicy({
      policies: () => [],
      bindings: () => [binding('b', 'p')],
      resourceTypes: () => registry.all(),
      getNamespace: async () => undefined,
      params: async () => [],
      authorize: async () => ({ decision: 'no-opinion', reason: '' }),
      ready: () => false,
    });
    await assert.rejects(
      Promise.resolve(plugin.validate!({ operation: 'CREATE', type: deployments, namespace: 'default', name: 'web', object: deployment(), user: { username: 'alice', groups: [] }, dryRun: false })),
      (err: StatusError) => err.code === 403 && err.message === 'deployments.apps "web" is forbidden: not yet ready to handle request',
    );
  });
});
