/**
 * Admission webhooks: MutatingAdmissionWebhook (admit phase) and
 * ValidatingAdmissionWebhook (validate phase), as upstream's plugins of the
 * same names. README.md says how a request flows through them.
 */
import https from 'node:https';
import type { WebhookConfiguration } from '../../../api/admissionregistration/index.js';
import type { ResourceType } from '../../../api/resource.js';
import type { KubeObject } from '../../../machinery/object.js';
import type { ServiceResolver } from '../../conversion-webhook.js';
import type { AdmissionPlugin } from '../chain.js';
import type { WebhookEvent } from './call.js';
import { mutatingWebhookPlugin } from './mutating.js';
import { validatingWebhookPlugin } from './validating.js';

export interface AdmissionWebhookDependencies {
  /** The stored MutatingWebhookConfigurations (from the watch cache; the same object until it changes). */
  mutatingConfigurations(): readonly WebhookConfiguration[];
  /** The stored ValidatingWebhookConfigurations. */
  validatingConfigurations(): readonly WebhookConfiguration[];
  /** A namespace by name, for namespaceSelectors; undefined when there is none (the request then fails 404). */
  getNamespace(name: string): Promise<KubeObject | undefined>;
  /** Where a webhook's Service is reached (its ClusterIP and port); undefined when there is no such Service. */
  resolveService: ServiceResolver;
  /**
   * Every served resource type (the registry's `all()`), for matchPolicy
   * Equivalent: a request is offered to webhooks in the other versions of
   * its stored resource. Without it Equivalent matches as Exact.
   */
  resourceTypes?(): readonly ResourceType[];
  /** Structured log lines (fail-open, fail-closed, rejections). */
  log?(event: WebhookEvent): void;
}

export interface AdmissionWebhooks {
  mutating: AdmissionPlugin;
  validating: AdmissionPlugin;
  /** Closes idle keep-alive connections to webhooks (shutdown, tests). */
  close(): void;
}

export function admissionWebhooks(deps: AdmissionWebhookDependencies): AdmissionWebhooks {
  // Connections to webhooks are kept and reused, as upstream caches a client per webhook; idle ones close after 30s.
  const agent = new https.Agent({ keepAlive: true, timeout: 30_000 });
  const env = {
    resolveService: (namespace: string, name: string, port: number) => deps.resolveService(namespace, name, port),
    agent,
    log: (event: WebhookEvent) => deps.log?.(event),
  };
  const common = {
    getNamespace: (name: string) => deps.getNamespace(name),
    resourceTypes: deps.resourceTypes ? () => deps.resourceTypes!() : undefined,
    env,
  };
  return {
    mutating: mutatingWebhookPlugin({ ...common, configurations: () => deps.mutatingConfigurations() }),
    validating: validatingWebhookPlugin({ ...common, configurations: () => deps.validatingConfigurations() }),
    close: () => agent.destroy(),
  };
}

export type { WebhookEvent } from './call.js';
export { maxResponseBytes } from './client.js';
export { mutationAnnotationPrefix, mutationFailedOpenAnnotationPrefix } from './mutating.js';
export { validatingFailedOpenAnnotationPrefix } from './validating.js';
