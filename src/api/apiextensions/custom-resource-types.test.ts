/** What a CRD adds to the registry (custom-resource-types.ts): a table of CRDs and the descriptions they give. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { renderFieldError } from '../../machinery/status.js';
import type { CustomResourceDefinition, CustomResourceDefinitionVersion } from './types.js';
import { customResourceTypes } from './custom-resource-types.js';

const schema = {
  type: 'object' as const,
  properties: {
    spec: {
      type: 'object' as const,
      properties: {
        cronSpec: { type: 'string' as const },
        replicas: { type: 'integer' as const, default: 1, maximum: 10 },
        color: { type: 'string' as const },
      },
    },
    status: { type: 'object' as const, properties: { replicas: { type: 'integer' as const } } },
  },
};

function crd(versions: Partial<CustomResourceDefinitionVersion>[], conditions: [string, string][] = [['Established', 'True']], scope: 'Namespaced' | 'Cluster' = 'Namespaced'): CustomResourceDefinition {
  return {
    metadata: { name: 'crontabs.stable.example.com', uid: 'u1' },
    spec: {
      group: 'stable.example.com',
      scope,
      names: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'], categories: ['all'] },
      versions: versions.map((v) => ({ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema }, ...v })),
    },
    status: {
      acceptedNames: { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'], categories: ['all'] },
      conditions: conditions.map(([type, status]) => ({ type: type as 'Established', status: status as 'True' })),
    },
  };
}

describe('customResourceTypes', () => {
  it('serves nothing until the CRD is Established', () => {
    assert.deepEqual(customResourceTypes(crd([{}], [['NamesAccepted', 'True']])), []);
  });

  it('one type per served version, stored under the group and plural in the storage version', () => {
    const types = customResourceTypes(crd([{ name: 'v1', storage: true }, { name: 'v2', storage: false }, { name: 'v0', served: false, storage: false }]));
    assert.deepEqual(types.map((t) => [t.group, t.version, t.resource, t.kind, t.namespaced, t.storageResource]), [
      ['stable.example.com', 'v1', 'crontabs', 'CronTab', true, 'stable.example.com/crontabs'],
      ['stable.example.com', 'v2', 'crontabs', 'CronTab', true, 'stable.example.com/crontabs'],
    ]);
    assert.equal(types[0].conversion, undefined);
    assert.deepEqual(types[1].conversion!.toStorage({ apiVersion: 'stable.example.com/v2', kind: 'CronTab', metadata: {} }).apiVersion, 'stable.example.com/v1');
    assert.deepEqual([types[0].shortNames, types[0].categories, types[0].singular], [['ct'], ['all'], 'crontab']);
  });

  it('the OpenAPI schema is the CRD schema with apiVersion, kind, metadata and the kind named as upstream names it', () => {
    const [type] = customResourceTypes(crd([{}]));
    assert.equal(type.schema.definitionName, 'com.example.stable.v1.CronTab');
    assert.deepEqual(Object.keys(type.schema.properties!), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    assert.deepEqual(type.schema['x-kubernetes-group-version-kind'], [{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
    assert.equal(type.customResource!.structuralSchema, schema);
  });

  it('defaults, status on create, and validation by the schema', () => {
    const [type] = customResourceTypes(crd([{ subresources: { status: {} } }]));
    const object: { metadata: { name: string; namespace: string }; spec: { replicas: number | null; cronSpec: string }; status?: unknown } = {
      metadata: { name: 'a', namespace: 'default' },
      spec: { replicas: null, cronSpec: 'x' },
      status: { replicas: 2 },
    };
    type.defaults!(object);
    type.prepareForCreate!(object);
    assert.deepEqual(object.spec, { replicas: 1, cronSpec: 'x' });
    assert.equal(object.status, undefined);
    object.spec.replicas = 11;
    assert.deepEqual(type.validate!(object, { operation: 'create' }).map(renderFieldError), [
      'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10',
    ]);
    assert.deepEqual(type.validate!({ metadata: { name: 'Bad_Name', namespace: 'default' } }, { operation: 'create' }).map(renderFieldError), [
      "metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
    ]);
  });

  it('printer columns: typed cells from JSONPath, dates as ages, the Age column when none is given', () => {
    const now = new Date('2026-01-01T00:10:00Z');
    const object = { metadata: { name: 'a', creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { cronSpec: '* * * * *', replicas: 3.7, color: 5 } };
    const [withColumns] = customResourceTypes(crd([{
      additionalPrinterColumns: [
        { name: 'Spec', type: 'string', jsonPath: '.spec.cronSpec' },
        { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', priority: 1 },
        { name: 'Color', type: 'string', jsonPath: '.spec.color' },
        { name: 'Missing', type: 'boolean', jsonPath: '.spec.nothing' },
        { name: 'Created', type: 'date', jsonPath: '.metadata.creationTimestamp' },
      ],
    }]));
    assert.deepEqual(withColumns.table!.columns.map((c) => [c.name, c.type, c.priority ?? 0]), [
      ['Name', 'string', 0], ['Spec', 'string', 0], ['Replicas', 'integer', 1], ['Color', 'string', 0], ['Missing', 'boolean', 0], ['Created', 'date', 0],
    ]);
    assert.deepEqual(withColumns.table!.cells(object, now), ['a', '* * * * *', 3, '5', null, '10m']);
    const [plain] = customResourceTypes(crd([{}]));
    assert.deepEqual(plain.table!.columns.map((c) => c.name), ['Name', 'Age']);
    assert.deepEqual(plain.table!.cells(object, now), ['a', '10m']);
  });

  it('selectable fields: named without the leading dot, values as text, missing ones empty', () => {
    const [type] = customResourceTypes(crd([{ selectableFields: [{ jsonPath: '.spec.color' }, { jsonPath: '.spec.replicas' }] }]));
    assert.deepEqual(type.selectableFields!({ metadata: {}, spec: { replicas: 2 } }), { 'spec.color': '', 'spec.replicas': '2' });
  });

  it('cluster scope, and a terminating CRD marks its types', () => {
    const [type] = customResourceTypes(crd([{}], [['Established', 'True'], ['Terminating', 'True']], 'Cluster'));
    assert.equal(type.namespaced, false);
    assert.equal(type.customResource!.terminating, true);
  });
});
