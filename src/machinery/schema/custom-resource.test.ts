/** A custom resource's write, end to end through the schema steps (custom-resource.ts): the CronTab of the Kubernetes docs. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { errors, renderFieldError } from '../status.js';
import type { Schema } from './types.js';
import { admitCustomResource } from './custom-resource.js';

const crontab: Schema = {
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      properties: {
        cronSpec: { type: 'string', pattern: '^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$' },
        image: { type: 'string' },
        replicas: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
        tags: { type: 'array', 'x-kubernetes-list-type': 'set', items: { type: 'string' } },
      },
      required: ['cronSpec'],
    },
  },
};

describe('admitCustomResource', () => {
  it('prunes, defaults and accepts a valid CronTab', () => {
    const object = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'nightly' }, spec: { cronSpec: '* * * * */5', image: 'awesome', typo: 1 } };
    const result = admitCustomResource(object, crontab);
    assert.deepEqual(result, { unknownFields: ['spec.typo'], errors: [] });
    assert.deepEqual(object.spec, { cronSpec: '* * * * */5', image: 'awesome', replicas: 1 });
  });

  it("reports a bad CronTab as the apiserver's 422 says it", () => {
    const object = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'bad' }, spec: { cronSpec: '* * * *', replicas: 15, tags: ['a', 'a'] } };
    const result = admitCustomResource(object, crontab);
    const status = errors.invalid('stable.example.com', 'CronTab', 'bad', result.errors);
    assert.equal(
      status.message,
      'CronTab.stable.example.com "bad" is invalid: [spec.cronSpec: Invalid value: "* * * *": spec.cronSpec in body should match \'^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$\', spec.replicas: Invalid value: 15: spec.replicas in body should be less than or equal to 10, spec.tags[1]: Duplicate value: "a"]',
    );
    assert.deepEqual(result.errors.map(renderFieldError).length, 3);
  });

  it('a missing required field after pruning a null', () => {
    const object = { spec: { cronSpec: null } };
    assert.deepEqual(admitCustomResource(object, crontab).errors.map(renderFieldError), ['spec.cronSpec: Required value']);
  });
});
