/**
 * The webhooks of the stored configurations, in the order upstream calls
 * them: configurations by name, webhooks in their configuration's order.
 * Each webhook's selectors and match conditions are parsed and compiled
 * once per configuration object (the watch cache hands out a new object
 * when one changes), not once per request.
 */
import type { Webhook, WebhookConfiguration } from '../../../api/admissionregistration/index.js';
import { compileMatchConditions, type CompiledMatchConditions } from './match-conditions.js';
import { parseSelector, type ParsedSelector } from './selectors.js';

export interface WebhookAccessor {
  /** `<configuration>/<webhook>/<n>`: names are not checked unique, n tells twins apart. */
  uid: string;
  configurationName: string;
  webhook: Webhook;
  namespaceSelector(): ParsedSelector;
  objectSelector(): ParsedSelector;
  matchConditions(): CompiledMatchConditions;
}

function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

function accessorsOf(configuration: WebhookConfiguration): WebhookAccessor[] {
  const name = configuration.metadata?.name ?? '';
  const seen = new Map<string, number>();
  const webhooks = Array.isArray(configuration.webhooks) ? configuration.webhooks : [];
  return webhooks.map((webhook) => {
    const n = seen.get(webhook.name) ?? 0;
    seen.set(webhook.name, n + 1);
    return {
      uid: `${name}/${webhook.name}/${n}`,
      configurationName: name,
      webhook,
      namespaceSelector: once(() => parseSelector(webhook.namespaceSelector)),
      objectSelector: once(() => parseSelector(webhook.objectSelector)),
      matchConditions: once(() => compileMatchConditions(webhook.matchConditions ?? [], webhook.failurePolicy)),
    };
  });
}

const cache = new WeakMap<WebhookConfiguration, WebhookAccessor[]>();

export function webhookAccessors(configurations: readonly WebhookConfiguration[]): WebhookAccessor[] {
  const sorted = [...configurations].sort((a, b) => {
    const x = a.metadata?.name ?? '';
    const y = b.metadata?.name ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return sorted.flatMap((configuration) => {
    let accessors = cache.get(configuration);
    if (!accessors) cache.set(configuration, (accessors = accessorsOf(configuration)));
    return accessors;
  });
}
