import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventLog, storeContract } from '../contract.js';
import type { Store, WatchEvent } from '../interface.js';
import { openSqliteStore } from '../sqlite/store.js';
import { builtinResources } from '../../api/index.js';
import { storageResourceOf } from '../../api/resource.js';
import { loadEncryptionConfiguration } from './config.js';
import { EncryptedStore, StorageTransformError } from './encrypted-store.js';
import { groupResourceOfKey } from './storage-keys.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-encrypted-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const text = new TextEncoder();
const str = (value: Uint8Array) => new TextDecoder().decode(value);
const keyA = Buffer.alloc(32, 0x11).toString('base64');
const keyB = Buffer.alloc(32, 0x22).toString('base64');

function configuration(providers: unknown[], resources = ['secrets']) {
  return loadEncryptionConfiguration(JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources: [{ resources, providers }] }));
}
const gcmA = { aesgcm: { keys: [{ name: 'a', secret: keyA }] } };
const cbcA = { aescbc: { keys: [{ name: 'a', secret: keyA }] } };
const cbcB = { aescbc: { keys: [{ name: 'b', secret: keyB }] } };
const identity = { identity: {} };

// The whole contract, with every key treated as a Secret, so every value the contract writes is encrypted.
const everyKeyASecret = { resourceOfKey: () => ({ group: '', resource: 'secrets' }) };
storeContract('encrypted (aesgcm) over sqlite in memory', async () => new EncryptedStore(await openSqliteStore(':memory:'), configuration([gcmA]), everyKeyASecret));
let files = 0;
let lastPath = '';
const paths = new WeakMap<Store, string>();
const openOnDisk = async (path: string) => {
  lastPath = path;
  const store = new EncryptedStore(await openSqliteStore(path), configuration([cbcA, identity]), everyKeyASecret);
  paths.set(store, path);
  return store;
};
storeContract('encrypted (aescbc) over sqlite on disk', () => openOnDisk(join(dir, `contract-${files++}`, 'state.db')), {
  openAnother: async () => new EncryptedStore(await openSqliteStore(lastPath), configuration([cbcA, identity]), everyKeyASecret),
  reopen: async (store) => {
    await store.close();
    return openOnDisk(paths.get(store)!);
  },
});

const secretJson = (name: string, password: string) =>
  text.encode(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, stringData: { password } }));

describe('encrypted store', () => {
  it('keeps a Secret out of the database file in plain, and leaves other resources alone', async () => {
    const path = join(dir, 'plaintext', 'state.db');
    const store = new EncryptedStore(await openSqliteStore(path), configuration([cbcA, identity]));
    const created = await store.create('/registry/secrets/default/db', secretJson('db', 'correct-horse-battery-staple'));
    await store.update('/registry/secrets/default/db', secretJson('db', 'tr0ub4dor-and-3'), created.modRevision);
    await store.create('/registry/configmaps/default/settings', text.encode('{"data":{"colour":"ultramarine-configmap-value"}}'));
    assert.equal(JSON.parse(str((await store.get('/registry/secrets/default/db'))!.value)).stringData.password, 'tr0ub4dor-and-3');
    await store.close();

    const files = [path, `${path}-wal`, `${path}-shm`].filter((file) => existsSync(file));
    const raw = Buffer.concat(files.map((file) => readFileSync(file)));
    assert.ok(raw.includes('ultramarine-configmap-value'), 'the check can see plain values');
    assert.ok(!raw.includes('correct-horse-battery-staple'), 'the first version is not in plain');
    assert.ok(!raw.includes('tr0ub4dor-and-3'), 'the current version is not in plain');
    assert.ok(raw.includes('k8s:enc:aescbc:v1:a:'), 'values carry the provider prefix');
    assert.ok(raw.includes('/registry/secrets/default/db'), 'keys stay as they are');

    const reopened = new EncryptedStore(await openSqliteStore(path), configuration([cbcA, identity]));
    assert.equal(JSON.parse(str((await reopened.get('/registry/secrets/default/db'))!.value)).stringData.password, 'tr0ub4dor-and-3');
    await reopened.close();
  });

  it('stores what upstream stores: the inner value carries the prefix and reads with the key as context', async () => {
    const inner = await openSqliteStore(':memory:');
    const store = new EncryptedStore(inner, configuration([gcmA]));
    const key = '/registry/secrets/kube-system/token';
    const created = await store.create(key, secretJson('token', 'xyz'));
    assert.equal(str(created.value), str(secretJson('token', 'xyz')), 'a write answers with the plain value');
    const stored = (await inner.get(key))!;
    assert.equal(Buffer.from(stored.value).subarray(0, 20).toString('latin1'), 'k8s:enc:aesgcm:v1:a:');
    assert.equal(stored.modRevision, created.modRevision);
    // The same bytes under another key do not read: the key is authenticated.
    await inner.create('/registry/secrets/kube-system/copied', stored.value);
    await assert.rejects(store.get('/registry/secrets/kube-system/copied'), {
      name: 'StorageTransformError',
      message: 'unable to transform key "/registry/secrets/kube-system/copied": cipher: message authentication failed',
    });
    await store.close();
  });

  it('rotates: values of an older key read as stale until rewritten', async () => {
    const inner = await openSqliteStore(':memory:');
    const before = new EncryptedStore(inner, configuration([cbcA]));
    await before.create('/registry/secrets/default/old', secretJson('old', 'p'));
    await inner.create('/registry/secrets/default/plain', secretJson('plain', 'q'));

    const rotated = new EncryptedStore(inner, configuration([cbcB, cbcA, identity]));
    assert.equal(await rotated.isStale('/registry/secrets/default/old'), true);
    assert.equal(await rotated.isStale('/registry/secrets/default/plain'), true);
    assert.equal(await rotated.isStale('/registry/secrets/default/missing'), false);
    const old = (await rotated.get('/registry/secrets/default/old'))!;
    // `kubectl replace` of the unchanged object: the write re-encrypts with the first key.
    await rotated.update(old.key, old.value, old.modRevision);
    assert.equal(await rotated.isStale('/registry/secrets/default/old'), false);
    assert.equal(Buffer.from((await inner.get(old.key))!.value).subarray(0, 20).toString('latin1'), 'k8s:enc:aescbc:v1:b:');
    assert.equal(await rotated.isStale('/registry/configmaps/default/x'), false);
    await rotated.close();
  });

  it('reports a value no configured key can read as an error naming the key: get, list, delete and watch', async () => {
    const inner = await openSqliteStore(':memory:');
    await new EncryptedStore(inner, configuration([cbcA])).create('/registry/secrets/default/lost', secretJson('lost', 'p'));
    const fine = await new EncryptedStore(inner, configuration([cbcB])).create('/registry/secrets/default/fine', secretJson('fine', 'q'));
    const store = new EncryptedStore(inner, configuration([cbcB]));
    const lost = { name: 'StorageTransformError', message: 'unable to transform key "/registry/secrets/default/lost": no matching key was found for the provided AES transformer' };
    await assert.rejects(store.get('/registry/secrets/default/lost'), lost);
    await assert.rejects(store.list('/registry/secrets/'), lost);
    assert.equal((await store.list('/registry/secrets/default/f')).items.length, 1);

    const log = new EventLog();
    const abort = new AbortController();
    store.watch('/registry/secrets/', { afterRevision: 0, signal: abort.signal }, log.onEvent, log.onError);
    await log.until(() => log.error !== undefined, 'the watch error');
    assert.ok(log.error instanceof StorageTransformError);
    assert.equal(log.changes().length, 0, 'nothing after an event that could not be read');
    const witness = new EventLog();
    store.watch('/registry/secrets/default/f', { afterRevision: await store.currentRevision(), signal: abort.signal }, witness.onEvent, witness.onError);
    await store.update('/registry/secrets/default/fine', secretJson('fine', 'r'), fine.modRevision);
    await witness.until(() => witness.changes().length === 1, 'the witness event');
    assert.equal(log.changes().length, 0, 'the failed watch has ended');
    abort.abort();

    // Deleting it is the way out: the key goes, and the answer says its value could not be read.
    await assert.rejects(store.delete('/registry/secrets/default/lost'), lost);
    assert.equal(await store.get('/registry/secrets/default/lost'), undefined);
    await store.close();
  });

  it('reads watch events and their previous values', async () => {
    const store = new EncryptedStore(await openSqliteStore(':memory:'), configuration([gcmA]));
    const log = new EventLog();
    const abort = new AbortController();
    store.watch('/registry/secrets/', { afterRevision: 0, signal: abort.signal }, log.onEvent, log.onError);
    const a = await store.create('/registry/secrets/ns/a', text.encode('1'));
    await store.update('/registry/secrets/ns/a', text.encode('2'), a.modRevision);
    await store.delete('/registry/secrets/ns/a');
    await log.until(() => log.changes().length === 3, 'three events');
    const [created, updated, deleted] = log.changes() as Exclude<WatchEvent, { type: 'progress' }>[];
    assert.equal(created.type === 'put' && str(created.kv.value), '1');
    assert.equal(updated.type === 'put' && `${str(updated.prev!.value)}→${str(updated.kv.value)}`, '1→2');
    assert.equal(deleted.type === 'delete' && str(deleted.prev.value), '2');
    abort.abort();
    await store.close();
  });
});

describe('groupResourceOfKey', () => {
  it('reads the group and resource of every built-in resource key, namespaced or not', () => {
    for (const group of builtinResources) {
      for (const type of group) {
        const storageResource = storageResourceOf(type);
        const slash = storageResource.indexOf('/');
        const want = slash < 0 ? { group: '', resource: storageResource } : { group: storageResource.slice(0, slash), resource: storageResource.slice(slash + 1) };
        assert.deepEqual(groupResourceOfKey(`/registry/${storageResource}/default/name`), want, storageResource);
        assert.deepEqual(groupResourceOfKey(`/registry/${storageResource}/name`), want, storageResource);
      }
    }
  });

  it('reads custom resources, and no resource where there is none', () => {
    assert.deepEqual(groupResourceOfKey('/registry/stable.example.com/crontabs/default/c'), { group: 'stable.example.com', resource: 'crontabs' });
    assert.deepEqual(groupResourceOfKey('/registry/secrets/apps/x'), { group: '', resource: 'secrets' });
    assert.deepEqual(groupResourceOfKey('/registry/events/default/e'), { group: '', resource: 'events' });
    for (const key of ['/other/secrets/x', '/registry/', '/registry/secrets', '/registry/apps/', '/registry/apps//x', '/registry//x']) {
      assert.equal(groupResourceOfKey(key), undefined, key);
    }
  });
});
