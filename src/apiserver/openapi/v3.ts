/**
 * OpenAPI v3 documents, one per group version (`/openapi/v3/apis/apps/v1`) plus
 * the small root documents (`api`, `apis`, `apis/<group>`). Each is
 * self-contained: every schema its paths reach is in `components.schemas`.
 */
import type { Registry } from '../../api/registry.js';
import type { ResourceType } from '../../api/resource.js';
import type { Schema } from '../../machinery/schema/types.js';
import { kubernetesVersion } from '../version.js';
import { DefinitionSet, type JsonSchema } from './definitions.js';
import { APIGroupListSchema, APIGroupSchema, APIVersionsSchema, listSchemaOf, metaSchemas, subresourceKindSchemas } from './meta-schemas.js';
import { groupIdentifier, operationsOf, splitCommonParameters, type Body, type KindLookup, type Operation, type PathItem } from './operations.js';
import type { Parameter } from './parameters.js';

export const info = { title: 'Kubernetes', version: `v${kubernetesVersion.major}.${kubernetesVersion.minor}.${kubernetesVersion.patch}` };
const securityScheme = { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' };

/** Finds a kind's schema anywhere in the registry (Scale in autoscaling/v1, for example). */
export function registryLookup(registry: Registry): KindLookup {
  return (group, version, kind) => registry.all().find((t) => t.group === group && t.version === version && t.kind === kind)?.schema;
}

/** A kind's schema with a definition name, even if its author forgot one. */
export function namedKindSchema(type: ResourceType): Schema {
  if (type.schema.definitionName && type.schema['x-kubernetes-group-version-kind']) return type.schema;
  return {
    ...type.schema,
    definitionName: type.schema.definitionName ?? `${type.group || 'io.k8s.api.core'}.${type.version}.${type.kind}`,
    'x-kubernetes-group-version-kind': type.schema['x-kubernetes-group-version-kind'] ?? [{ group: type.group, version: type.version, kind: type.kind }],
  };
}

/** Scans in authority order: meta types, then every registered kind, then our fallbacks. */
export function scanAll(defs: DefinitionSet, types: readonly ResourceType[]): void {
  for (const schema of metaSchemas) defs.scan(schema);
  for (const type of types) defs.scan(namedKindSchema(type));
  for (const schema of Object.values(subresourceKindSchemas)) defs.scan(schema);
}

function parameterV3(p: Parameter): JsonSchema {
  const out: JsonSchema = { name: p.name, in: p.in, description: p.description };
  if (p.required) out.required = true;
  out.schema = { type: p.type, uniqueItems: true };
  return out;
}

function bodySchema(defs: DefinitionSet, body: Body): JsonSchema {
  return 'string' in body ? { type: 'string' } : defs.ref(body.schema);
}

function operationV3(defs: DefinitionSet, operation: Operation, parameters: Parameter[]): JsonSchema {
  const out: JsonSchema = { tags: operation.tags, description: operation.description, operationId: operation.operationId };
  if (parameters.length) out.parameters = parameters.map(parameterV3);
  if (operation.request) {
    const schema = defs.ref(operation.request.schema);
    const content = Object.fromEntries(operation.request.consumes.map((type) => [type, { schema }]));
    out.requestBody = operation.request.required ? { content, required: true } : { content };
  }
  const responses: JsonSchema = {};
  for (const response of operation.responses) {
    const entry: JsonSchema = { description: response.description };
    if (response.body) {
      const schema = bodySchema(defs, response.body);
      entry.content = Object.fromEntries(operation.produces.map((type) => [type, { schema }]));
    }
    responses[String(response.code)] = entry;
  }
  responses['401'] = { description: 'Unauthorized' };
  out.responses = responses;
  if (operation.action) {
    out['x-kubernetes-action'] = operation.action;
    out['x-kubernetes-group-version-kind'] = operation.gvk;
  }
  return out;
}

export function pathsV3(defs: DefinitionSet, items: PathItem[]): JsonSchema {
  const paths: JsonSchema = {};
  for (const item of items) {
    const { common, own } = splitCommonParameters(item.operations);
    const entry: JsonSchema = {};
    for (const operation of item.operations) entry[operation.method] = operationV3(defs, operation, own.get(operation)!);
    if (common.length) entry.parameters = common.map(parameterV3);
    paths[item.path] = entry;
  }
  return paths;
}

function wrapV3(defs: DefinitionSet, paths: JsonSchema): JsonSchema {
  return {
    openapi: '3.0.0',
    info,
    paths,
    components: { schemas: defs.definitions(), securitySchemes: { BearerToken: securityScheme } },
    security: [{ BearerToken: [] }],
  };
}

/** `/openapi/v3/api/v1`, `/openapi/v3/apis/<group>/<version>`: undefined when not served. */
export function groupVersionDocumentV3(registry: Registry, group: string, version: string): JsonSchema | undefined {
  const types = registry.resourcesIn(group, version);
  if (types.length === 0) return undefined;
  const defs = new DefinitionSet('v3');
  scanAll(defs, registry.all());
  const named = types.map((type) => ({ ...type, schema: namedKindSchema(type) }));
  const paths = pathsV3(defs, operationsOf(group, version, named, registryLookup(registry)));
  // Kinds and lists are documented even when no verb exposes them (kubectl explain looks them up by GVK).
  for (const type of named) {
    defs.ref(type.schema);
    defs.ref(listSchemaOf(type));
  }
  return wrapV3(defs, paths);
}

function rootDocument(path: string, operationId: string, tag: string, description: string, schema: Schema): JsonSchema {
  const defs = new DefinitionSet('v3');
  for (const meta of metaSchemas) defs.scan(meta);
  const ref = defs.ref(schema);
  const content = Object.fromEntries(['application/json', 'application/yaml'].map((type) => [type, { schema: ref }]));
  const paths = {
    [path]: { get: { tags: [tag], description, operationId, responses: { '200': { description: 'OK', content }, '401': { description: 'Unauthorized' } } } },
  };
  return wrapV3(defs, paths);
}

/** The root documents: `api` (APIVersions), `apis` (APIGroupList) and `apis/<group>` (APIGroup). */
export function rootDocumentV3(registry: Registry, key: string): JsonSchema | undefined {
  if (key === 'api') return registry.versions('').length ? rootDocument('/api/', 'getCoreAPIVersions', 'core', 'get available API versions', APIVersionsSchema) : undefined;
  if (key === 'apis') return rootDocument('/apis/', 'getAPIVersions', 'apis', 'get available API versions', APIGroupListSchema);
  const group = key.startsWith('apis/') ? key.slice(5) : undefined;
  if (!group || group.includes('/') || registry.versions(group).length === 0) return undefined;
  return rootDocument(`/apis/${group}/`, `get${groupIdentifier(group, true)}APIGroup`, groupIdentifier(group, false), 'get information of a group', APIGroupSchema);
}

/** Every document key the index lists, in upstream's form (`api/v1`, `apis/apps/v1`, `apis/apps`, …). */
export function documentKeys(registry: Registry): string[] {
  const keys: string[] = ['apis'];
  for (const group of registry.groups()) {
    const versions = registry.versions(group);
    if (versions.length === 0) continue;
    if (group === '') keys.push('api', ...versions.map((v) => `api/${v}`));
    else keys.push(`apis/${group}`, ...versions.map((v) => `apis/${group}/${v}`));
  }
  return keys.sort();
}

/** The document for an index key. */
export function documentV3(registry: Registry, key: string): JsonSchema | undefined {
  const parts = key.split('/');
  if (parts[0] === 'api' && parts.length === 2) return groupVersionDocumentV3(registry, '', parts[1]);
  if (parts[0] === 'apis' && parts.length === 3) return groupVersionDocumentV3(registry, parts[1], parts[2]);
  return rootDocumentV3(registry, key);
}
