/** The status the naming controller writes (namingStatus): a table of CRDs and what they should say. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CustomResourceDefinition, CustomResourceDefinitionNames } from '../../api/apiextensions/index.js';
import { namingStatus } from './naming.js';
import { servedResourceOf } from './finalizer.js';

const names = (plural: string, kind: string): CustomResourceDefinitionNames => ({ plural, singular: plural.slice(0, -1), kind, listKind: `${kind}List` });
const crd = (name: string, requested: CustomResourceDefinitionNames, status?: CustomResourceDefinition['status']): CustomResourceDefinition => ({
  metadata: { name },
  spec: { group: 'stable.example.com', scope: 'Namespaced', names: requested, versions: [{ name: 'v1', served: true, storage: true }] },
  ...(status ? { status } : {}),
});
const now = '2026-01-01T00:00:00Z';
const summary = (status: CustomResourceDefinition['status']) => status?.conditions?.map((c) => `${c.type}=${c.status}/${c.reason}`);

describe('namingStatus', () => {
  const cases: { name: string; crd: CustomResourceDefinition; others: CustomResourceDefinition[]; expected: string[] | undefined }[] = [
    {
      name: 'a new CRD with free names is accepted and established at once',
      crd: crd('crontabs.stable.example.com', names('crontabs', 'CronTab')),
      others: [],
      expected: ['NamesAccepted=True/NoConflicts', 'Established=True/InitialNamesAccepted'],
    },
    {
      name: 'a CRD whose kind (and so list kind) another holds is not established',
      crd: crd('crontabs2.stable.example.com', names('crontabs2', 'CronTab')),
      others: [crd('crontabs.stable.example.com', names('crontabs', 'CronTab'), { acceptedNames: names('crontabs', 'CronTab') })],
      expected: ['NamesAccepted=False/ListKindConflict', 'Established=False/NotAccepted'],
    },
    {
      name: 'an established CRD that asks for a taken name stays established',
      crd: crd('a.stable.example.com', { ...names('as', 'A'), shortNames: ['x'] }, {
        acceptedNames: names('as', 'A'),
        conditions: [{ type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: '', lastTransitionTime: now }],
      }),
      others: [crd('b.stable.example.com', names('bs', 'B'), { acceptedNames: { ...names('bs', 'B'), shortNames: ['x'] } })],
      expected: ['Established=True/InitialNamesAccepted', 'NamesAccepted=False/ShortNamesConflict'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(summary(namingStatus(c.crd, [c.crd, ...c.others], now)), c.expected));
  }

  it('nothing to write when the status already says it', () => {
    const first = crd('crontabs.stable.example.com', names('crontabs', 'CronTab'));
    const status = namingStatus(first, [first], now);
    assert.equal(namingStatus({ ...first, status }, [first], '2027-01-01T00:00:00Z'), undefined);
  });
});

describe('servedResourceOf', () => {
  it('deletes through the storage version when served, else any served version, else none', () => {
    const base = crd('crontabs.stable.example.com', names('crontabs', 'CronTab'));
    base.spec.versions = [{ name: 'v1', served: true, storage: false }, { name: 'v2', served: true, storage: true }];
    assert.equal(servedResourceOf(base)?.version, 'v2');
    base.spec.versions[1].served = false;
    assert.equal(servedResourceOf(base)?.version, 'v1');
    base.spec.versions[0].served = false;
    assert.equal(servedResourceOf(base), undefined);
  });
});
