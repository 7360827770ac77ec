/**
 * Whether a webhook is called for a request, in upstream's order: namespace
 * selector, object selector, rules (the request's own resource first, then
 * — under matchPolicy Equivalent — the same objects served in other
 * versions), and last the match conditions, which see the objects in the
 * version the webhook is called with. A selector that cannot be evaluated
 * (a missing namespace: 404) fails the request only if a rule matched.
 */
import type { KubeObject } from '../../../machinery/object.js';
import { errors } from '../../../machinery/status.js';
import type { WebhookAccessor } from './configurations.js';
import { admissionRequestFields } from './review.js';
import { ruleMatches, type RuleSubject } from './rules.js';
import { namespaceSelectorMatches, objectSelectorMatches } from './selectors.js';
import type { RequestView, VersionedObjects, WebhookRequest } from './versions.js';

/** A webhook to call, and the version of the request it is called with. */
export interface Invocation {
  accessor: WebhookAccessor;
  view: RequestView;
}

export interface ShouldCallContext {
  request: WebhookRequest;
  /** The objects selectors look at (a mutating webhook sees earlier webhooks' changes). */
  object?: KubeObject;
  oldObject?: KubeObject;
  getNamespace(name: string): Promise<KubeObject | undefined>;
  /** The request's objects in a view's version. */
  versioned(view: RequestView): Promise<VersionedObjects>;
}

function matchingView(accessor: WebhookAccessor, request: WebhookRequest): RequestView | undefined {
  const rules = accessor.webhook.rules ?? [];
  const subject = (view: RequestView): RuleSubject => ({ operation: request.operation, resource: view.resource, subresource: request.subresource, namespace: request.namespace });
  if (rules.some((rule) => ruleMatches(rule, subject(request.own)))) return request.own;
  // A stored configuration is defaulted to Equivalent; only an explicit Exact turns this off.
  if (accessor.webhook.matchPolicy === 'Exact') return undefined;
  for (const rule of rules) {
    for (const view of request.equivalents()) if (ruleMatches(rule, subject(view))) return view;
  }
  return undefined;
}

/** The invocation, undefined when the webhook is not called; throws a StatusError that refuses the request. */
export async function shouldCallHook(accessor: WebhookAccessor, context: ShouldCallContext): Promise<Invocation | undefined> {
  const { request } = context;
  const namespace = await namespaceSelectorMatches(accessor.namespaceSelector(), request, context.object, context.getNamespace);
  if (!namespace.matches && !namespace.error) return undefined;
  const object = objectSelectorMatches(accessor.objectSelector(), context.object, context.oldObject);
  if (!object.matches && !object.error) return undefined;
  const view = matchingView(accessor, request);
  if (!view) return undefined;
  if (namespace.error) throw namespace.error;
  if (object.error) throw object.error;
  if ((accessor.webhook.matchConditions ?? []).length > 0) {
    const versioned = await context.versioned(view);
    const result = accessor.matchConditions().match({
      object: versioned.object ?? null,
      oldObject: versioned.oldObject ?? null,
      request: admissionRequestFields(request, view),
    });
    if ('error' in result) throw errors.forbidden(request.own.resource.group, request.own.resource.resource, request.name, result.error);
    if (!result.matches) return undefined;
  }
  return { accessor, view };
}
