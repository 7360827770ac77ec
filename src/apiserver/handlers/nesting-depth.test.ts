import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonNestingExceeds, maxJsonNestingDepth, valueNestingExceeds, yamlNestingExceeds } from './nesting-depth.js';

const bytes = (text: string) => Buffer.from(text);

test('JSON: upstream\'s 10,000 levels pass, one more does not; brackets in strings do not count', () => {
  const nested = (levels: number) => bytes('['.repeat(levels) + ']'.repeat(levels));
  assert.equal(jsonNestingExceeds(nested(maxJsonNestingDepth)), false);
  assert.equal(jsonNestingExceeds(nested(maxJsonNestingDepth + 1)), true);
  assert.equal(jsonNestingExceeds(bytes(`{"a":"${'['.repeat(20_000)}","b":"\\"${'{'.repeat(20_000)}"}`)), false);
  assert.equal(jsonNestingExceeds(bytes(`{"a":{"b":[1,{"c":2}]}}`), 4), false);
  assert.equal(jsonNestingExceeds(bytes(`{"a":{"b":[1,{"c":2}]}}`), 3), true);
});

test('YAML: block, compact and flow levels count; quoted text, plain brackets and block scalars do not', () => {
  assert.equal(yamlNestingExceeds(bytes('a:\n  b:\n    c: 1\n'), 3), false);
  assert.equal(yamlNestingExceeds(bytes('a:\n  b:\n    c:\n      d: 1\n'), 3), true);
  assert.equal(yamlNestingExceeds(bytes('- - - - x\n'), 3), true);
  assert.equal(yamlNestingExceeds(bytes('a: [[[1]]]\n'), 3), true);
  assert.equal(yamlNestingExceeds(bytes('a: {b: [1, 2]}\n'), 3), false);
  const text = `a: "${'['.repeat(50)}"\nb: '${'{'.repeat(50)}'\nc: x${'['.repeat(50)}\nd: |\n${'  [\n'.repeat(50)}e: 1 # ${'{'.repeat(50)}\n`;
  assert.equal(yamlNestingExceeds(bytes(text), 5), false);
});

test('decoded values (protobuf bodies) are measured without recursion', () => {
  let deep: unknown = 1;
  for (let i = 0; i < 200_000; i++) deep = [deep];
  assert.equal(valueNestingExceeds(deep), true);
  assert.equal(valueNestingExceeds({ a: [{ b: 1 }] }, 3), false);
  assert.equal(valueNestingExceeds({ a: [{ b: {} }] }, 3), true);
});
