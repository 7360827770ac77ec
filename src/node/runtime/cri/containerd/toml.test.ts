import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderToml, tomlKey, tomlString } from './toml.js';
import { readTomlSubset, tomlAt } from './toml-testing.js';

test('strings are escaped so a value can neither end early nor carry raw control characters', () => {
  assert.equal(tomlString('a"b\\c\nd'), '"a\\"b\\\\c\\nd"');
  assert.equal(tomlString('del\x7f'), '"del\\u007f"');
  assert.equal(tomlString('lone \ud800 surrogate'), '"lone \ufffd surrogate"');
  assert.equal(tomlKey('runc'), 'runc');
  assert.equal(tomlKey('io.containerd.grpc.v1.cri'), '"io.containerd.grpc.v1.cri"');
});

test('a hostile key stays one key of its table', () => {
  const text = renderToml([
    { path: [], entries: { version: 2 } },
    { path: ['configs', 'evil"]\n[injected]\nx = "', 'auth'], entries: { username: 'u\n[other]', skipped: undefined, list: [['a', 'b']] } },
  ]);
  const parsed = readTomlSubset(text);
  assert.deepEqual(Object.keys(parsed), ['version', 'configs']);
  assert.deepEqual(tomlAt(parsed, 'configs', 'evil"]\n[injected]\nx = "', 'auth'), { username: 'u\n[other]', list: [['a', 'b']] });
});

test('integers beyond exact range are refused rather than written wrong', () => {
  assert.throws(() => renderToml([{ path: [], entries: { big: 2 ** 60 } }]), /not an integer/);
});
