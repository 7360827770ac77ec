/**
 * What an authorizer is asked: the verb, and either the resource (group,
 * resource, subresource, namespace, name) or the URL path. Built from the
 * parsed request as upstream's RequestInfoFactory does for authorization.
 */
import type { RequestAttributes } from '../../api/rbac/authorize.js';
import type { RequestInfo } from '../request-info.js';

/** The name a list or watch narrows to with `fieldSelector=metadata.name=x` (what `kubectl get pod x -w` sends). */
function nameFromFieldSelector(selector: string | null): string | undefined {
  if (!selector) return undefined;
  for (const term of selector.split(',')) {
    const match = /^\s*metadata\.name\s*==?\s*([^\s]+)\s*$/.exec(term);
    if (match) return match[1];
  }
  return undefined;
}

export function requestAttributes(method: string, path: string, search: URLSearchParams, info: RequestInfo | undefined): RequestAttributes {
  if (!info) return { verb: method.toLowerCase(), resourceRequest: false, path };
  let name = info.name;
  if (!name && (info.verb === 'list' || info.verb === 'watch')) name = nameFromFieldSelector(search.get('fieldSelector'));
  return {
    verb: info.verb,
    resourceRequest: true,
    apiGroup: info.group,
    apiVersion: info.version,
    resource: info.resource,
    subresource: info.subresource,
    name,
    // A namespace is its own namespace: a RoleBinding in `team` may grant `get namespace team`.
    namespace: info.resource === 'namespaces' && info.group === '' && info.name ? info.name : info.namespace,
  };
}
