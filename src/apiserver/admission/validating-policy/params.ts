/**
 * The parameter objects of a binding (upstream's CollectParams): the
 * policy's paramKind names the kind, the binding's paramRef which objects —
 * by name or by label selector, in paramRef.namespace or else the request's
 * namespace. The policy is evaluated once per object found; with none,
 * parameterNotFoundAction Deny refuses and Allow skips the binding. A
 * policy without paramKind, or a binding without paramRef, is evaluated
 * once with `params` null.
 */
import type { LabelSelector } from '../../../api/common/selector.js';
import type { ResourceType } from '../../../api/resource.js';
import { selectorFromLabelSelector } from '../../../machinery/labels.js';
import type { KubeObject } from '../../../machinery/object.js';

export interface ParamKind {
  apiVersion?: string;
  kind?: string;
}

export interface ParamRef {
  name?: string;
  namespace?: string;
  selector?: LabelSelector;
  parameterNotFoundAction?: string;
}

/** Reads parameter objects: one by name, or those a selector selects; `namespace` is undefined for a cluster-scoped kind. */
export type ParamsLookup = (type: ResourceType, namespace: string | undefined, name: string | undefined, selector: LabelSelector | undefined) => Promise<KubeObject[]>;

/**
 * The served type of a paramKind: `unparsable` when its apiVersion is not
 * `group/version` (upstream then knows no informer for it), or upstream's
 * configuration error when no served kind has that name.
 */
export type ResolvedParamKind = { type: ResourceType } | 'unparsable' | { error: string };

export function resolveParamKind(paramKind: ParamKind, types: readonly ResourceType[]): ResolvedParamKind {
  const apiVersion = paramKind.apiVersion ?? '';
  const parts = apiVersion.split('/');
  if (parts.length > 2) return 'unparsable';
  const [group, version] = parts.length === 2 ? parts : ['', parts[0]];
  const type = types.find((t) => t.group === group && t.version === version && t.kind === paramKind.kind);
  if (type) return { type };
  return { error: `failed to find resource referenced by paramKind: '${group}/${version}, Kind=${paramKind.kind ?? ''}'` };
}

export async function collectParams(
  paramKind: ParamKind | undefined,
  resolved: ResolvedParamKind | undefined,
  paramRef: ParamRef | undefined,
  requestNamespace: string,
  lookup: ParamsLookup,
): Promise<{ params: (KubeObject | null)[] } | { error: string }> {
  if (!paramKind || !paramRef) return { params: [null] };
  if (!resolved || resolved === 'unparsable' || 'error' in resolved) {
    return { error: `paramKind kind \`&ParamKind{APIVersion:${paramKind.apiVersion ?? ''},Kind:${paramKind.kind ?? ''},}\` not known` };
  }
  const type = resolved.type;
  let namespace: string | undefined;
  if (type.namespaced) {
    namespace = paramRef.namespace || requestNamespace;
    if (!namespace) return { error: 'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources' };
  } else if (paramRef.namespace) {
    return { error: 'paramRef.namespace must not be provided for a cluster-scoped `paramKind`' };
  }
  let params: KubeObject[];
  if (paramRef.name) {
    if (paramRef.selector) return { error: 'paramRef.name and paramRef.selector are mutually exclusive' };
    params = (await lookup(type, namespace, paramRef.name, undefined)).filter((p) => p.metadata.name === paramRef.name);
  } else if (paramRef.selector) {
    try {
      selectorFromLabelSelector(paramRef.selector);
    } catch (err) {
      return { error: (err as Error).message };
    }
    params = await lookup(type, namespace, undefined, paramRef.selector);
  } else {
    return { error: 'one of name or selector must be provided' };
  }
  if (params.length === 0 && paramRef.parameterNotFoundAction === 'Deny') {
    return { error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
  }
  // Objects read from a cache may lack their type; expressions read params.kind (upstream's wrappedParam).
  return { params: params.map((p) => (p.apiVersion && p.kind ? p : { ...p, apiVersion: paramKind.apiVersion, kind: paramKind.kind })) };
}
