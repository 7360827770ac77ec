/**
 * A CustomResourceDefinition's defaults and its validation on create, with
 * kube-apiserver v1.32's messages and order.
 *
 * Upstream validates the CRD after converting it to its internal form, and
 * the paths show it: what every version has alike (the common case of one
 * version) is validated once at spec level — its schema at
 * `spec.validation.openAPIV3Schema`, its subresources at
 * `spec.subresources`, its columns at `spec.additionalPrinterColumns[i]` —
 * and only versions that differ are named `spec.versions[i]…`. Schema paths
 * name properties as `properties[spec]`.
 *
 * Covered here: metadata.name, group, scope, names, versions (names,
 * uniqueness, one storage version, schemas required, deprecation
 * warnings), subresources, printer columns, conversion, stored versions,
 * the structural-schema rules a schema must keep, and that every CEL rule
 * compiles, defaults that are values of their schema, and selectableFields
 * that name string, integer or boolean fields. Not yet: CEL cost estimates. Where
 * upstream prints a Go struct with pointers (the whole `spec.versions`
 * list), the value is printed as JSON: its addresses cannot be matched.
 */
import { field, GoValue, type FieldErrorLike } from '../../machinery/status.js';
import { isDNS1035Label, isDNS1123Subdomain, validateObjectMeta } from '../../machinery/validation.js';
import type { Schema } from '../../machinery/schema/index.js';
import { hasValidationRules, validationRules } from '../../machinery/cel/on-demand.js';
import { isPlainObject } from '../../machinery/object.js';
import { pruneCustomResource } from '../../machinery/schema/structural.js';
import { validateCustomResourceValue } from '../../machinery/schema/value-validation.js';
import type { CustomResourceDefinition, CustomResourceDefinitionVersion, CustomResourceSchema } from './types.js';

/** Upstream's defaults: singular from kind, listKind `<Kind>List`, conversion None, a webhook service's port 443. */
export function defaultCustomResourceDefinition(crd: CustomResourceDefinition): void {
  const names = crd.spec?.names;
  if (names?.kind) {
    names.singular ||= names.kind.toLowerCase();
    names.listKind ||= `${names.kind}List`;
  }
  if (crd.spec) {
    crd.spec.conversion ??= { strategy: 'None' };
    const service = crd.spec.conversion.webhook?.clientConfig?.service;
    if (service) service.port ??= 443;
  }
}

/** What a new CRD's status starts as: no conditions or names yet, the storage version stored. */
export function prepareCustomResourceDefinitionForCreate(crd: CustomResourceDefinition): void {
  const storage = crd.spec?.versions?.find((version) => version.storage);
  crd.status = { storedVersions: storage ? [storage.name] : [] };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const join = (messages: string[]) => messages.join(',');

/** Whether every version has the same value of a field (upstream then validates it once, at spec level). */
function sharedByAll<K extends keyof CustomResourceDefinitionVersion>(versions: CustomResourceDefinitionVersion[], key: K): boolean {
  return versions.length > 0 && versions.every((version) => same(version[key], versions[0][key]));
}

function validateNames(crd: CustomResourceDefinition, errors: FieldErrorLike[]): void {
  const names = crd.spec.names ?? ({} as CustomResourceDefinition['spec']['names']);
  const path = 'spec.names';
  for (const key of ['plural', 'singular', 'kind', 'listKind'] as const) {
    if (!names[key]) errors.push(field.required(`${path}.${key}`));
  }
  for (const key of ['plural', 'singular'] as const) {
    const value = names[key];
    const messages = value ? isDNS1035Label(value) : [];
    if (messages.length) errors.push(field.invalid(`${path}.${key}`, value, join(messages)));
  }
  for (const key of ['kind', 'listKind'] as const) {
    const value = names[key];
    const messages = value ? isDNS1035Label(value.toLowerCase()) : [];
    if (messages.length) errors.push(field.invalid(`${path}.${key}`, value, `may have mixed case, but should otherwise match: ${join(messages)}`));
  }
  (names.shortNames ?? []).forEach((name, i) => {
    const messages = isDNS1035Label(name);
    if (messages.length) errors.push(field.invalid(`${path}.shortNames[${i}]`, name, join(messages)));
  });
  if (names.kind && names.kind === names.listKind) errors.push(field.invalid(`${path}.listKind`, names.listKind, 'kind and listKind may not be the same'));
  (names.categories ?? []).forEach((name, i) => {
    const messages = isDNS1035Label(name);
    if (messages.length) errors.push(field.invalid(`${path}.categories[${i}]`, name, join(messages)));
  });
}

/** A JSON path of the dot notation, as printer columns and scale paths take them. */
function simpleJsonPathError(path: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (!path.startsWith('.')) return 'must be a simple json path starting with .';
  return undefined;
}

function validateSubresources(subresources: CustomResourceDefinitionVersion['subresources'], path: string, errors: FieldErrorLike[]): void {
  const scale = subresources?.scale;
  if (!scale) return;
  const check = (key: 'specReplicasPath' | 'statusReplicasPath', under: '.spec.' | '.status.') => {
    const value = scale[key];
    if (!value) return errors.push(field.required(`${path}.scale.${key}`));
    const problem = simpleJsonPathError(value);
    if (problem) errors.push(field.invalid(`${path}.scale.${key}`, value, problem));
    else if (!value.startsWith(under)) errors.push(field.invalid(`${path}.scale.${key}`, value, `should be a json path under ${under.slice(0, -1)}`));
  };
  check('specReplicasPath', '.spec.');
  check('statusReplicasPath', '.status.');
  const selector = scale.labelSelectorPath;
  if (selector) {
    const problem = simpleJsonPathError(selector);
    if (problem) errors.push(field.invalid(`${path}.scale.labelSelectorPath`, selector, problem));
    else if (!selector.startsWith('.spec.') && !selector.startsWith('.status.')) errors.push(field.invalid(`${path}.scale.labelSelectorPath`, selector, 'should be a json path under either .spec or .status'));
  }
}

const columnTypes = ['boolean', 'date', 'integer', 'number', 'string'];
const columnFormats = ['byte', 'date', 'date-time', 'double', 'float', 'int32', 'int64', 'password'];

function validateColumns(columns: CustomResourceDefinitionVersion['additionalPrinterColumns'], path: string, errors: FieldErrorLike[]): void {
  (columns ?? []).forEach((column, i) => {
    const at = `${path}[${i}]`;
    if (!column.name) errors.push(field.required(`${at}.name`));
    if (!column.type) errors.push(field.required(`${at}.type`, `must be one of ${columnTypes.join(',')}`));
    else if (!columnTypes.includes(column.type)) errors.push(field.invalid(`${at}.type`, column.type, `must be one of ${columnTypes.join(',')}`));
    if (column.format && !columnFormats.includes(column.format)) errors.push(field.invalid(`${at}.format`, column.format, `must be one of ${columnFormats.join(',')}`));
    // Upstream's path segment is JSONPath, its Go field's name.
    if (!column.jsonPath) errors.push(field.required(`${at}.JSONPath`));
    else {
      const problem = simpleJsonPathError(column.jsonPath);
      if (problem) errors.push(field.invalid(`${at}.JSONPath`, column.jsonPath, problem));
    }
  });
}

/** The structural-schema rules, at each node of a CRD's schema; errors sorted by their text, as upstream sorts them. */
function validateStructural(schema: CustomResourceSchema, path: string, statusSubresource: boolean, errors: FieldErrorLike[]): void {
  const found: FieldErrorLike[] = [];
  if (statusSubresource && schema.type && schema.type !== 'object') {
    errors.push(field.invalid(`${path}.type`, schema.type, 'only "object" is allowed as the type at the root of the schema if the status subresource is enabled'));
  }
  if (schema.nullable) errors.push(field.forbidden(`${path}.nullable`, 'nullable cannot be true at the root'));
  const visit = (node: Schema, at: string, level: 'root' | 'item' | 'field') => {
    const embedded = node['x-kubernetes-embedded-resource'] === true;
    const intOrString = node['x-kubernetes-int-or-string'] === true;
    const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
    if (node.type === 'array' && !node.items) found.push(field.required(`${at}.items`, 'must be specified'));
    if (level === 'root' && node.additionalProperties) found.push(field.forbidden(`${at}.additionalProperties`, 'must not be used at the root'));
    if (embedded && node.type !== 'object') {
      found.push(node.type ? field.invalid(`${at}.type`, node.type, 'must be object if x-kubernetes-embedded-resource is true') : field.required(`${at}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
    } else if (!node.type && !intOrString && !preserve) {
      const where = level === 'root' ? 'at the root' : level === 'item' ? 'for specified array items' : 'for specified object fields';
      found.push(field.required(`${at}.type`, `must not be empty ${where}`));
    }
    if (embedded && node.additionalProperties) found.push(field.forbidden(`${at}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
    if (level === 'root' && node.type && node.type !== 'object') found.push(field.invalid(`${at}.type`, node.type, 'must be object at the root'));
    if (level === 'root' || embedded) {
      for (const key of ['kind', 'apiVersion']) {
        const type = node.properties?.[key]?.type;
        if (type && type !== 'string') found.push(field.invalid(`${at}.properties[${key}].type`, type, 'must be string'));
      }
      const metadata = node.properties?.metadata;
      if (metadata?.type && metadata.type !== 'object') found.push(field.invalid(`${at}.properties[metadata].type`, metadata.type, 'must be object'));
      if (level === 'root' && metadata) {
        const { type: _type, properties, ...rest } = metadata;
        const extra = Object.keys(properties ?? {}).some((key) => key !== 'name' && key !== 'generateName');
        if (extra || Object.keys(rest).length > 0) {
          found.push(field.forbidden(`${at}.properties[metadata]`, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
        }
      }
    }
    if (embedded && !preserve && !Object.keys(node.properties ?? {}).length) {
      found.push(field.required(`${at}.properties`, 'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields'));
    }
    if (intOrString && preserve) found.push(field.invalid(`${at}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
    if (intOrString && embedded) found.push(field.invalid(`${at}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
    if (node.pattern !== undefined) {
      try {
        new RegExp(node.pattern, 'u');
      } catch (err) {
        found.push(field.invalid(`${at}.pattern`, node.pattern, `must be a valid regular expression, but isn't: ${(err as Error).message}`));
      }
    }
    for (const [key, property] of Object.entries(node.properties ?? {})) visit(property, `${at}.properties[${key}]`, 'field');
    if (node.additionalProperties) visit(node.additionalProperties, `${at}.additionalProperties`, 'field');
    if (node.items) visit(node.items, `${at}.items`, 'item');
  };
  visit(schema, path, 'root');
  found.sort((a, b) => (renderKey(a) < renderKey(b) ? -1 : renderKey(a) > renderKey(b) ? 1 : 0));
  errors.push(...found);
  validateOpenApiRules(schema, path, errors);
}

const renderKey = (error: FieldErrorLike) => `${error.field}: ${error.type} ${String(error.detail ?? '')}`;

/** The rules that hold for any CRD schema beyond structure: types known, uniqueItems off, properties or additionalProperties, list and map types. */
function validateOpenApiRules(schema: Schema, path: string, errors: FieldErrorLike[]): void {
  const types = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
  const visit = (node: Schema, at: string) => {
    if (node.type && !types.includes(node.type)) errors.push(field.notSupported(`${at}.type`, node.type, types));
    if (node.uniqueItems) errors.push(field.forbidden(`${at}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
    if (node.additionalProperties && node.properties) errors.push(field.forbidden(`${at}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    if (node.additionalProperties) visit(node.additionalProperties, `${at}.additionalProperties`);
    for (const [key, property] of Object.entries(node.properties ?? {})) visit(property, `${at}.properties[${key}]`);
    if (node.items) visit(node.items, `${at}.items`);
    const preserve = (node as { 'x-kubernetes-preserve-unknown-fields'?: unknown })['x-kubernetes-preserve-unknown-fields'];
    if (preserve === false) errors.push(field.invalid(`${at}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
    const listType = node['x-kubernetes-list-type'];
    if (listType !== undefined) {
      if (node.type !== 'array') errors.push(node.type ? field.invalid(`${at}.type`, node.type, 'must be array if x-kubernetes-list-type is specified') : field.required(`${at}.type`, 'must be array if x-kubernetes-list-type is specified'));
      if (!['atomic', 'set', 'map'].includes(listType)) errors.push(field.notSupported(`${at}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map']));
    }
    const keys = node['x-kubernetes-list-map-keys'] ?? [];
    if (keys.length && listType !== 'map') {
      errors.push(listType === undefined ? field.required(`${at}.x-kubernetes-list-type`, 'must be map if x-kubernetes-list-map-keys is non-empty') : field.invalid(`${at}.x-kubernetes-list-type`, listType, 'must be map if x-kubernetes-list-map-keys is non-empty'));
    }
    if (listType === 'map') {
      if (!keys.length) errors.push(field.required(`${at}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
      if (!node.items) errors.push(field.required(`${at}.items`, 'must have a schema if x-kubernetes-list-type is map'));
      else if (node.items.type !== 'object') errors.push(field.invalid(`${at}.items.type`, node.items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
      else {
        if (keys.some((key) => !(key in (node.items!.properties ?? {})))) errors.push(field.invalid(`${at}.x-kubernetes-list-map-keys`, keys, 'entries must all be names of item properties'));
        if (new Set(keys).size !== keys.length) errors.push(field.invalid(`${at}.x-kubernetes-list-map-keys`, keys, 'must not contain duplicate entries'));
        for (const key of keys) {
          const property = node.items.properties?.[key];
          if (!property) continue;
          if (!node.items.required?.includes(key) && property.default === undefined) {
            errors.push(field.required(`${at}.items.properties[${key}].default`, 'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'));
          }
          if (property.nullable) errors.push(field.forbidden(`${at}.items.properties[${key}].nullable`, 'this property is in x-kubernetes-list-map-keys, so it cannot be nullable'));
        }
      }
    }
    const mapType = node['x-kubernetes-map-type'];
    if (mapType !== undefined) {
      if (node.type !== 'object') errors.push(node.type ? field.invalid(`${at}.type`, node.type, 'must be object if x-kubernetes-map-type is specified') : field.required(`${at}.type`, 'must be object if x-kubernetes-map-type is specified'));
      if (!['atomic', 'granular'].includes(mapType)) errors.push(field.notSupported(`${at}.x-kubernetes-map-type`, mapType, ['atomic', 'granular']));
    }
  };
  visit(schema, path);
}

/** Each `default` must be a value of its own schema, with no field the schema would prune. */
function validateDefaults(schema: Schema, path: string, errors: FieldErrorLike[]): void {
  const visit = (node: Schema, at: string) => {
    if (node.default !== undefined && node.default !== null) {
      const pruned = structuredClone(node.default);
      if (isPlainObject(pruned) || Array.isArray(pruned)) {
        const unknown = isPlainObject(pruned) ? pruneCustomResource({ value: pruned }, { type: 'object', properties: { value: node } }) : [];
        if (unknown.length > 0) errors.push(field.invalid(`${at}.default`, GoValue.of(node.default), 'must not have unknown fields'));
      }
      // Checked as the field `default` of an object, so the messages name it so (`default in body must be …`).
      errors.push(...validateCustomResourceValue({ type: 'object', properties: { default: node } }, { default: node.default }, { root: at }));
    }
    for (const [key, property] of Object.entries(node.properties ?? {})) visit(property, `${at}.properties[${key}]`);
    if (node.additionalProperties) visit(node.additionalProperties, `${at}.additionalProperties`);
    if (node.items) visit(node.items, `${at}.items`);
  };
  visit(schema, path);
}

/** The schema a simple JSON path (`.spec.color`) leads to, if any. */
function schemaAtPath(schema: Schema | undefined, jsonPath: string): Schema | undefined {
  if (!jsonPath.startsWith('.')) return undefined;
  let node = schema;
  for (const name of jsonPath.slice(1).split('.')) {
    if (!name) return undefined;
    node = node?.properties?.[name];
  }
  return node;
}

/** selectableFields: at most 8, each a unique path to a string, integer or boolean field of the schema. */
function validateSelectableFields(version: CustomResourceDefinitionVersion, path: string, errors: FieldErrorLike[]): void {
  const fields = version.selectableFields ?? [];
  if (fields.length > 8) errors.push(field.tooMany(path, fields.length, 8));
  const seen = new Set<string>();
  fields.forEach((selectable, i) => {
    const at = `${path}[${i}].jsonPath`;
    if (!selectable.jsonPath) return errors.push(field.required(at));
    const target = schemaAtPath(version.schema?.openAPIV3Schema, selectable.jsonPath);
    if (!target) errors.push(field.invalid(at, selectable.jsonPath, 'is an invalid path: does not refer to a valid field'));
    else if (!['string', 'integer', 'boolean'].includes(target.type ?? '')) {
      errors.push(field.invalid(at, selectable.jsonPath, 'must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.'));
    }
    if (seen.has(selectable.jsonPath)) errors.push(field.duplicate(at, selectable.jsonPath));
    seen.add(selectable.jsonPath);
  });
}

function validateConversion(crd: CustomResourceDefinition, errors: FieldErrorLike[]): void {
  const conversion = crd.spec.conversion;
  if (!conversion) return;
  const path = 'spec.conversion';
  if (!conversion.strategy) errors.push(field.required(`${path}.strategy`));
  else if (conversion.strategy !== 'None' && conversion.strategy !== 'Webhook') errors.push(field.notSupported(`${path}.strategy`, conversion.strategy, ['None', 'Webhook']));
  const webhook = conversion.webhook;
  if (conversion.strategy !== 'Webhook') {
    if (webhook?.clientConfig) errors.push(field.forbidden(`${path}.webhookClientConfig`, 'should not be set when strategy is not set to Webhook'));
    if (webhook?.conversionReviewVersions?.length) errors.push(field.forbidden(`${path}.conversionReviewVersions`, 'should not be set when strategy is not set to Webhook'));
    return;
  }
  const client = webhook?.clientConfig;
  if (!client) errors.push(field.required(`${path}.webhookClientConfig`, 'required when strategy is set to Webhook'));
  else if (Boolean(client.url) === Boolean(client.service)) errors.push(field.required(`${path}.webhookClientConfig`, 'exactly one of url or service is required'));
  else if (client.url) {
    let url: URL | undefined;
    try {
      url = new URL(client.url);
    } catch (err) {
      errors.push(field.required(`${path}.webhookClientConfig.url`, `url must be a valid URL: ${(err as Error).message}; desired format: https://host[/path]`));
    }
    if (url && url.protocol !== 'https:') errors.push(field.invalid(`${path}.webhookClientConfig.url`, url.protocol.slice(0, -1), "'https' is the only allowed URL scheme; desired format: https://host[/path]"));
    else if (url && (url.username || url.password)) errors.push(field.invalid(`${path}.webhookClientConfig.url`, url.username, 'user information is not permitted in the URL'));
    else if (url && url.hash) errors.push(field.invalid(`${path}.webhookClientConfig.url`, url.hash.slice(1), 'fragments are not permitted in the URL'));
    else if (url && url.search) errors.push(field.invalid(`${path}.webhookClientConfig.url`, url.search.slice(1), 'query parameters are not permitted in the URL'));
  } else if (client.service) {
    if (!client.service.name) errors.push(field.required(`${path}.webhookClientConfig.service.name`, 'service name is required'));
    if (!client.service.namespace) errors.push(field.required(`${path}.webhookClientConfig.service.namespace`, 'service namespace is required'));
  }
  const reviews = webhook?.conversionReviewVersions ?? [];
  if (!reviews.length) {
    errors.push(field.required(`${path}.conversionReviewVersions`));
    return;
  }
  reviews.forEach((version, i) => {
    if (reviews.indexOf(version) !== i) errors.push(field.invalid(`${path}.conversionReviewVersions[${i}]`, version, 'duplicate version'));
    for (const message of isDNS1035Label(version)) errors.push(field.invalid(`${path}.conversionReviewVersions[${i}]`, version, message));
  });
  if (!reviews.some((version) => version === 'v1' || version === 'v1beta1')) errors.push(field.invalid(`${path}.conversionReviewVersions`, reviews, 'must include at least one of v1, v1beta1'));
}

/** The field errors of a new CRD (defaulted and prepared for create first), in upstream's order. */
export function validateCustomResourceDefinition(crd: CustomResourceDefinition): FieldErrorLike[] {
  const spec = crd.spec ?? ({} as CustomResourceDefinition['spec']);
  const required = `${spec.names?.plural ?? ''}.${spec.group ?? ''}`;
  const errors = validateObjectMeta(crd.metadata, {
    namespaced: false,
    nameValidator: (name) => [...isDNS1123Subdomain(name), ...(name !== required ? ['must be spec.names.plural+"."+spec.group'] : [])],
  });
  if (!spec.group) errors.push(field.required('spec.group'));
  else if (isDNS1123Subdomain(spec.group).length) errors.push(field.invalid('spec.group', spec.group, join(isDNS1123Subdomain(spec.group))));
  else if (spec.group.split('.').length < 2) errors.push(field.invalid('spec.group', spec.group, 'should be a domain with at least one dot'));
  if (!spec.scope) errors.push(field.required('spec.scope'));
  else if (spec.scope !== 'Cluster' && spec.scope !== 'Namespaced') errors.push(field.notSupported('spec.scope', spec.scope, ['Cluster', 'Namespaced']));

  const versions = spec.versions ?? [];
  const sharedSchema = sharedByAll(versions, 'schema');
  const sharedSubresources = sharedByAll(versions, 'subresources');
  const sharedColumns = sharedByAll(versions, 'additionalPrinterColumns');
  const statusEnabled = versions.some((version) => version.subresources?.status !== undefined);
  if (!(sharedSchema && versions[0]?.schema?.openAPIV3Schema)) {
    versions.forEach((version, i) => {
      if (!version.schema?.openAPIV3Schema) errors.push(field.required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
    });
  }
  versions.forEach((version, i) => {
    const at = `spec.versions[${i}]`;
    const nameErrors = isDNS1035Label(version.name ?? '');
    if (nameErrors.length) errors.push(field.invalid(`${at}.name`, version.name ?? '', join(nameErrors)));
    const warning = version.deprecationWarning;
    if (warning !== undefined) {
      if (!version.deprecated) errors.push(field.invalid(`${at}.deprecationWarning`, warning, 'can only be set for deprecated versions'));
      else if (Buffer.byteLength(warning) > 256) errors.push(field.invalid(`${at}.deprecationWarning`, warning, 'must be <= 256 characters long'));
      else if (warning === '') errors.push(field.invalid(`${at}.deprecationWarning`, warning, 'must not be an empty string'));
    }
    if (!sharedSchema && version.schema?.openAPIV3Schema) {
      validateStructural(version.schema.openAPIV3Schema, `${at}.schema.openAPIV3Schema`, statusEnabled, errors);
      errors.push(...ruleCompileErrors(version.schema.openAPIV3Schema, `${at}.schema.openAPIV3Schema`));
      validateDefaults(version.schema.openAPIV3Schema, `${at}.schema.openAPIV3Schema`, errors);
    }
    validateSelectableFields(version, `${at}.selectableFields`, errors);
    if (!sharedSubresources) validateSubresources(version.subresources, `${at}.subresources`, errors);
    if (!sharedColumns) validateColumns(version.additionalPrinterColumns, `${at}.additionalPrinterColumns`, errors);
  });
  const names = versions.map((version) => version.name);
  if (new Set(names).size !== names.length) errors.push(field.invalid('spec.versions', versions, 'must contain unique version names'));
  if (versions.filter((version) => version.storage).length !== 1) errors.push(field.invalid('spec.versions', versions, 'must have exactly one version marked as storage version'));
  // Upstream's internal form keeps the first version's name as spec.version, checked again there.
  const firstName = versions[0]?.name;
  if (firstName && isDNS1035Label(firstName).length) errors.push(field.invalid('spec.version', firstName, join(isDNS1035Label(firstName))));
  validateNames(crd, errors);
  if (sharedSchema && versions[0]?.schema?.openAPIV3Schema) {
    validateStructural(versions[0].schema.openAPIV3Schema, 'spec.validation.openAPIV3Schema', statusEnabled, errors);
    errors.push(...ruleCompileErrors(versions[0].schema.openAPIV3Schema, 'spec.validation.openAPIV3Schema'));
    validateDefaults(versions[0].schema.openAPIV3Schema, 'spec.validation.openAPIV3Schema', errors);
  }
  if (sharedSubresources) validateSubresources(versions[0]?.subresources, 'spec.subresources', errors);
  if (sharedColumns) validateColumns(versions[0]?.additionalPrinterColumns, 'spec.additionalPrinterColumns', errors);
  validateConversion(crd, errors);

  const stored = crd.status?.storedVersions ?? [];
  // A new CRD without a storage version has none stored: Go prints that nil slice as []string(nil).
  if (!stored.length) errors.push(field.invalid('status.storedVersions', new GoValue('[]string(nil)'), 'must have at least one stored version'));
  for (const version of versions) {
    if (version.storage && stored.length && !stored.includes(version.name)) errors.push(field.invalid('status.storedVersions', stored, `must have the storage version ${version.name}`));
  }
  stored.forEach((name, i) => {
    if (!names.includes(name)) errors.push(field.invalid(`status.storedVersions[${i}]`, name, 'must appear in spec.versions'));
  });
  if (spec.preserveUnknownFields) errors.push(field.invalid('spec.preserveUnknownFields', true, 'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead'));
  return errors;
}

/** The schema's CEL rules that do not compile; a schema without rules needs no CEL (on-demand.ts). */
function ruleCompileErrors(schema: Schema, path: string): FieldErrorLike[] {
  return hasValidationRules(schema) ? validationRules().compileErrorsOf(schema, path) : [];
}
