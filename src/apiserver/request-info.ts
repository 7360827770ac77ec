/**
 * Turns a request path into what it addresses: which group, version,
 * namespace, resource, name and subresource, and which verb the method means.
 * Follows upstream's RequestInfoFactory (including the legacy `/watch/` prefix).
 */
import { errors } from '../machinery/status.js';

export interface RequestInfo {
  /** `api` (core group) or `apis`. */
  apiPrefix: 'api' | 'apis';
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
  /** get, list, watch, create, update, patch, delete, deletecollection */
  verb: string;
}

/** Subresources of a namespace object itself, not resources inside the namespace. */
const namespaceSubresources = new Set(['status', 'finalize']);

/** One path segment, percent-decoded; a malformed escape (`%zz`, a cut UTF-8 sequence) is the client's error. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw errors.badRequest(`invalid URL escape ${JSON.stringify(segment)}`);
  }
}

export function parseResourcePath(method: string, pathname: string, watchParam: boolean): RequestInfo | undefined {
  const parts = pathname.split('/').filter((p) => p.length > 0).map(decodeSegment);
  let rest: string[];
  let apiPrefix: 'api' | 'apis';
  let group = '';
  let version: string;
  if (parts[0] === 'api' && parts.length >= 3) {
    apiPrefix = 'api';
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiPrefix = 'apis';
    group = parts[1];
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }

  let legacyWatch = false;
  if (rest[0] === 'watch') {
    legacyWatch = true;
    rest = rest.slice(1);
  }

  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !namespaceSubresources.has(rest[2])) rest = rest.slice(2);
  }
  // Only a proxy subresource has more after it: the path to pass on (handlers/proxy.ts reads it).
  if (rest.length === 0 || (rest.length > 3 && rest[2] !== 'proxy')) return undefined;
  const [resource, name, subresource] = rest;
  // For /api/v1/namespaces/foo the namespace is also the name.
  if (resource === 'namespaces' && rest.length >= 2) namespace = undefined;

  let verb: string;
  switch (method) {
    case 'GET':
    case 'HEAD':
      verb = legacyWatch || watchParam ? 'watch' : name ? 'get' : 'list';
      break;
    case 'POST':
      verb = 'create';
      break;
    case 'PUT':
      verb = 'update';
      break;
    case 'PATCH':
      verb = 'patch';
      break;
    case 'DELETE':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = method.toLowerCase();
  }
  return { apiPrefix, group, version, namespace, resource, name, subresource, verb };
}
