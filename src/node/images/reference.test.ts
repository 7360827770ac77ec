import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatReference, isLatest, manifestReference, parseReference } from './reference.js';

const digest = `sha256:${'a'.repeat(64)}`;

describe('image references', () => {
  const normalized: [string, string][] = [
    ['nginx', 'docker.io/library/nginx:latest'],
    ['nginx:1.27', 'docker.io/library/nginx:1.27'],
    ['library/nginx', 'docker.io/library/nginx:latest'],
    ['bitnami/redis:7', 'docker.io/bitnami/redis:7'],
    ['docker.io/nginx', 'docker.io/library/nginx:latest'],
    ['index.docker.io/library/nginx:x', 'docker.io/library/nginx:x'],
    ['registry.k8s.io/pause:3.10', 'registry.k8s.io/pause:3.10'],
    ['localhost/app', 'localhost/app:latest'],
    ['localhost:5000/team/app:v1', 'localhost:5000/team/app:v1'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000/app:latest'],
    ['[::1]:5000/app:v2', '[::1]:5000/app:v2'],
    [`busybox@${digest}`, `docker.io/library/busybox@${digest}`],
    [`busybox:1.36@${digest}`, `docker.io/library/busybox:1.36@${digest}`],
    ['a/b.c/d_e/f__g/h--i:T_a-g.1', 'docker.io/a/b.c/d_e/f__g/h--i:T_a-g.1'],
  ];
  for (const [input, expected] of normalized) {
    it(`${input} → ${expected}`, () => assert.equal(formatReference(parseReference(input)), expected));
  }

  it('splits registry, repository, tag and digest', () => {
    assert.deepEqual(parseReference('localhost:5000/team/app:v1'), { registry: 'localhost:5000', repository: 'team/app', tag: 'v1' });
    assert.deepEqual(parseReference(`app@${digest}`), { registry: 'docker.io', repository: 'library/app', digest });
    assert.equal(manifestReference(parseReference(`app:v1@${digest}`)), digest, 'a digest wins over the tag');
    assert.equal(manifestReference(parseReference('app')), 'latest');
  });

  const invalid: [string, RegExp][] = [
    ['', /invalid reference format/],
    [' nginx', /invalid reference format/],
    ['Nginx', /invalid reference format: repository name \(library\/Nginx\) must be lowercase$/],
    ['docker.io/Library/nginx', /must be lowercase/],
    ['nginx:', /invalid reference format/],
    ['nginx:-x', /invalid reference format/],
    [`nginx:${'t'.repeat(129)}`, /invalid reference format/],
    ['nginx@sha256:abc', /invalid reference format|checksum/],
    [`nginx@sha256:${'g'.repeat(64)}`, /invalid checksum digest format/],
    ['a//b', /invalid reference format/],
    ['a/b/', /invalid reference format/],
    ['-a/b', /invalid reference format/],
    ['a_/b', /invalid reference format/],
    ['bad host!/app', /invalid reference format/],
    [`r.io/${'a'.repeat(260)}`, /not be more than 255/],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input.length > 40 ? input.slice(0, 40) + '…' : input)}`, () => assert.throws(() => parseReference(input), message));
  }

  it('knows the references whose default pull policy is Always (upstream: tag latest, or none)', () => {
    assert.equal(isLatest('nginx'), true);
    assert.equal(isLatest('nginx:latest'), true);
    assert.equal(isLatest(`nginx:latest@${digest}`), true);
    assert.equal(isLatest('nginx:1.27'), false);
    assert.equal(isLatest(`nginx@${digest}`), false);
    assert.equal(isLatest('Not Valid'), false);
  });
});
