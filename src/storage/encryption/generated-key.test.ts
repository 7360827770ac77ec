import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEncryptionConfigurationFile } from './config.js';
import { ensureEncryptionConfiguration } from './generated-key.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-generated-key-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ensureEncryptionConfiguration', () => {
  it('writes a fresh aescbc key for Secrets once, owner-only, then reuses it', () => {
    const dataDir = join(dir, 'first', 'data');
    const path = ensureEncryptionConfiguration(dataDir);
    assert.equal(path, join(dataDir, 'encryption-config.yaml'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const written = readFileSync(path, 'utf8');

    const providers = loadEncryptionConfigurationFile(path);
    const [entry] = providers.configuration.resources;
    assert.deepEqual(entry.resources, ['secrets']);
    assert.equal(entry.providers.length, 2);
    assert.equal(Buffer.from(entry.providers[0].aescbc!.keys[0].secret, 'base64').length, 32);
    assert.deepEqual(entry.providers[1], { identity: {} });
    // Secrets written before encryption was on still read; new writes are encrypted.
    const secrets = providers.transformerFor('secrets', '');
    const plain = new TextEncoder().encode('{"kind":"Secret"}');
    assert.equal(secrets.fromStorage(plain, new Uint8Array()).stale, true);
    assert.ok(Buffer.from(secrets.toStorage(plain, new Uint8Array())).toString('latin1').startsWith('k8s:enc:aescbc:v1:aescbckey:'));

    assert.equal(ensureEncryptionConfiguration(dataDir), path);
    assert.equal(readFileSync(path, 'utf8'), written, 'the same key on every later start');
    assert.deepEqual(readdirSync(dataDir), ['encryption-config.yaml'], 'no temporary file left behind');
  });

  it('gives every data directory its own key', () => {
    const one = readFileSync(ensureEncryptionConfiguration(join(dir, 'one')), 'utf8');
    const two = readFileSync(ensureEncryptionConfiguration(join(dir, 'two')), 'utf8');
    assert.notEqual(one, two);
  });

  it('takes back group and other access from a file made readable', () => {
    const path = ensureEncryptionConfiguration(join(dir, 'loose'));
    chmodSync(path, 0o644);
    ensureEncryptionConfiguration(join(dir, 'loose'));
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });
});
