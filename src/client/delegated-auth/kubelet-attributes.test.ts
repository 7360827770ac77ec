/** The kubelet's request attributes: upstream's TestIsSubPath and TestGetRequestAttributes tables (the paths 1.32 serves). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isSubpath, kubeletRequestAttributes } from './kubelet-attributes.js';

describe('isSubpath', () => {
  it('is true for the path itself and anything below it', () => {
    const cases: [string, string, string, boolean][] = [
      ['empty', '', '', true],
      ['match 1', 'foo', 'foo', true],
      ['match 2', '/foo', '/foo', true],
      ['match 3', '/foo/', '/foo/', true],
      ['match 4', '/foo/bar', '/foo/bar', true],
      ['subpath of root 1', '/foo', '/', true],
      ['subpath of root 2', '/foo/', '/', true],
      ['subpath of root 3', '/foo/bar', '/', true],
      ['subpath of path 1', '/foo', '/foo', true],
      ['subpath of path 2', '/foo/', '/foo', true],
      ['subpath of path 3', '/foo/bar', '/foo', true],
      ['mismatch 1', '/foo', '/bar', false],
      ['mismatch 2', '/foo', '/foobar', false],
      ['mismatch 3', '/foobar', '/foo', false],
    ];
    for (const [name, subpath, path, expected] of cases) assert.equal(isSubpath(subpath, path), expected, name);
  });
});

/** Path → subresources, without and with KubeletFineGrainedAuthz. */
const coarse: Record<string, string[]> = {
  '/attach/{podNamespace}/{podID}/{containerName}': ['proxy'],
  '/attach/{podNamespace}/{podID}/{uid}/{containerName}': ['proxy'],
  '/checkpoint/{podNamespace}/{podID}/{containerName}': ['checkpoint'],
  '/configz': ['proxy'],
  '/containerLogs/{podNamespace}/{podID}/{containerName}': ['proxy'],
  '/debug/flags/v': ['proxy'],
  '/debug/pprof/{subpath:*}': ['proxy'],
  '/exec/{podNamespace}/{podID}/{containerName}': ['proxy'],
  '/exec/{podNamespace}/{podID}/{uid}/{containerName}': ['proxy'],
  '/healthz': ['proxy'],
  '/healthz/log': ['proxy'],
  '/healthz/ping': ['proxy'],
  '/healthz/syncloop': ['proxy'],
  '/logs/': ['log'],
  '/logs/{logpath:*}': ['log'],
  '/metrics': ['metrics'],
  '/metrics/slis': ['metrics'],
  '/metrics/cadvisor': ['metrics'],
  '/metrics/probes': ['metrics'],
  '/metrics/resource': ['metrics'],
  '/pods/': ['proxy'],
  '/portForward/{podNamespace}/{podID}': ['proxy'],
  '/portForward/{podNamespace}/{podID}/{uid}': ['proxy'],
  '/run/{podNamespace}/{podID}/{containerName}': ['proxy'],
  '/run/{podNamespace}/{podID}/{uid}/{containerName}': ['proxy'],
  '/runningpods/': ['proxy'],
  '/stats/': ['stats'],
  '/stats/summary': ['stats'],
  // Not upstream's table: paths that only look like a known prefix, and /spec (gone from the kubelet's code, still in its docs).
  '/metricsfoo': ['proxy'],
  '/statsx/summary': ['proxy'],
  '/spec/': ['proxy'],
};
const fineGrained: Record<string, string[]> = {
  ...coarse,
  '/healthz': ['healthz', 'proxy'],
  '/healthz/log': ['healthz', 'proxy'],
  '/healthz/ping': ['healthz', 'proxy'],
  '/healthz/syncloop': ['healthz', 'proxy'],
  '/pods/': ['pods', 'proxy'],
  '/runningpods/': ['pods', 'proxy'],
  '/configz': ['configz', 'proxy'],
};

const verbs: [string, string][] = [
  ['POST', 'create'],
  ['GET', 'get'],
  ['PUT', 'update'],
  ['PATCH', 'patch'],
  ['DELETE', 'delete'],
  // Upstream's code knows no other method: the verb is empty (its docs say HEAD is get; its code does not).
  ['HEAD', ''],
  ['OPTIONS', ''],
];

describe('kubeletRequestAttributes', () => {
  for (const [gate, table] of [
    ['without fine-grained authorization', coarse],
    ['with KubeletFineGrainedAuthz', fineGrained],
  ] as const) {
    it(`maps method and path to nodes/<subresource> of this node, ${gate}`, () => {
      for (const [path, subresources] of Object.entries(table)) {
        for (const [method, verb] of verbs) {
          const expected = subresources.map((subresource) => ({ resourceAttributes: { verb, version: 'v1', resource: 'nodes', subresource, name: 'test' } }));
          assert.deepEqual(kubeletRequestAttributes('test', method, path, { fineGrained: table === fineGrained }), expected, `${method} ${path}`);
        }
      }
    });
  }
});
