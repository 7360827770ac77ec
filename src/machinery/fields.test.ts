import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseFieldSelector } from './fields.js';
import { isStatusError } from './status.js';

describe('field selectors', () => {
  const fields = { 'metadata.name': 'web', 'status.phase': 'Running', 'spec.nodeName': '' };
  it('matches = == and !=', () => {
    assert.equal(parseFieldSelector('metadata.name=web').matches(fields), true);
    assert.equal(parseFieldSelector('metadata.name==web').matches(fields), true);
    assert.equal(parseFieldSelector('status.phase!=Running').matches(fields), false);
    assert.equal(parseFieldSelector('spec.nodeName=').matches(fields), true);
    assert.equal(parseFieldSelector('metadata.name=web,status.phase=Pending').matches(fields), false);
  });
  it('lists the fields it uses', () => {
    assert.deepEqual(parseFieldSelector('a=b,c!=d').requirements.map((r) => r.field), ['a', 'c']);
  });
  it('unescapes values', () => {
    assert.equal(parseFieldSelector('metadata.name=a\\,b').requirements[0].value, 'a,b');
    assert.equal(parseFieldSelector('metadata.name=a\\,b').toString(), 'metadata.name=a\\,b');
  });
  it('rejects terms without an operator', () => {
    assert.throws(() => parseFieldSelector('metadata.name'), (err) => isStatusError(err, 'BadRequest'));
  });
});
