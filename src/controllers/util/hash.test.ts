import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson, safeEncode, templateHash } from './hash.js';

test('hashes are spelled like upstream pod-template-hashes: decimal digits through the safe alphabet', () => {
  assert.equal(safeEncode(3445934551), '7889f78995');
  assert.equal(safeEncode(0), '4');
  assert.match(templateHash({ spec: { containers: [{ name: 'a', image: 'nginx' }] } }), /^[4-9bcdf]{1,10}$/);
});

test('equal templates hash alike whatever their key order; the collision count changes the hash', () => {
  assert.equal(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] }), '{"a":[{"c":3,"d":2}],"b":1}');
  assert.equal(templateHash({ a: 1, b: 2 }), templateHash({ b: 2, a: 1 }));
  assert.notEqual(templateHash({ a: 1 }), templateHash({ a: 1 }, 1));
});
