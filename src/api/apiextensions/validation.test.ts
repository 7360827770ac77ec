/**
 * A CRD's defaults and validation on create (validation.ts): the CronTab of
 * the Kubernetes docs is valid; each case breaks one rule and expects
 * upstream's field error, with its internal-form paths.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError } from '../../machinery/status.js';
import type { CustomResourceDefinition } from './types.js';
import { defaultCustomResourceDefinition, prepareCustomResourceDefinitionForCreate, validateCustomResourceDefinition } from './validation.js';

function crontab(): CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'crontabs.stable.example.com' },
    spec: {
      group: 'stable.example.com',
      scope: 'Namespaced',
      names: { plural: 'crontabs', kind: 'CronTab', shortNames: ['ct'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: { type: 'object', properties: { cronSpec: { type: 'string' }, image: { type: 'string' }, replicas: { type: 'integer' } } },
              },
            },
          },
        },
      ],
    },
  };
}

/** Defaulted, prepared for create, changed by the case, validated. */
function errorsOf(change: (crd: CustomResourceDefinition) => void): string[] {
  const crd = crontab();
  change(crd);
  defaultCustomResourceDefinition(crd);
  prepareCustomResourceDefinitionForCreate(crd);
  return validateCustomResourceDefinition(crd).map(renderFieldError);
}

describe('CustomResourceDefinition defaults', () => {
  it('singular and listKind from kind, conversion None, the storage version stored', () => {
    const crd = crontab();
    defaultCustomResourceDefinition(crd);
    prepareCustomResourceDefinitionForCreate(crd);
    assert.equal(crd.spec.names.singular, 'crontab');
    assert.equal(crd.spec.names.listKind, 'CronTabList');
    assert.deepEqual(crd.spec.conversion, { strategy: 'None' });
    assert.deepEqual(crd.status, { storedVersions: ['v1'] });
  });
});

describe('validateCustomResourceDefinition', () => {
  const cases: { name: string; change: (crd: CustomResourceDefinition) => void; expected: string[] }[] = [
    { name: 'the CronTab of the docs is valid', change: () => {}, expected: [] },
    { name: 'the name must be plural.group', change: (crd) => (crd.metadata.name = 'crontab.stable.example.com'), expected: ['metadata.name: Invalid value: "crontab.stable.example.com": must be spec.names.plural+"."+spec.group'] },
    {
      name: 'a group needs a dot',
      change: (crd) => {
        crd.spec.group = 'example';
        crd.metadata.name = 'crontabs.example';
      },
      expected: ['spec.group: Invalid value: "example": should be a domain with at least one dot'],
    },
    { name: 'an unknown scope', change: (crd) => ((crd.spec as { scope: string }).scope = 'Global'), expected: ['spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"'] },
    {
      name: 'no storage version: both the versions and storedVersions say so',
      change: (crd) => (crd.spec.versions[0].storage = false),
      expected: ['spec.versions: Invalid value: [{"name":"v1","served":true,"storage":false,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","properties":{"cronSpec":{"type":"string"},"image":{"type":"string"},"replicas":{"type":"integer"}}}}}}}]: must have exactly one version marked as storage version', 'status.storedVersions: Invalid value: []string(nil): must have at least one stored version'],
    },
    { name: 'a version without a schema', change: (crd) => delete crd.spec.versions[0].schema, expected: ['spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required'] },
    {
      name: 'names: plural must be lowercase, kind and listKind may not be the same',
      change: (crd) => {
        crd.spec.names.plural = 'CronTabs';
        crd.metadata.name = 'CronTabs.stable.example.com';
        crd.spec.names.listKind = 'CronTab';
      },
      expected: [
        "metadata.name: Invalid value: \"CronTabs.stable.example.com\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        "spec.names.plural: Invalid value: \"CronTabs\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
        'spec.names.listKind: Invalid value: "CronTab": kind and listKind may not be the same',
      ],
    },
    {
      name: 'structural: a field without a type, an array without items (sorted, at spec.validation for one version)',
      change: (crd) => {
        const spec = crd.spec.versions[0].schema!.openAPIV3Schema!.properties!.spec;
        spec.properties!.cronSpec = {} as never;
        spec.properties!.list = { type: 'array' };
      },
      expected: [
        'spec.validation.openAPIV3Schema.properties[spec].properties[cronSpec].type: Required value: must not be empty for specified object fields',
        'spec.validation.openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified',
      ],
    },
    {
      name: 'structural: the root must be an object; metadata may only restrict name and generateName',
      change: (crd) => {
        const root = crd.spec.versions[0].schema!.openAPIV3Schema!;
        root.properties!.metadata = { type: 'object', properties: { labels: { type: 'object' } } };
      },
      expected: ['spec.validation.openAPIV3Schema.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified'],
    },
    {
      name: 'uniqueItems and properties beside additionalProperties are refused',
      change: (crd) => {
        const spec = crd.spec.versions[0].schema!.openAPIV3Schema!.properties!.spec;
        spec.properties!.tags = { type: 'array', items: { type: 'string' }, uniqueItems: true };
        spec.additionalProperties = { type: 'string' };
      },
      expected: [
        'spec.validation.openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
        'spec.validation.openAPIV3Schema.properties[spec].properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic',
      ],
    },
    {
      name: 'a list-type map needs keys that are required or defaulted',
      change: (crd) => {
        const spec = crd.spec.versions[0].schema!.openAPIV3Schema!.properties!.spec;
        spec.properties!.ports = { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', properties: { name: { type: 'string' } } } };
      },
      expected: ['spec.validation.openAPIV3Schema.properties[spec].properties[ports].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property'],
    },
    {
      name: 'two versions with different schemas are named each',
      change: (crd) => {
        crd.spec.versions.push({ name: 'v2', served: true, storage: false, schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'array' } } } } });
      },
      expected: ['spec.versions[1].schema.openAPIV3Schema.properties[spec].items: Required value: must be specified'],
    },
    {
      name: 'scale paths under .spec and .status; printer column types',
      change: (crd) => {
        crd.spec.versions[0].subresources = { scale: { specReplicasPath: '.status.replicas', statusReplicasPath: 'status.replicas' } };
        crd.spec.versions[0].additionalPrinterColumns = [{ name: 'Spec', type: 'text', jsonPath: '.spec.cronSpec' }];
      },
      expected: [
        'spec.subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
        'spec.subresources.scale.statusReplicasPath: Invalid value: "status.replicas": must be a simple json path starting with .',
        'spec.additionalPrinterColumns[0].type: Invalid value: "text": must be one of boolean,date,integer,number,string',
      ],
    },
    {
      name: 'a webhook conversion needs a client config and review versions',
      change: (crd) => (crd.spec.conversion = { strategy: 'Webhook', webhook: { conversionReviewVersions: ['v2'] } }),
      expected: ['spec.conversion.webhookClientConfig: Required value: required when strategy is set to Webhook', 'spec.conversion.conversionReviewVersions: Invalid value: []string{"v2"}: must include at least one of v1, v1beta1'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(errorsOf(c.change), c.expected));
  }
});

describe('CustomResourceDefinition defaults and selectable fields', () => {
  const spec = (crd: CustomResourceDefinition) => crd.spec.versions[0].schema!.openAPIV3Schema!.properties!.spec;
  it('a default must be a value of its schema, without unknown fields', () => {
    assert.deepEqual(errorsOf((crd) => (spec(crd).properties!.replicas.default = 'three')), [
      'spec.validation.openAPIV3Schema.properties[spec].properties[replicas].default: Invalid value: "string": default in body must be of type integer: "string"',
    ]);
    assert.deepEqual(errorsOf((crd) => (spec(crd).default = { image: 'x', colour: 'blue' })), [
      'spec.validation.openAPIV3Schema.properties[spec].default: Invalid value: map[string]interface {}{"colour":"blue", "image":"x"}: must not have unknown fields',
    ]);
    assert.deepEqual(errorsOf((crd) => (spec(crd).properties!.replicas.default = 3)), []);
  });
  it('selectable fields name string, integer or boolean fields, at most once each', () => {
    assert.deepEqual(errorsOf((crd) => (crd.spec.versions[0].selectableFields = [{ jsonPath: '.spec.image' }, { jsonPath: '.spec' }, { jsonPath: '.spec.nothing' }, { jsonPath: '.spec.image' }])), [
      'spec.versions[0].selectableFields[1].jsonPath: Invalid value: ".spec": must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed.',
      'spec.versions[0].selectableFields[2].jsonPath: Invalid value: ".spec.nothing": is an invalid path: does not refer to a valid field',
      'spec.versions[0].selectableFields[3].jsonPath: Duplicate value: ".spec.image"',
    ]);
  });
});
