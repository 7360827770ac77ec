import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuantity, compareQuantities, isValidQuantity, milliValue, quantityValue, tryParseQuantity } from './quantity.js';
import { scaledValue } from './intorstring.js';

describe('quantities', () => {
  const canonical: [string | number, string][] = [
    ['1000m', '1'],
    ['0.5', '500m'],
    ['100m', '100m'],
    ['2000', '2k'],
    ['1500', '1500'],
    ['1.5Gi', '1536Mi'],
    ['1024Ki', '1Mi'],
    ['512', '512'],
    ['0.5Ki', '512'],
    ['1e3', '1e3'],
    ['0', '0'],
    [3, '3'],
    ['1n', '1n'],
    ['0.1n', '1n'],
    ['-2Gi', '-2Gi'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['123Mi', '123Mi'],
  ];
  for (const [input, expected] of canonical) {
    it(`${input} prints as ${expected}`, () => assert.equal(canonicalQuantity(input), expected));
  }
  it('validates', () => {
    for (const good of ['1', '1.5', '.5', '100m', '1Gi', '1e3', '-1', '+2k']) assert.equal(isValidQuantity(good), true, good);
    for (const bad of ['', 'abc', '1GB', '1 Gi', '1.2.3', 'm']) assert.equal(isValidQuantity(bad), false, bad);
  });
  it('compares and converts', () => {
    assert.equal(compareQuantities('1', '1000m'), 0);
    assert.equal(compareQuantities('1Gi', '1G'), 1);
    assert.equal(milliValue('0.25'), 250n);
    assert.equal(quantityValue('1Ki'), 1024);
  });
});

describe('int-or-string', () => {
  it('scales percentages', () => {
    assert.equal(scaledValue('25%', 10, true), 3);
    assert.equal(scaledValue('25%', 10, false), 2);
    assert.equal(scaledValue(4, 10, true), 4);
    assert.throws(() => scaledValue('abc', 10, true));
  });
});

describe('hostile quantities', () => {
  it('refuses huge exponents and digit strings at once rather than computing them', () => {
    for (const text of ['1e999999999', '1E-999999999', `1${'0'.repeat(5000)}`, `0.${'1'.repeat(5000)}`]) assert.equal(tryParseQuantity(text), undefined, text.slice(0, 20));
    assert.ok(tryParseQuantity('1e300'), 'big but sane quantities still parse');
  });
});
