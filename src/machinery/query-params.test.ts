import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTrueParameter, normalizeBooleanParameters } from './query-params.js';

test('boolean query parameters read as upstream reads them', () => {
  const cases: [string | null | undefined, boolean][] = [
    [undefined, false],
    [null, false],
    ['false', false],
    ['False', false],
    ['FALSE', false],
    ['0', false],
    ['true', true],
    ['True', true],
    ['1', true],
    ['', true],
    ['yes', true],
  ];
  for (const [value, expected] of cases) assert.equal(isTrueParameter(value), expected, String(value));
});

test('forwarded booleans are spelled plainly; other parameters are kept as they came', () => {
  const params = new URLSearchParams('stdin=True&tty=0&command=ls&command=-l');
  assert.equal(normalizeBooleanParameters(params, ['stdin', 'tty']).toString(), 'stdin=true&tty=false&command=ls&command=-l');
});
