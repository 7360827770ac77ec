import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { componentAlwaysAllowPaths, componentRequestAttributes } from './component-attributes.js';

describe('componentRequestAttributes', () => {
  it('is a non-resource request for the path, the method in lower case as the verb', () => {
    const cases: [string, string, string][] = [
      ['GET', '/metrics', 'get'],
      ['HEAD', '/metrics', 'head'],
      ['POST', '/debug/flags/v', 'post'],
      ['PUT', '/debug/flags/v', 'put'],
      ['DELETE', '/configz', 'delete'],
    ];
    for (const [method, path, verb] of cases) assert.deepEqual(componentRequestAttributes(method, path), [{ nonResourceAttributes: { path, verb } }]);
  });

  it('leaves the health checks open, as upstream', () => {
    assert.deepEqual(componentAlwaysAllowPaths, ['/healthz', '/readyz', '/livez']);
  });
});
