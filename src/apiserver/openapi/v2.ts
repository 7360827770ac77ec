/**
 * The OpenAPI v2 (Swagger 2.0) document at `/openapi/v2`: every group version
 * in one document, with `definitions` and `#/definitions/` references. Built
 * from the same operation model as v3; only the rendering differs (body
 * parameters instead of requestBody, `consumes`/`produces` per operation).
 */
import type { Registry } from '../../api/registry.js';
import { DefinitionSet, type JsonSchema } from './definitions.js';
import { APIGroupListSchema, APIGroupSchema, APIVersionsSchema, listSchemaOf } from './meta-schemas.js';
import { groupIdentifier, operationsOf, splitCommonParameters, type Operation, type PathItem } from './operations.js';
import type { Parameter } from './parameters.js';
import { info, namedKindSchema, registryLookup, scanAll } from './v3.js';

function parameterV2(p: Parameter): JsonSchema {
  const out: JsonSchema = { uniqueItems: true, type: p.type, description: p.description, name: p.name, in: p.in };
  if (p.required) out.required = true;
  return out;
}

function operationV2(defs: DefinitionSet, operation: Operation, parameters: Parameter[]): JsonSchema {
  const out: JsonSchema = {
    description: operation.description,
    consumes: operation.request?.consumes ?? ['*/*'],
    produces: operation.produces,
    schemes: ['https'],
    tags: operation.tags,
    operationId: operation.operationId,
  };
  const params = parameters.map(parameterV2);
  if (operation.request) {
    const body: JsonSchema = { name: 'body', in: 'body', schema: defs.ref(operation.request.schema) };
    if (operation.request.required) body.required = true;
    params.unshift(body);
  }
  if (params.length) out.parameters = params;
  const responses: JsonSchema = {};
  for (const response of operation.responses) {
    const entry: JsonSchema = { description: response.description };
    if (response.body) entry.schema = 'string' in response.body ? { type: 'string' } : defs.ref(response.body.schema);
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

function pathsV2(defs: DefinitionSet, items: PathItem[], into: JsonSchema): void {
  for (const item of items) {
    const { common, own } = splitCommonParameters(item.operations);
    const entry: JsonSchema = {};
    for (const operation of item.operations) entry[operation.method] = operationV2(defs, operation, own.get(operation)!);
    if (common.length) entry.parameters = common.map(parameterV2);
    into[item.path] = entry;
  }
}

function rootOperation(defs: DefinitionSet, operationId: string, tag: string, description: string, schema: Parameters<DefinitionSet['ref']>[0]): JsonSchema {
  const produces = ['application/json', 'application/yaml'];
  return {
    get: {
      description,
      consumes: produces,
      produces,
      schemes: ['https'],
      tags: [tag],
      operationId,
      responses: { '200': { description: 'OK', schema: defs.ref(schema) }, '401': { description: 'Unauthorized' } },
    },
  };
}

/** The whole Swagger 2.0 document for the registry. */
export function documentV2(registry: Registry): JsonSchema {
  const defs = new DefinitionSet('v2');
  scanAll(defs, registry.all());
  const lookup = registryLookup(registry);
  const paths: JsonSchema = {};
  if (registry.versions('').length) paths['/api/'] = rootOperation(defs, 'getCoreAPIVersions', 'core', 'get available API versions', APIVersionsSchema);
  paths['/apis/'] = rootOperation(defs, 'getAPIVersions', 'apis', 'get available API versions', APIGroupListSchema);
  for (const group of registry.groups()) {
    const versions = registry.versions(group);
    if (versions.length === 0) continue;
    if (group) {
      paths[`/apis/${group}/`] = rootOperation(defs, `get${groupIdentifier(group, true)}APIGroup`, groupIdentifier(group, false), 'get information of a group', APIGroupSchema);
    }
    for (const version of versions) {
      const named = registry.resourcesIn(group, version).map((type) => ({ ...type, schema: namedKindSchema(type) }));
      pathsV2(defs, operationsOf(group, version, named, lookup), paths);
      for (const type of named) {
        defs.ref(type.schema);
        defs.ref(listSchemaOf(type));
      }
    }
  }
  const sortedPaths = Object.fromEntries(Object.keys(paths).sort().map((key) => [key, paths[key]]));
  return {
    swagger: '2.0',
    info,
    paths: sortedPaths,
    definitions: defs.definitions(),
    securityDefinitions: { BearerToken: { type: 'apiKey', description: 'Bearer Token authentication', name: 'authorization', in: 'header' } },
    security: [{ BearerToken: [] }],
  };
}
