import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { loadKubeconfig, writeKubeconfig } from './kubeconfig.js';

const caPem = '-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n';
const certPem = '-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n';
const keyPem = '-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n';

function temporaryDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-kubeconfig-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('writeKubeconfig writes kubectl-shaped YAML with embedded data, mode 0600, and loads back', (t) => {
  const dir = temporaryDir(t);
  const path = join(dir, 'kubeconfig.yaml');
  writeKubeconfig(path, { server: 'https://127.0.0.1:6443', caPem, certPem, keyPem });

  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.deepEqual(readdirSync(dir), ['kubeconfig.yaml'], 'no temporary file left behind');
  const document = parse(readFileSync(path, 'utf8'));
  assert.equal(document.apiVersion, 'v1');
  assert.equal(document.kind, 'Config');
  assert.equal(document['current-context'], 'skiff');
  assert.deepEqual(document.contexts, [{ name: 'skiff', context: { cluster: 'skiff', user: 'skiff-admin' } }]);
  assert.equal(document.clusters[0].cluster['certificate-authority-data'], Buffer.from(caPem).toString('base64'));
  assert.equal(document.users[0].name, 'skiff-admin');
  assert.equal(document.users[0].user['client-key-data'], Buffer.from(keyPem).toString('base64'));

  assert.deepEqual(loadKubeconfig(path), { server: 'https://127.0.0.1:6443', caPem, certPem, keyPem });
});

test('rewriting replaces the file whole (a new inode) and keeps mode 0600', (t) => {
  const dir = temporaryDir(t);
  const path = join(dir, 'kubeconfig.yaml');
  writeFileSync(path, 'old', { mode: 0o644 });
  const before = statSync(path).ino;
  writeKubeconfig(path, { server: 'https://[::1]:7443', caPem, certPem, keyPem, cluster: 'c', user: 'u', context: 'x' });
  assert.notEqual(statSync(path).ino, before);
  assert.equal(statSync(path).mode & 0o777, 0o600);
  assert.equal(loadKubeconfig(path).server, 'https://[::1]:7443');
  assert.equal(loadKubeconfig(path, 'x').certPem, certPem);
});

test('loadKubeconfig reads file references relative to the kubeconfig, tokens, insecure clusters and named contexts', (t) => {
  const dir = temporaryDir(t);
  writeFileSync(join(dir, 'ca.crt'), caPem);
  writeFileSync(join(dir, 'client.crt'), certPem);
  writeFileSync(join(dir, 'client.key'), keyPem);
  writeFileSync(join(dir, 'token'), 'file-token\n');
  const path = join(dir, 'config');
  writeFileSync(
    path,
    `apiVersion: v1
kind: Config
current-context: certs
clusters:
- name: secure
  cluster: { server: 'https://a:1', certificate-authority: ca.crt }
- name: open
  cluster: { server: 'https://b:2', insecure-skip-tls-verify: true }
contexts:
- name: certs
  context: { cluster: secure, user: files }
- name: tokens
  context: { cluster: open, user: bearer, namespace: team }
- name: tokenfile
  context: { cluster: open, user: fromfile }
- name: broken
  context: { cluster: missing, user: files }
users:
- name: files
  user: { client-certificate: client.crt, client-key: ${join(dir, 'client.key')} }
- name: bearer
  user: { token: abc }
- name: fromfile
  user: { tokenFile: token }
`,
  );
  assert.deepEqual(loadKubeconfig(path), { server: 'https://a:1', caPem, certPem, keyPem });
  assert.deepEqual(loadKubeconfig(path, 'tokens'), { server: 'https://b:2', insecureSkipTlsVerify: true, token: 'abc', namespace: 'team' });
  assert.equal(loadKubeconfig(path, 'tokenfile').token, 'file-token');
  assert.throws(() => loadKubeconfig(path, 'nope'), /context "nope" does not exist/);
  assert.throws(() => loadKubeconfig(path, 'broken'), /cluster "missing"/);
});
