/**
 * What a CustomResourceDefinition adds to the API, as the same
 * `ResourceType` descriptions the built-in kinds have: one per served
 * version, all stored under `/registry/<group>/<plural>/` in the storage
 * version. The handlers serve them exactly as built-in kinds; only what is
 * custom differs — the body is pruned, defaulted and validated by the
 * version's structural schema (machinery/schema), the table's columns come
 * from `additionalPrinterColumns` (JSONPath), field selectors from
 * `selectableFields`, and strategic merge patch is refused.
 */
import type { KubeObject } from '../../machinery/object.js';
import { compileJsonPath, printJsonPathValue, type JsonPath } from '../../machinery/jsonpath.js';
import { ObjectMetaSchema, s, type Schema } from '../../machinery/schema/index.js';
import { applyCustomResourceDefaults, dropNullsWithoutDefaults } from '../../machinery/schema/structural.js';
import { validateCustomResourceValue } from '../../machinery/schema/value-validation.js';
import { validateEmbeddedResources } from '../../machinery/schema/embedded-resources.js';
import { validateListTypes } from '../../machinery/schema/list-types.js';
import { ratchet } from '../../machinery/schema/ratcheting.js';
import { validateObjectMeta } from '../../machinery/validation.js';
import { hasValidationRules, loadValidationRules, validationRules } from '../../machinery/cel/on-demand.js';
import { field, GoValue, type FieldErrorLike } from '../../machinery/status.js';
import type { ResourceType, TableColumn, TableConvertor } from '../resource.js';
import { since } from '../common/print.js';
import { isConditionTrue } from './customresourcedefinition.js';
import type { CustomResourceColumnDefinition, CustomResourceDefinition, CustomResourceDefinitionVersion } from './types.js';

/**
 * CEL rules run only on an object whose values have the schema's types
 * (upstream's hasBlockingErr); otherwise one error says they did not run.
 */
function rulesAfter(errors: FieldErrorLike[], evaluate: () => FieldErrorLike[]): FieldErrorLike[] {
  if (errors.some((error) => error.type === 'FieldValueTypeInvalid' || error.type === 'FieldValueNotSupported')) {
    return [field.invalid('<nil>', new GoValue('"null"'), 'some validation rules were not checked because the object was invalid; correct the existing errors to complete validation')];
  }
  return evaluate();
}

/** A version without a schema (not possible in v1, but stored CRDs may be odd): anything goes. */
const openSchema: Schema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

/** `stable.example.com` → `com.example.stable`: upstream names a custom kind's OpenAPI definition this way. */
function reversedGroup(group: string): string {
  return group.split('.').reverse().join('.');
}

/** The version's schema as the whole object's, for OpenAPI: apiVersion, kind and ObjectMeta joined to the CRD's. */
function servedSchema(group: string, version: string, kind: string, structural: Schema): Schema {
  return {
    ...structural,
    definitionName: `${reversedGroup(group)}.${version}.${kind}`,
    type: 'object',
    properties: {
      apiVersion: s.string('APIVersion defines the versioned schema of this representation of an object.'),
      kind: s.string('Kind is a string value representing the REST resource this object represents.'),
      metadata: s.field(ObjectMetaSchema, "Standard object's metadata."),
      ...Object.fromEntries(Object.entries(structural.properties ?? {}).filter(([key]) => key !== 'metadata' && key !== 'apiVersion' && key !== 'kind')),
    },
    'x-kubernetes-group-version-kind': [{ group, version, kind }],
  };
}

/** Upstream's default when a version has no columns: the object's age. */
const defaultColumns: CustomResourceColumnDefinition[] = [
  { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.' },
];

/**
 * A cell as the apiserver's table convertor makes it from the value found:
 * typed by the column, null when it does not fit; a date is shown as the
 * time since it, as upstream's ConvertToHumanReadableDateType does.
 */
function cellOf(type: string, value: unknown, now: Date): unknown {
  if (value === undefined || value === null) return null;
  switch (type) {
    case 'string':
      return printJsonPathValue(value);
    case 'integer':
      return typeof value === 'number' ? Math.trunc(value) : null;
    case 'number':
      return typeof value === 'number' ? value : null;
    case 'boolean':
      return typeof value === 'boolean' ? value : null;
    case 'date': {
      if (typeof value !== 'string') return null;
      return Number.isNaN(Date.parse(value)) ? '<invalid>' : since(value, now);
    }
    default:
      return null;
  }
}

function tableOf(columns: CustomResourceColumnDefinition[] | undefined): TableConvertor {
  const definitions = columns?.length ? columns : defaultColumns;
  const paths: (JsonPath | undefined)[] = definitions.map((column) => {
    try {
      return compileJsonPath(column.jsonPath);
    } catch {
      return undefined;
    }
  });
  const header: TableColumn[] = [
    { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.' },
    ...definitions.map((column) => ({
      name: column.name,
      type: column.type as TableColumn['type'],
      format: column.format ?? '',
      description: column.description ?? `Custom resource definition column (in JSONPath format): ${column.jsonPath}`,
      priority: column.priority ?? 0,
    })),
  ];
  return {
    columns: header,
    cells: (object: KubeObject, now: Date) => [object.metadata.name ?? '', ...definitions.map((column, i) => cellOf(column.type, paths[i]?.find(object)[0], now))],
  };
}

/** Field selectors of `selectableFields`: `.spec.color` is selected as `spec.color`; a missing value is "". */
function selectableFieldsOf(version: CustomResourceDefinitionVersion): ((object: KubeObject) => Record<string, string>) | undefined {
  const fields = (version.selectableFields ?? []).map((selectable) => ({ name: selectable.jsonPath.replace(/^\./, ''), path: compileJsonPath(selectable.jsonPath) }));
  if (!fields.length) return undefined;
  return (object) => {
    const values: Record<string, string> = {};
    for (const { name, path } of fields) {
      const value = path.find(object)[0];
      values[name] = value === undefined || value === null ? '' : String(value);
    }
    return values;
  };
}

/** The descriptions of a CRD's served versions; none until it is Established. */
export function customResourceTypes(crd: CustomResourceDefinition): ResourceType[] {
  if (!isConditionTrue(crd, 'Established')) return [];
  const names = crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : crd.spec.names;
  const group = crd.spec.group;
  const storageVersion = crd.spec.versions.find((version) => version.storage)?.name ?? crd.spec.versions[0]?.name;
  const namespaced = crd.spec.scope === 'Namespaced';
  const terminating = isConditionTrue(crd, 'Terminating');
  return crd.spec.versions
    .filter((version) => version.served)
    .map((version): ResourceType => {
      const structural = version.schema?.openAPIV3Schema ?? openSchema;
      const hasStatus = version.subresources?.status !== undefined;
      const scale = version.subresources?.scale;
      /** The schema's keywords, embedded resources and list types, then the CEL rules (`old` for transition rules). */
      const validateAgainstSchema = (object: KubeObject, old: KubeObject | undefined): FieldErrorLike[] => {
        const errors = [...validateCustomResourceValue(structural, object), ...validateEmbeddedResources(structural, object), ...validateListTypes(structural, object)];
        if (hasValidationRules(structural)) errors.push(...rulesAfter(errors, () => validationRules().validateRules(structural, object, old)));
        return errors;
      };
      const type: ResourceType = {
        group,
        version: version.name,
        kind: names.kind,
        resource: names.plural,
        singular: names.singular ?? names.kind.toLowerCase(),
        shortNames: names.shortNames,
        categories: names.categories,
        namespaced,
        schema: servedSchema(group, version.name, names.kind, structural),
        storageResource: `${group}/${names.plural}`,
        customResource: { definitionName: crd.metadata.name!, definitionUid: crd.metadata.uid ?? '', structuralSchema: structural, terminating },
        subresources: { status: hasStatus, scale: scale ? { ...scale } : undefined },
        hasGeneration: true,
        ...(hasValidationRules(structural) ? { prepareWrites: loadValidationRules } : {}),
        defaults(object) {
          dropNullsWithoutDefaults(object, structural);
          applyCustomResourceDefaults(object, structural);
        },
        prepareForCreate(object) {
          // With a status subresource, status is written only through it.
          if (hasStatus) delete object.status;
        },
        validate(object, context) {
          const metadataErrors = validateObjectMeta(object.metadata, { namespaced });
          // An update's schema and rules are checked in validateUpdate, which knows the old object (ratcheting).
          return context.operation === 'create' ? [...metadataErrors, ...validateAgainstSchema(object, undefined)] : metadataErrors;
        },
        validateUpdate: (object, old) => ratchet(validateAgainstSchema(object, old), object, old),
        validateStatusUpdate: (object, old) => ratchet(validateAgainstSchema(object, old), object, old),
        table: tableOf(version.additionalPrinterColumns),
        selectableFields: selectableFieldsOf(version),
      };
      if (version.name !== storageVersion) {
        // Conversion strategy None: only apiVersion changes between versions.
        const storedApiVersion = `${group}/${storageVersion}`;
        type.conversion = {
          storageVersion: storageVersion!,
          toStorage: (object) => ({ ...object, apiVersion: storedApiVersion }),
          fromStorage: (object) => object,
        };
      }
      return type;
    });
}
