import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileJsonPath, JsonPathError, printJsonPathValue } from './jsonpath.js';

const pod = {
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web' } },
  spec: { replicas: 3, containers: [{ name: 'a', image: 'nginx' }, { name: 'b', image: 'busybox' }] },
  status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'Synced', status: 'False' }], count: 2 },
};

test('paths as printer columns and kubectl write them', () => {
  const table: [string, unknown[]][] = [
    ['.spec.replicas', [3]],
    ['{.spec.replicas}', [3]],
    ['spec.replicas', [3]],
    ['$.spec.replicas', [3]],
    ['.spec.missing', []],
    ['.spec.replicas.deeper', []],
    ['.spec.containers[0].image', ['nginx']],
    ['.spec.containers[-1].name', ['b']],
    ['.spec.containers[5].name', []],
    ['.spec.containers[*].image', ['nginx', 'busybox']],
    ['.spec.containers[0:1].name', ['a']],
    ['.spec.containers.*.name', ['a', 'b']],
    ['.status.conditions[?(@.type=="Ready")].status', ['True']],
    [".status.conditions[?(@.type=='Synced')].status", ['False']],
    ['.status.conditions[?(@.type!="Ready")].type', ['Synced']],
    ['.status.conditions[?(@.status)].type', ['Ready', 'Synced']],
    ['.status[?(@.count>1)].count', [2]],
    ["['metadata']['labels']['app.kubernetes.io/name']", ['web']],
    ['..image', ['nginx', 'busybox']],
  ];
  for (const [path, expected] of table) assert.deepEqual(compileJsonPath(path).find(pod), expected, path);
});

test('malformed paths are errors, not crashes', () => {
  for (const path of ['.spec[', '.spec[?(foo)]', '.spec.(x)', '.a[1:2:3:4]']) {
    assert.throws(() => compileJsonPath(path), JsonPathError, path);
  }
});

test('values print as jsonpath templates print them', () => {
  assert.equal(printJsonPathValue('x'), 'x');
  assert.equal(printJsonPathValue(3), '3');
  assert.equal(printJsonPathValue(true), 'true');
  assert.equal(printJsonPathValue({ a: 1 }), '{"a":1}');
});
