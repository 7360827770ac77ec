/**
 * The REST operations of a group version, as a flavour-neutral model the v2
 * and v3 renderers share. Paths, operation ids, actions and parameter sets
 * follow upstream's endpoint installer: per resource a collection path
 * (list, create, deletecollection), an item path (read, replace, patch,
 * delete), the deprecated `watch/` paths, `…ForAllNamespaces` lists, and one
 * path per subresource.
 */
import type { ResourceType } from '../../api/resource.js';
import type { Schema } from '../../machinery/schema/types.js';
import { subresourcesOf, verbsOf, type SubresourceInfo } from '../discovery/subresources.js';
import {
  APIResourceListSchema,
  DeleteOptionsSchema,
  listSchemaOf,
  PatchSchema,
  StatusSchema,
  subresourceKindSchemas,
  WatchEventSchema,
} from './meta-schemas.js';
import {
  createParameters,
  deleteCollectionParameters,
  deleteParameters,
  listParameters,
  nameOf,
  namespace,
  pathParameter,
  patchParameters,
  pretty,
  subresourceParameters,
  updateParameters,
  type Parameter,
} from './parameters.js';

export type Method = 'get' | 'put' | 'post' | 'delete' | 'patch' | 'head' | 'options';

/** A response body: a schema, or a plain string (logs, connect). */
export type Body = { schema: Schema } | { string: true };

export interface Operation {
  method: Method;
  operationId: string;
  description: string;
  tags: string[];
  /** x-kubernetes-action */
  action: string;
  gvk: { group: string; version: string; kind: string };
  parameters: Parameter[];
  request?: { schema: Schema; required: boolean; consumes: string[] };
  responses: { code: number; description: string; body?: Body }[];
  produces: string[];
}

export interface PathItem {
  path: string;
  operations: Operation[];
}

const OBJECT_MEDIA = ['application/json', 'application/yaml'];
const STREAM_MEDIA = ['application/json', 'application/json;stream=watch', 'application/yaml'];
export const PATCH_MEDIA = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
];

/** What PATCH accepts: custom resources have no strategic merge patch (no Go struct tags to drive it); kubectl reads this to choose. */
function patchMediaOf(type: ResourceType): string[] {
  return type.customResource ? PATCH_MEDIA.filter((media) => media !== 'application/strategic-merge-patch+json') : PATCH_MEDIA;
}

/** Upstream's operation-id fragment: drops non-letters, capitalizing the letter after each. */
export function toOperationId(text: string, capitalizeFirst: boolean): string {
  let out = '';
  let capitalize = capitalizeFirst;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    const isLetter = /\p{L}/u.test(ch);
    if (isLetter || ch === '_' || (i !== 0 && /\d/.test(ch))) {
      out += capitalize ? ch.toUpperCase() : ch;
      capitalize = false;
    } else {
      capitalize = true;
    }
  }
  return out;
}

/** `Core` / `Apps` / `RbacAuthorization` for operation ids and `core` / `rbacAuthorization` for tags. */
export function groupIdentifier(group: string, capitalize: boolean): string {
  return toOperationId((group || 'core').replace(/\.k8s\.io$/, ''), capitalize);
}

export function tagOf(group: string, version: string): string {
  return `${groupIdentifier(group, false)}_${toOperationId(version, false)}`;
}

export function prefixOf(group: string, version: string): string {
  return group ? `/apis/${group}/${version}` : `/api/${version}`;
}

const title = (text: string) => (text ? text[0].toUpperCase() + text.slice(1) : text);
const article = (noun: string) => (/^[AEIOU]/.test(noun) ? ' an ' : ' a ');

/** Finds the schema of a kind served elsewhere in the registry (for subresource kinds such as Scale). */
export type KindLookup = (group: string, version: string, kind: string) => Schema | undefined;

/** Every path of a group version, including its discovery path, sorted by path. */
export function operationsOf(group: string, version: string, types: readonly ResourceType[], lookup: KindLookup = () => undefined): PathItem[] {
  const paths = new Map<string, Operation[]>();
  const add = (path: string, operation: Operation) => {
    const list = paths.get(path) ?? [];
    list.push(operation);
    paths.set(path, list);
  };
  const prefix = prefixOf(group, version);
  const idPrefix = groupIdentifier(group, true) + toOperationId(version, true);
  const tags = [tagOf(group, version)];
  add(`${prefix}/`, {
    method: 'get',
    operationId: `get${idPrefix}APIResources`,
    description: 'get available resources',
    tags,
    action: '',
    gvk: { group: '', version: '', kind: '' },
    parameters: [],
    responses: [{ code: 200, description: 'OK', body: { schema: APIResourceListSchema } }],
    produces: ['application/json', 'application/yaml'],
  });
  for (const type of types) {
    for (const [path, operation] of resourceOperations(type, prefix, idPrefix, tags, lookup)) add(path, operation);
  }
  return [...paths.keys()].sort().map((path) => ({ path, operations: paths.get(path)! }));
}

function resourceOperations(type: ResourceType, prefix: string, idPrefix: string, tags: string[], lookup: KindLookup): [string, Operation][] {
  const out: [string, Operation][] = [];
  const verbs = new Set(verbsOf(type));
  const kind = type.kind;
  const gvk = { group: type.group, version: type.version, kind };
  const scoped = type.namespaced ? 'Namespaced' : '';
  const scopePath = type.namespaced ? '/namespaces/{namespace}' : '';
  const scopeParams = type.namespaced ? [namespace] : [];
  const collection = `${prefix}${scopePath}/${type.resource}`;
  const item = `${collection}/{name}`;
  const itemParams = [...scopeParams, nameOf(kind)];
  const list = listSchemaOf(type);
  const op = (o: Omit<Operation, 'tags' | 'gvk' | 'produces'> & Partial<Pick<Operation, 'gvk' | 'produces'>>): Operation => ({
    tags,
    gvk,
    produces: OBJECT_MEDIA,
    ...o,
  });
  const ok = (schema: Schema, ...codes: [number, string][]) => [[200, 'OK'] as [number, string], ...codes].map(([code, description]) => ({ code, description, body: { schema } }));

  if (verbs.has('list')) {
    out.push([collection, op({
      method: 'get', operationId: `list${idPrefix}${scoped}${kind}`, action: 'list',
      description: `${verbs.has('watch') ? 'list or watch' : 'list'} objects of kind ${kind}`,
      parameters: [...scopeParams, pretty, ...listParameters], responses: ok(list), produces: STREAM_MEDIA,
    })]);
    if (type.namespaced) {
      out.push([`${prefix}/${type.resource}`, op({
        method: 'get', operationId: `list${idPrefix}${kind}ForAllNamespaces`, action: 'list',
        description: `${verbs.has('watch') ? 'list or watch' : 'list'} objects of kind ${kind}`,
        parameters: [pretty, ...listParameters], responses: ok(list), produces: STREAM_MEDIA,
      })]);
    }
  }
  if (verbs.has('create')) {
    out.push([collection, op({
      method: 'post', operationId: `create${idPrefix}${scoped}${kind}`, action: 'post', description: `create${article(kind)}${kind}`,
      parameters: [...scopeParams, pretty, ...createParameters], request: { schema: type.schema, required: true, consumes: ['*/*'] },
      responses: ok(type.schema, [201, 'Created'], [202, 'Accepted']),
    })]);
  }
  if (verbs.has('deletecollection')) {
    out.push([collection, op({
      method: 'delete', operationId: `delete${idPrefix}Collection${scoped}${kind}`, action: 'deletecollection',
      description: `delete collection of ${kind}`, parameters: [...scopeParams, pretty, ...deleteCollectionParameters],
      request: { schema: DeleteOptionsSchema, required: false, consumes: ['*/*'] }, responses: ok(StatusSchema),
    })]);
  }
  if (verbs.has('watch') && verbs.has('list')) {
    const deprecated = ". deprecated: use the 'watch' parameter with a list operation instead.";
    out.push([`${prefix}/watch${scopePath}/${type.resource}`, op({
      method: 'get', operationId: `watch${idPrefix}${scoped}${kind}List`, action: 'watchlist',
      description: `watch individual changes to a list of ${kind}${deprecated}`,
      parameters: [...scopeParams, pretty, ...listParameters], responses: ok(WatchEventSchema), produces: STREAM_MEDIA,
    })]);
    if (type.namespaced) {
      out.push([`${prefix}/watch/${type.resource}`, op({
        method: 'get', operationId: `watch${idPrefix}${kind}ListForAllNamespaces`, action: 'watchlist',
        description: `watch individual changes to a list of ${kind}${deprecated}`,
        parameters: [pretty, ...listParameters], responses: ok(WatchEventSchema), produces: STREAM_MEDIA,
      })]);
    }
  }
  if (verbs.has('get')) {
    out.push([item, op({
      method: 'get', operationId: `read${idPrefix}${scoped}${kind}`, action: 'get', description: `read the specified ${kind}`,
      parameters: [...itemParams, pretty], responses: ok(type.schema),
    })]);
  }
  if (verbs.has('update')) {
    out.push([item, op({
      method: 'put', operationId: `replace${idPrefix}${scoped}${kind}`, action: 'put', description: `replace the specified ${kind}`,
      parameters: [...itemParams, pretty, ...updateParameters], request: { schema: type.schema, required: true, consumes: ['*/*'] },
      responses: ok(type.schema, [201, 'Created']),
    })]);
  }
  if (verbs.has('patch')) {
    out.push([item, op({
      method: 'patch', operationId: `patch${idPrefix}${scoped}${kind}`, action: 'patch', description: `partially update the specified ${kind}`,
      parameters: [...itemParams, pretty, ...patchParameters], request: { schema: PatchSchema, required: true, consumes: patchMediaOf(type) },
      responses: ok(type.schema, [201, 'Created']),
    })]);
  }
  if (verbs.has('delete')) {
    out.push([item, op({
      method: 'delete', operationId: `delete${idPrefix}${scoped}${kind}`, action: 'delete', description: `delete${article(kind)}${kind}`,
      parameters: [...itemParams, pretty, ...deleteParameters], request: { schema: DeleteOptionsSchema, required: false, consumes: ['*/*'] },
      responses: ok(StatusSchema, [202, 'Accepted']),
    })]);
  }
  if (verbs.has('watch')) {
    out.push([`${prefix}/watch${scopePath}/${type.resource}/{name}`, op({
      method: 'get', operationId: `watch${idPrefix}${scoped}${kind}`, action: 'watch',
      description: `watch changes to an object of kind ${kind}. deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.`,
      parameters: [...itemParams, pretty, ...listParameters], responses: ok(WatchEventSchema), produces: STREAM_MEDIA,
    })]);
  }
  for (const sub of subresourcesOf(type)) out.push(...subresourceOperations(type, sub, item, itemParams, idPrefix, tags, lookup));
  return out;
}

/** The schema a subresource exchanges: the parent's, the registry's, or one of ours. */
export function subresourceSchema(type: ResourceType, sub: SubresourceInfo, lookup: KindLookup): Schema | undefined {
  if (sub.group === type.group && sub.version === type.version && sub.kind === type.kind) return type.schema;
  return lookup(sub.group, sub.version, sub.kind) ?? subresourceKindSchemas[`${sub.group}/${sub.version}/${sub.kind}`];
}

function subresourceOperations(
  type: ResourceType,
  sub: SubresourceInfo,
  item: string,
  itemParams: Parameter[],
  idPrefix: string,
  tags: string[],
  lookup: KindLookup,
): [string, Operation][] {
  const out: [string, Operation][] = [];
  const kind = type.kind;
  const scoped = type.namespaced ? 'Namespaced' : '';
  const path = `${item}/${sub.name}`;
  const id = `${idPrefix}${scoped}${kind}${title(sub.name)}`;
  const gvk = { group: sub.group, version: sub.version, kind: sub.kind };
  const base = { tags, gvk, produces: OBJECT_MEDIA };
  const schema = subresourceSchema(type, sub, lookup);
  const body = (s: Schema | undefined): Body => (s ? { schema: s } : { string: true });
  const verbs = new Set(sub.verbs);

  if (sub.connect) {
    const extra = subresourceParameters[sub.name] ?? [];
    for (const method of sub.connect.methods) {
      const connectOp = (withPath: boolean): Operation => ({
        ...base,
        method: method.toLowerCase() as Method,
        operationId: `connect${idPrefix}${title(method.toLowerCase())}${scoped}${kind}${title(sub.name)}${withPath ? 'WithPath' : ''}`,
        action: 'connect',
        description: `connect ${method} requests to ${sub.name} of ${kind}`,
        parameters: withPath ? [...itemParams, pathParameter, ...extra.filter((p) => p.name !== 'path')] : [...itemParams, ...extra],
        responses: [{ code: 200, description: 'OK', body: { string: true } }],
        produces: ['*/*'],
      });
      out.push([path, connectOp(false)]);
      if (sub.connect.withPath) out.push([`${path}/{path}`, connectOp(true)]);
    }
    return out;
  }
  if (sub.name === 'log') {
    out.push([path, {
      ...base, method: 'get', operationId: `read${id}`, action: 'get', description: `read log of the specified ${kind}`,
      parameters: [...itemParams, pretty, ...(subresourceParameters.log ?? [])],
      responses: [{ code: 200, description: 'OK', body: { string: true } }], produces: ['text/plain', 'application/json', 'application/yaml'],
    }]);
    return out;
  }
  if (verbs.has('get')) {
    out.push([path, { ...base, method: 'get', operationId: `read${id}`, action: 'get', description: `read ${sub.name} of the specified ${kind}`,
      parameters: [...itemParams, pretty], responses: [{ code: 200, description: 'OK', body: body(schema) }] }]);
  }
  if (verbs.has('create')) {
    const request = schema ? { schema, required: true, consumes: ['*/*'] } : undefined;
    out.push([path, { ...base, method: 'post', operationId: `create${id}`, action: 'post', description: `create ${sub.name} of${article(kind)}${kind}`,
      parameters: [...itemParams, pretty, ...createParameters], request,
      responses: ([[200, 'OK'], [201, 'Created'], [202, 'Accepted']] as const).map(([code, description]) => ({ code, description, body: body(schema) })) }]);
  }
  if (verbs.has('update')) {
    const request = schema ? { schema, required: true, consumes: ['*/*'] } : undefined;
    out.push([path, { ...base, method: 'put', operationId: `replace${id}`, action: 'put', description: `replace ${sub.name} of the specified ${kind}`,
      parameters: [...itemParams, pretty, ...updateParameters], request,
      responses: ([[200, 'OK'], [201, 'Created']] as const).map(([code, description]) => ({ code, description, body: body(schema) })) }]);
  }
  if (verbs.has('patch')) {
    out.push([path, { ...base, method: 'patch', operationId: `patch${id}`, action: 'patch', description: `partially update ${sub.name} of the specified ${kind}`,
      parameters: [...itemParams, pretty, ...patchParameters], request: { schema: PatchSchema, required: true, consumes: patchMediaOf(type) },
      responses: ([[200, 'OK'], [201, 'Created']] as const).map(([code, description]) => ({ code, description, body: body(schema) })) }]);
  }
  return out;
}

/** Parameters every operation of a path shares go to the path, as upstream's builder does. */
export function splitCommonParameters(operations: Operation[]): { common: Parameter[]; own: Map<Operation, Parameter[]> } {
  const key = (p: Parameter) => `${p.in}:${p.name}`;
  const counts = new Map<string, number>();
  for (const operation of operations) for (const p of new Map(operation.parameters.map((p) => [key(p), p])).values()) counts.set(key(p), (counts.get(key(p)) ?? 0) + 1);
  const isCommon = (p: Parameter) => counts.get(key(p)) === operations.length;
  const common = [...new Map(operations[0].parameters.filter(isCommon).map((p) => [key(p), p])).values()].sort(byNameIn);
  const own = new Map(operations.map((o) => [o, o.parameters.filter((p) => !isCommon(p)).sort(byNameIn)]));
  return { common, own };
}

/** Upstream sorts parameters by name, then location. */
function byNameIn(a: Parameter, b: Parameter): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : a.in < b.in ? -1 : a.in > b.in ? 1 : 0;
}
