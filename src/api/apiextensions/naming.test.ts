/** The naming controller's decision (naming.ts): a table of CRDs competing for names in one group. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CustomResourceDefinition, CustomResourceDefinitionNames } from './types.js';
import { acceptNames } from './naming.js';

function crd(name: string, group: string, names: CustomResourceDefinitionNames, accepted?: CustomResourceDefinitionNames): CustomResourceDefinition {
  return {
    metadata: { name },
    spec: { group, scope: 'Namespaced', names, versions: [{ name: 'v1', served: true, storage: true }] },
    ...(accepted ? { status: { acceptedNames: accepted } } : {}),
  };
}

const crontabNames: CustomResourceDefinitionNames = { plural: 'crontabs', singular: 'crontab', kind: 'CronTab', listKind: 'CronTabList', shortNames: ['ct'], categories: ['all'] };
const existing = crd('crontabs.stable.example.com', 'stable.example.com', crontabNames, crontabNames);

describe('acceptNames', () => {
  it('a CRD with fresh names has them all accepted: NamesAccepted True, Established still installing', () => {
    const result = acceptNames(crd('crontabs.stable.example.com', 'stable.example.com', crontabNames), []);
    assert.deepEqual(result.acceptedNames, crontabNames);
    assert.deepEqual(result.namesAccepted, { status: 'True', reason: 'NoConflicts', message: 'no conflicts found' });
    assert.deepEqual(result.established, { status: 'False', reason: 'Installing', message: 'the initial names have been accepted' });
  });

  it('a name another CRD of the group accepted is refused; the others are accepted', () => {
    const rival = crd('cronjobs.stable.example.com', 'stable.example.com', { plural: 'cronjobs', singular: 'cronjob', kind: 'CronJob', listKind: 'CronJobList', shortNames: ['ct'] });
    const result = acceptNames(rival, [existing]);
    assert.deepEqual(result.namesAccepted, { status: 'False', reason: 'ShortNamesConflict', message: '"ct" is already in use' });
    assert.deepEqual(result.established, { status: 'False', reason: 'NotAccepted', message: 'not all names are accepted' });
    assert.equal(result.acceptedNames.plural, 'cronjobs');
    assert.equal(result.acceptedNames.shortNames, undefined, 'the refused short names keep their earlier (no) value');
  });

  it('with several conflicts, the condition names the last checked (listKind after kind after plural)', () => {
    const rival = crd('crontabs2.stable.example.com', 'stable.example.com', { plural: 'crontabs', singular: 'crontab2', kind: 'CronTab', listKind: 'CronTabList' });
    const result = acceptNames(rival, [existing]);
    assert.deepEqual(result.namesAccepted, { status: 'False', reason: 'ListKindConflict', message: '"CronTabList" is already in use' });
    assert.deepEqual(result.acceptedNames, { plural: '', kind: '', singular: 'crontab2' });
  });

  it('other groups and the CRD itself do not count', () => {
    const elsewhere = crd('crontabs.other.example.com', 'other.example.com', crontabNames, crontabNames);
    assert.equal(acceptNames(crd('crontabs.stable.example.com', 'stable.example.com', crontabNames), [elsewhere]).namesAccepted.status, 'True');
    assert.equal(acceptNames(existing, [existing]).namesAccepted.status, 'True');
  });

  it('a name accepted before stays accepted even if another CRD took it since', () => {
    const self = crd('crontabs.stable.example.com', 'stable.example.com', crontabNames, crontabNames);
    const rival = crd('other.stable.example.com', 'stable.example.com', crontabNames, crontabNames);
    assert.equal(acceptNames(self, [rival]).namesAccepted.status, 'True');
  });
});
