/** Validating and mutating webhook configurations: stored and checked now, called in a later issue. */
import { ageOf } from '../../machinery/duration.js';
import type { KubeObject } from '../../machinery/object.js';
import { kindSchema, LabelSelectorSchema, s } from '../../machinery/schema/index.js';
import { field, type FieldErrorLike } from '../../machinery/status.js';
import { isQualifiedName, validateObjectMeta } from '../../machinery/validation.js';
import type { ResourceType } from '../resource.js';
import { ageColumn, nameColumn } from '../common/print.js';
import { isValidPortNum } from '../common/ports.js';
import type { LabelSelector } from '../common/selector.js';
import {
  defaultRule, failurePolicies, GROUP, matchConditionsField, matchPolicies, RuleWithOperationsSchema, V1,
  validateEnum, validateMatchConditions, validateRule, validateSelectors, type Rule,
} from './common.js';

export interface Webhook {
  name: string;
  clientConfig: { url?: string; service?: { namespace: string; name: string; path?: string; port?: number }; caBundle?: string };
  rules?: Rule[];
  failurePolicy?: string;
  matchPolicy?: string;
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  sideEffects?: string;
  timeoutSeconds?: number;
  admissionReviewVersions?: string[];
  reinvocationPolicy?: string;
  matchConditions?: { name: string; expression: string }[];
}

export interface WebhookConfiguration extends KubeObject {
  webhooks?: Webhook[];
}

export const ServiceReferenceSchema = s.object(
  `${V1}.ServiceReference`,
  'A service the webhook is reached through.',
  {
    name: s.string('Name of the service.'),
    namespace: s.string('Namespace of the service.'),
    path: s.string('URL path requests are sent to.'),
    port: s.int32('Service port; default 443.'),
  },
  { required: ['namespace', 'name'] },
);

export const WebhookClientConfigSchema = s.object(`${V1}.WebhookClientConfig`, 'How to reach the webhook: a URL or a service.', {
  caBundle: s.bytes('PEM CA bundle to verify the webhook server certificate; defaults to the apiserver trust roots.'),
  service: s.field(ServiceReferenceSchema, 'In-cluster service of the webhook. Exclusive with url.'),
  url: s.string('https URL of the webhook. Exclusive with service.'),
});

function webhookSchema(kind: 'ValidatingWebhook' | 'MutatingWebhook'): ReturnType<typeof s.object> {
  const fields: Record<string, ReturnType<typeof s.string>> = {
    admissionReviewVersions: s.array(s.string(), 'AdmissionReview versions the webhook accepts, in preference order.', { listType: 'atomic' }),
    clientConfig: s.field(WebhookClientConfigSchema, 'How to reach the webhook.'),
    failurePolicy: s.string('Ignore or Fail (default): what a webhook error does to the request.'),
    matchConditions: matchConditionsField,
    matchPolicy: s.string('Exact or Equivalent (default).'),
    name: s.string('Qualified name of the webhook, e.g. policy.example.com.'),
    namespaceSelector: s.field(LabelSelectorSchema, 'Namespaces whose objects are sent to the webhook; default all.'),
    objectSelector: s.field(LabelSelectorSchema, 'Objects sent to the webhook, by labels; default all.'),
    rules: s.array(RuleWithOperationsSchema, 'Operations the webhook intercepts.', { listType: 'atomic' }),
    sideEffects: s.string('None or NoneOnDryRun: whether calling the webhook has side effects.'),
    timeoutSeconds: s.int32('Seconds to wait for the webhook, 1 to 30; default 10.'),
  };
  if (kind === 'MutatingWebhook') fields.reinvocationPolicy = s.string('Never (default) or IfNeeded: call again after later mutations.');
  return s.object(`${V1}.${kind}`, `A ${kind === 'MutatingWebhook' ? 'mutating' : 'validating'} admission webhook.`, fields, {
    required: ['name', 'clientConfig', 'sideEffects', 'admissionReviewVersions'],
  });
}

const webhooksField = (kind: 'ValidatingWebhook' | 'MutatingWebhook') =>
  s.array(webhookSchema(kind), 'The webhooks and what they intercept.', { listType: 'map', mapKeys: ['name'], mergeKey: 'name', patchStrategy: 'merge' });

export const ValidatingWebhookConfigurationSchema = kindSchema({
  group: GROUP, version: 'v1', kind: 'ValidatingWebhookConfiguration', definitionName: `${V1}.ValidatingWebhookConfiguration`,
  description: 'Webhooks that may reject requests without changing them.',
  fields: { webhooks: webhooksField('ValidatingWebhook') },
});

export const MutatingWebhookConfigurationSchema = kindSchema({
  group: GROUP, version: 'v1', kind: 'MutatingWebhookConfiguration', definitionName: `${V1}.MutatingWebhookConfiguration`,
  description: 'Webhooks that may change or reject requests.',
  fields: { webhooks: webhooksField('MutatingWebhook') },
});

function defaultWebhooks(obj: WebhookConfiguration, mutating: boolean): void {
  for (const w of obj.webhooks ?? []) {
    w.failurePolicy ??= 'Fail';
    w.matchPolicy ??= 'Equivalent';
    w.namespaceSelector ??= {};
    w.objectSelector ??= {};
    w.timeoutSeconds ??= 10;
    if (mutating) w.reinvocationPolicy ??= 'Never';
    if (w.clientConfig?.service) w.clientConfig.service.port ??= 443;
    for (const r of w.rules ?? []) defaultRule(r);
  }
}

const sideEffectClasses = ['None', 'NoneOnDryRun'];
const reviewVersions = ['v1', 'v1beta1'];

function validateClientConfig(config: Webhook['clientConfig'] | undefined, path: string): FieldErrorLike[] {
  const c = config ?? {};
  if ((c.url === undefined) === (c.service === undefined)) return [field.required(path, 'exactly one of url or service is required')];
  const errs: FieldErrorLike[] = [];
  if (c.url !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(c.url);
    } catch {
      errs.push(field.invalid(`${path}.url`, c.url, 'host must be specified'));
    }
    if (url && url.protocol !== 'https:') errs.push(field.invalid(`${path}.url`, c.url, "'https' is the only allowed URL scheme"));
    if (url && (url.hash || url.search)) errs.push(field.invalid(`${path}.url`, c.url, 'fragments and query parameters are not permitted'));
  } else {
    const svc = c.service!;
    if (!svc.namespace) errs.push(field.required(`${path}.service.namespace`, 'service namespace is required'));
    if (!svc.name) errs.push(field.required(`${path}.service.name`, 'service name is required'));
    if (svc.port !== undefined) for (const msg of isValidPortNum(svc.port)) errs.push(field.invalid(`${path}.service.port`, svc.port, msg));
  }
  return errs;
}

function validateWebhooks(obj: WebhookConfiguration, mutating: boolean): FieldErrorLike[] {
  const errs = validateObjectMeta(obj.metadata, { namespaced: false });
  const names = new Set<string>();
  (obj.webhooks ?? []).forEach((w, i) => {
    const p = `webhooks[${i}]`;
    if (names.has(w.name)) errs.push(field.duplicate(`${p}.name`, w.name));
    names.add(w.name);
    for (const msg of isQualifiedName(w.name ?? '')) errs.push(field.invalid(`${p}.name`, w.name, msg));
    if ((w.name ?? '').split('.').length < 3) errs.push(field.invalid(`${p}.name`, w.name, 'should be a domain with at least three segments separated by dots'));
    (w.rules ?? []).forEach((r, j) => errs.push(...validateRule(r, `${p}.rules[${j}]`)));
    errs.push(...validateEnum(w.failurePolicy, failurePolicies, `${p}.failurePolicy`));
    errs.push(...validateEnum(w.matchPolicy, matchPolicies, `${p}.matchPolicy`));
    if (w.sideEffects === undefined) errs.push(field.required(`${p}.sideEffects`, 'must specify one of None, NoneOnDryRun'));
    else errs.push(...validateEnum(w.sideEffects, sideEffectClasses, `${p}.sideEffects`));
    const versions = w.admissionReviewVersions ?? [];
    if (!versions.some((v) => reviewVersions.includes(v))) {
      errs.push(field.required(`${p}.admissionReviewVersions`, 'must specify one of v1, v1beta1'));
    }
    if (w.timeoutSeconds !== undefined && (w.timeoutSeconds < 1 || w.timeoutSeconds > 30)) {
      errs.push(field.invalid(`${p}.timeoutSeconds`, w.timeoutSeconds, 'the timeout value must be between 1 and 30 seconds'));
    }
    if (mutating) errs.push(...validateEnum(w.reinvocationPolicy, ['IfNeeded', 'Never'], `${p}.reinvocationPolicy`));
    errs.push(...validateSelectors(w, p));
    errs.push(...validateClientConfig(w.clientConfig, `${p}.clientConfig`));
    errs.push(...validateMatchConditions(w.matchConditions, `${p}.matchConditions`));
  });
  return errs;
}

function webhookConfigurationType(kind: string, resource: string, mutating: boolean): ResourceType<WebhookConfiguration> {
  return {
    group: GROUP,
    version: 'v1',
    kind,
    resource,
    singular: resource.slice(0, -1),
    namespaced: false,
    schema: mutating ? MutatingWebhookConfigurationSchema : ValidatingWebhookConfigurationSchema,
    hasGeneration: true,
    defaults: (obj) => defaultWebhooks(obj, mutating),
    validate: (obj) => validateWebhooks(obj, mutating),
    table: {
      columns: [nameColumn, { name: 'Webhooks', type: 'integer', description: 'Number of webhooks in the configuration.' }, ageColumn],
      cells: (obj, now) => [obj.metadata.name ?? '', (obj.webhooks ?? []).length, ageOf(obj.metadata.creationTimestamp, now)],
    },
  };
}

export const validatingwebhookconfigurations = webhookConfigurationType('ValidatingWebhookConfiguration', 'validatingwebhookconfigurations', false);
export const mutatingwebhookconfigurations = webhookConfigurationType('MutatingWebhookConfiguration', 'mutatingwebhookconfigurations', true);
