import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validatingwebhookconfigurations, mutatingwebhookconfigurations, type WebhookConfiguration } from './webhooks.js';
import { validatingadmissionpolicies, validatingadmissionpolicybindings } from './policies.js';
import { renderFieldError } from '../../machinery/status.js';

const webhook = () => ({
  name: 'pods.policy.example.com',
  clientConfig: { service: { namespace: 'policy', name: 'webhook' } },
  rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }],
  sideEffects: 'None',
  admissionReviewVersions: ['v1'],
});

test('webhook defaults and validation', () => {
  const obj: WebhookConfiguration = { metadata: { name: 'policy' }, webhooks: [webhook()] };
  mutatingwebhookconfigurations.defaults!(obj);
  const w = obj.webhooks![0];
  assert.equal(w.failurePolicy, 'Fail');
  assert.equal(w.matchPolicy, 'Equivalent');
  assert.equal(w.timeoutSeconds, 10);
  assert.equal(w.reinvocationPolicy, 'Never');
  assert.equal(w.clientConfig.service!.port, 443);
  assert.equal(w.rules![0].scope, '*');
  assert.deepEqual(mutatingwebhookconfigurations.validate!(obj, { operation: 'create' }), []);
  assert.deepEqual(mutatingwebhookconfigurations.table!.cells(obj, new Date()).slice(0, 2), ['policy', 1]);

  const bad: WebhookConfiguration = {
    metadata: { name: 'bad' },
    webhooks: [{ ...webhook(), name: 'short', clientConfig: { url: 'http://x.example.com/' }, sideEffects: 'Some', timeoutSeconds: 60 }],
  };
  assert.deepEqual(validatingwebhookconfigurations.validate!(bad, { operation: 'create' }).map(renderFieldError), [
    'webhooks[0].name: Invalid value: "short": should be a domain with at least three segments separated by dots',
    'webhooks[0].sideEffects: Unsupported value: "Some": supported values: "None", "NoneOnDryRun"',
    'webhooks[0].timeoutSeconds: Invalid value: 60: the timeout value must be between 1 and 30 seconds',
    `webhooks[0].clientConfig.url: Invalid value: "http://x.example.com/": 'https' is the only allowed URL scheme`,
  ]);
});

test('policies need match constraints and something to check; bindings need actions', () => {
  const policy = {
    metadata: { name: 'replicas' },
    spec: {
      matchConstraints: { resourceRules: [{ operations: ['CREATE', 'UPDATE'], apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments'] }] },
      validations: [{ expression: 'object.spec.replicas <= 5' }],
    },
    status: { observedGeneration: 3 },
  };
  validatingadmissionpolicies.defaults!(policy);
  validatingadmissionpolicies.prepareForCreate!(policy);
  assert.equal((policy.spec.matchConstraints.resourceRules[0] as { scope?: string }).scope, '*');
  assert.equal((policy.spec as { failurePolicy?: string }).failurePolicy, 'Fail');
  assert.equal('status' in policy, false);
  assert.deepEqual(validatingadmissionpolicies.validate!(policy, { operation: 'create' }), []);
  assert.deepEqual(validatingadmissionpolicies.validate!({ metadata: { name: 'empty' }, spec: {} }, { operation: 'create' }).map(renderFieldError), [
    'spec.matchConstraints: Required value',
    'spec.validations: Required value: validations or auditAnnotations must contain at least one item',
  ]);

  const binding = { metadata: { name: 'replicas-binding' }, spec: { policyName: 'replicas', validationActions: ['Deny', 'Warn'], paramRef: { name: 'limits' } } };
  assert.deepEqual(validatingadmissionpolicybindings.validate!(binding, { operation: 'create' }).map(renderFieldError), [
    'spec.paramRef.parameterNotFoundAction: Required value',
    'spec.validationActions: Invalid value: []string{"Deny", "Warn"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)',
  ]);
  assert.deepEqual(validatingadmissionpolicybindings.table!.cells(binding, new Date()).slice(0, 3), ['replicas-binding', 'replicas', '*/limits']);
});
