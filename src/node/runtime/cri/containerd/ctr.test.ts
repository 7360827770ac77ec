import { test } from 'node:test';
import assert from 'node:assert/strict';
import { importedNames } from './ctr.js';

test("the names in ctr images import's report", () => {
  const cases: { output: string; names: string[] }[] = [
    { output: '', names: [] },
    {
      output: 'unpacking docker.io/offline/app:v1 (sha256:1111111111111111111111111111111111111111111111111111111111111111)...done\n',
      names: ['docker.io/offline/app:v1'],
    },
    {
      output:
        'unpacking docker.io/library/a:1 (sha256:aa)...done\nunpacking 127.0.0.1:5000/b:2 (sha256:bb)...done\n' +
        'ctr: something else said (sha256:cc)\n',
      names: ['docker.io/library/a:1', '127.0.0.1:5000/b:2'],
    },
  ];
  for (const { output, names } of cases) assert.deepEqual(importedNames(output), names, output);
});
