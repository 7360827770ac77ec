/**
 * A webhook's namespaceSelector and objectSelector, as upstream's predicates
 * apply them. The namespace selector reads the labels of the request's
 * namespace (a namespace being created or updated offers its own new
 * labels); cluster-scoped objects other than namespaces always match. The
 * object selector matches when the new or the old object's labels match.
 */
import type { KubeObject } from '../../../machinery/object.js';
import { isPlainObject } from '../../../machinery/object.js';
import { everything, selectorFromLabelSelector, type LabelSelector, type Selector } from '../../../machinery/labels.js';
import { errors, StatusError } from '../../../machinery/status.js';
import { isNamespacesResource, type WebhookRequest } from './versions.js';

/** A parsed selector, or why it cannot be parsed (upstream reports that as an internal error). */
export type ParsedSelector = Selector | StatusError;

/** A stored configuration always has its selectors defaulted to `{}`; an absent one selects everything here too. */
export function parseSelector(selector: LabelSelector | undefined): ParsedSelector {
  if (selector === undefined || selector === null) return everything;
  try {
    return selectorFromLabelSelector(selector);
  } catch (err) {
    return errors.internal((err as Error).message);
  }
}

/** The outcome of a predicate: its error counts only if a rule matches too (upstream's order). */
export interface PredicateOutcome {
  matches: boolean;
  error?: StatusError;
}

function labelsOf(object: KubeObject | undefined): Record<string, string> | undefined {
  if (!isPlainObject(object) || !isPlainObject(object.metadata)) return undefined;
  const labels = object.metadata.labels;
  return isPlainObject(labels) ? (labels as Record<string, string>) : {};
}

export function objectSelectorMatches(selector: ParsedSelector, object: KubeObject | undefined, oldObject: KubeObject | undefined): PredicateOutcome {
  if (selector instanceof StatusError) return { matches: false, error: selector };
  if (selector.empty) return { matches: true };
  // An object without metadata (DeleteOptions, PodExecOptions) never matches.
  const matches = [object, oldObject].some((candidate) => {
    const labels = labelsOf(candidate);
    return labels !== undefined && selector.matches(labels);
  });
  return { matches };
}

export async function namespaceSelectorMatches(
  selector: ParsedSelector,
  request: WebhookRequest,
  object: KubeObject | undefined,
  getNamespace: (name: string) => Promise<KubeObject | undefined>,
): Promise<PredicateOutcome> {
  const { own, namespace, subresource, operation } = request;
  if (namespace === '' && !isNamespacesResource(own.resource)) return { matches: true };
  if (selector instanceof StatusError) return { matches: false, error: selector };
  if (selector.empty) return { matches: true };
  // A namespace being written is not in the cache yet in its new form: its own labels count.
  if (isNamespacesResource(own.resource) && subresource === '' && (operation === 'CREATE' || operation === 'UPDATE')) {
    return { matches: selector.matches(labelsOf(object) ?? {}) };
  }
  let found: KubeObject | undefined;
  try {
    found = await getNamespace(namespace);
  } catch (err) {
    return { matches: false, error: err instanceof StatusError ? err : errors.internal((err as Error).message) };
  }
  if (!found) return { matches: false, error: errors.notFound('', 'namespaces', namespace) };
  return { matches: selector.matches(labelsOf(found) ?? {}) };
}
