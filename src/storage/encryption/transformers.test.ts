import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv } from 'node:crypto';
import { loadEncryptionConfiguration } from './config.js';
import { TransformError } from './transformers.js';

const hex = (value: string) => Buffer.from(value, 'hex');
const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const bytes = (value: string) => Buffer.from(value, 'utf8');
const concat = (...parts: (string | Uint8Array)[]) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? bytes(p) : p)));
const fixed = (value: Uint8Array) => (size: number) => {
  assert.equal(size, value.length);
  return Uint8Array.from(value);
};

function config(providers: string, resources = ['secrets']): string {
  return JSON.stringify({
    apiVersion: 'apiserver.config.k8s.io/v1',
    kind: 'EncryptionConfiguration',
    resources: [{ resources, providers: JSON.parse(providers) }],
  });
}

const key32a = b64(Buffer.alloc(32, 0xa1));
const key32b = b64(Buffer.alloc(32, 0xb2));
const aescbc = (...keys: [string, string][]) => JSON.stringify({ aescbc: { keys: keys.map(([name, secret]) => ({ name, secret })) } });
const aesgcm = (...keys: [string, string][]) => JSON.stringify({ aesgcm: { keys: keys.map(([name, secret]) => ({ name, secret })) } });
const secretbox = (...keys: [string, string][]) => JSON.stringify({ secretbox: { keys: keys.map(([name, secret]) => ({ name, secret })) } });
const identity = JSON.stringify({ identity: {} });
const secretsOf = (providers: string[], random?: (size: number) => Uint8Array) =>
  loadEncryptionConfiguration(config(`[${providers.join(',')}]`), { random }).transformerFor('secrets', '');

describe('wire formats, against vectors computed elsewhere', () => {
  // McGrew & Viega's GCM specification, test case 4 (AES-128, with additional authenticated data).
  const gcm = {
    key: hex('feffe9928665731c6d6a8f9467308308'),
    nonce: hex('cafebabefacedbaddecaf888'),
    aad: hex('feedfacedeadbeeffeedfacedeadbeefabaddad2'),
    plain: hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39'),
    cipher: hex('42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091'),
    tag: hex('5bc94fbc3221a5db94fae95ae7121a47'),
  };

  it('aesgcm: prefix, key name, 12-byte nonce, ciphertext, tag; the context is the authenticated data', () => {
    const stored = concat('k8s:enc:aesgcm:v1:k1:', gcm.nonce, gcm.cipher, gcm.tag);
    const transformer = secretsOf([aesgcm(['k1', b64(gcm.key)])], fixed(gcm.nonce));
    assert.deepEqual(Buffer.from(transformer.toStorage(gcm.plain, gcm.aad)), stored);
    const read = transformer.fromStorage(stored, gcm.aad);
    assert.deepEqual(Buffer.from(read.data), gcm.plain);
    assert.equal(read.stale, false);
    // The same value under another key (another context) must not read.
    assert.throws(() => transformer.fromStorage(stored, bytes('/registry/secrets/default/other')), { message: 'cipher: message authentication failed' });
    const tampered = Buffer.from(stored);
    tampered[tampered.length - 20] ^= 1;
    assert.throws(() => transformer.fromStorage(tampered, gcm.aad), TransformError);
    assert.throws(() => transformer.fromStorage(concat('k8s:enc:aesgcm:v1:k1:', 'short'), gcm.aad), { message: 'the stored data was shorter than the required size' });
  });

  it('aesgcm: the storage key is the authenticated data of a real write', () => {
    const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
    const nonce = hex('0a0b0c0d0e0f101112131415');
    const storageKey = '/registry/secrets/default/db';
    const plain = bytes('{"kind":"Secret"}');
    // Made with Node's crypto directly, as etcd would hold it from kube-apiserver.
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(bytes(storageKey));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    const stored = concat('k8s:enc:aesgcm:v1:key1:', nonce, sealed);
    const transformer = secretsOf([aesgcm(['key1', b64(key)])], fixed(nonce));
    assert.deepEqual(Buffer.from(transformer.fromStorage(stored, bytes(storageKey)).data), plain);
    assert.deepEqual(Buffer.from(transformer.toStorage(plain, bytes(storageKey))), stored);
  });

  it('aescbc: prefix, key name, 16-byte IV, PKCS#7-padded ciphertext', () => {
    // NIST SP 800-38A F.2.1 (CBC-AES128.Encrypt): four whole blocks, so PKCS#7 adds a fifth block of 0x10.
    const key = hex('2b7e151628aed2a6abf7158809cf4f3c');
    const iv = hex('000102030405060708090a0b0c0d0e0f');
    const plain = hex('6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710');
    const nistCipher = hex('7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b273bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7');
    const lastBlock = nistCipher.subarray(48);
    const paddingInput = Buffer.alloc(16).map((_, i) => 0x10 ^ lastBlock[i]);
    const ecb = createCipheriv('aes-128-ecb', key, null);
    ecb.setAutoPadding(false);
    const paddingBlock = Buffer.concat([ecb.update(paddingInput), ecb.final()]);
    const stored = concat('k8s:enc:aescbc:v1:key1:', iv, nistCipher, paddingBlock);

    const transformer = secretsOf([aescbc(['key1', b64(key)])], fixed(iv));
    assert.deepEqual(Buffer.from(transformer.toStorage(plain, bytes('/registry/secrets/a/b'))), stored);
    assert.deepEqual(Buffer.from(transformer.fromStorage(stored, bytes('/registry/secrets/a/b')).data), plain);
    // CBC does not authenticate the key: upstream reads it under any key, so do we.
    assert.deepEqual(Buffer.from(transformer.fromStorage(stored, bytes('/elsewhere')).data), plain);
    assert.throws(() => transformer.fromStorage(concat('k8s:enc:aescbc:v1:key1:', iv, nistCipher.subarray(0, 20)), bytes('')), {
      message: 'the stored data is not a multiple of the block size',
    });
    // The NIST ciphertext alone ends in a plaintext block that is no valid padding.
    assert.throws(() => transformer.fromStorage(concat('k8s:enc:aescbc:v1:key1:', iv, nistCipher), bytes('')), {
      message: 'invalid padding on input',
    });
  });

  it('secretbox: prefix, key name, 24-byte nonce, NaCl box (tag then ciphertext)', () => {
    // golang.org/x/crypto/nacl/secretbox TestSecretBox: generated with NaCl's C implementation.
    const key = Buffer.alloc(32, 1);
    const nonce = Buffer.alloc(24, 2);
    const plain = Buffer.alloc(64, 3);
    const box = hex(
      '8442bc313f4626f1359e3b50122b6ce6fe66ddfe7d39d14e637eb4fd5b45beadab55198df6ab5368439792a23c87db70acb6156dc5ef957ac04f6276cf6093b84be77ff0849cc33e34b7254d5a8f65ad',
    );
    const stored = concat('k8s:enc:secretbox:v1:sb:', nonce, box);
    const transformer = secretsOf([secretbox(['sb', b64(key)])], fixed(nonce));
    assert.deepEqual(Buffer.from(transformer.toStorage(plain, bytes('/k'))), stored);
    assert.deepEqual(Buffer.from(transformer.fromStorage(stored, bytes('/k')).data), plain);
    const tampered = Buffer.from(stored);
    tampered[tampered.length - 1] ^= 1;
    assert.throws(() => transformer.fromStorage(tampered, bytes('/k')), { message: 'output array was not large enough for encryption' });
    assert.throws(() => transformer.fromStorage(concat('k8s:enc:secretbox:v1:sb:', nonce), bytes('/k')), {
      message: 'the stored data was shorter than the required size',
    });
  });

  it('round-trips every provider, every key size, every length around a block, with fresh randomness each write', () => {
    const cases = [aesgcm(['a', b64(Buffer.alloc(16, 7))]), aesgcm(['a', b64(Buffer.alloc(24, 7))]), aesgcm(['a', key32a])];
    cases.push(aescbc(['a', b64(Buffer.alloc(16, 7))]), aescbc(['a', b64(Buffer.alloc(24, 7))]), aescbc(['a', key32a]), secretbox(['a', key32a]));
    for (const provider of cases) {
      const transformer = secretsOf([provider]);
      for (const length of [0, 1, 15, 16, 17, 31, 32, 33, 1000]) {
        const plain = Buffer.alloc(length, 'x');
        const first = transformer.toStorage(plain, bytes('/k'));
        const second = transformer.toStorage(plain, bytes('/k'));
        assert.notDeepEqual(Buffer.from(first), Buffer.from(second), `${provider}: a random nonce per write`);
        assert.deepEqual(Buffer.from(transformer.fromStorage(first, bytes('/k')).data), plain, `${provider} at ${length}`);
      }
    }
  });
});

describe('rotation and fallbacks', () => {
  const plain = bytes('{"kind":"Secret","data":{"password":"aHVudGVyMg=="}}');
  const context = bytes('/registry/secrets/default/db');

  it('reads a value of an older key, and says it is stale so a rewrite uses the first key', () => {
    const old = secretsOf([aescbc(['old', key32a])]).toStorage(plain, context);
    const rotated = secretsOf([aescbc(['new', key32b], ['old', key32a])]);
    assert.deepEqual(rotated.fromStorage(old, context), { data: plain, stale: true });
    const rewritten = rotated.toStorage(plain, context);
    assert.ok(bytes('k8s:enc:aescbc:v1:new:').equals(Buffer.from(rewritten.subarray(0, 22))));
    assert.equal(rotated.fromStorage(rewritten, context).stale, false);
    // Once the old key is removed, its values no longer read.
    assert.throws(() => secretsOf([aescbc(['new', key32b])]).fromStorage(old, context), { message: 'no matching key was found for the provided AES transformer' });
  });

  it('reads a value of a later provider as stale', () => {
    const cbc = secretsOf([aescbc(['k', key32a])]).toStorage(plain, context);
    const gcmFirst = secretsOf([aesgcm(['g', key32b]), aescbc(['k', key32a])]);
    assert.deepEqual(gcmFirst.fromStorage(cbc, context), { data: plain, stale: true });
  });

  it('tries every provider of one kind: two aescbc entries with the same key name and different secrets', () => {
    // A fixed IV: CBC does not authenticate, so a wrong key fails only by its padding, which a random IV would make flaky.
    const value = secretsOf([aescbc(['k', key32a])], fixed(Buffer.alloc(16, 5))).toStorage(plain, context);
    const both = secretsOf([aescbc(['k', key32b]), aescbc(['k', key32a])]);
    assert.deepEqual(both.fromStorage(value, context), { data: plain, stale: true });
    const neither = secretsOf([aescbc(['k', b64(Buffer.alloc(32, 9))]), aescbc(['k', b64(Buffer.alloc(32, 8))])]);
    assert.throws(() => neither.fromStorage(value, context), TransformError);
  });

  it('reads plain values through identity when it is configured, as stale when it is not first', () => {
    const encryptFirst = secretsOf([aescbc(['k', key32a]), identity]);
    assert.deepEqual(encryptFirst.fromStorage(plain, context), { data: plain, stale: true });
    assert.ok(bytes('k8s:enc:aescbc:v1:k:').equals(Buffer.from(encryptFirst.toStorage(plain, context).subarray(0, 20))));

    // Decrypting everything: identity first writes plain and still reads what was encrypted.
    const identityFirst = secretsOf([identity, aescbc(['k', key32a])]);
    const encrypted = encryptFirst.toStorage(plain, context);
    assert.deepEqual(identityFirst.fromStorage(encrypted, context), { data: plain, stale: true });
    assert.deepEqual(identityFirst.fromStorage(plain, context), { data: plain, stale: false });
    assert.deepEqual(Buffer.from(identityFirst.toStorage(plain, context)), plain);

    assert.throws(() => secretsOf([aescbc(['k', key32a])]).fromStorage(plain, context), { message: 'no matching prefix found' });
  });

  it('gives identity to resources the configuration does not name: plain in, and encrypted values refused', () => {
    const providers = loadEncryptionConfiguration(config(`[${aescbc(['k', key32a])}]`));
    const configMaps = providers.transformerFor('configmaps', '');
    assert.deepEqual(Buffer.from(configMaps.toStorage(plain, context)), plain);
    const encrypted = providers.transformerFor('secrets', '').toStorage(plain, context);
    assert.throws(() => configMaps.fromStorage(encrypted, context), { message: 'identity transformer tried to read encrypted data' });
  });

  it('looks a resource up by exact name, then *.group, then *.*', () => {
    const text = JSON.stringify({
      apiVersion: 'apiserver.config.k8s.io/v1',
      kind: 'EncryptionConfiguration',
      resources: [
        { resources: ['secrets', 'deployments.apps'], providers: [JSON.parse(aescbc(['exact', key32a]))] },
        { resources: ['*.apps', '*.'], providers: [JSON.parse(aescbc(['group', key32a]))] },
        { resources: ['*.*'], providers: [JSON.parse(aescbc(['all', key32a]))] },
      ],
    });
    const providers = loadEncryptionConfiguration(text);
    const writer = (resource: string, group: string) =>
      Buffer.from(providers.transformerFor(resource, group).toStorage(plain, context)).subarray(0, 30).toString('latin1').split(':').slice(0, 5).join(':');
    assert.equal(writer('secrets', ''), 'k8s:enc:aescbc:v1:exact');
    assert.equal(writer('deployments', 'apps'), 'k8s:enc:aescbc:v1:exact');
    assert.equal(writer('statefulsets', 'apps'), 'k8s:enc:aescbc:v1:group');
    assert.equal(writer('configmaps', ''), 'k8s:enc:aescbc:v1:group');
    assert.equal(writer('jobs', 'batch'), 'k8s:enc:aescbc:v1:all');
    assert.equal(writer('widgets', 'example.com'), 'k8s:enc:aescbc:v1:all');
  });
});
