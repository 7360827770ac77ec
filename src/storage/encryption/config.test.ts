import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EncryptionConfigurationError, loadEncryptionConfiguration, loadEncryptionConfigurationFile } from './config.js';

const validKey = 'A/j5CnrWGB83ylcPkuUhm/6TSyrQtsNJtDPwPHNOj4Q=';
const aescbc = { aescbc: { keys: [{ name: 'foo', secret: validKey }] } };

function document(resources: unknown): string {
  return JSON.stringify({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'EncryptionConfiguration', resources });
}

function failure(text: string): string {
  try {
    loadEncryptionConfiguration(text);
  } catch (err) {
    assert.ok(err instanceof EncryptionConfigurationError, String(err));
    return err.message;
  }
  assert.fail('the configuration was accepted');
}

describe('EncryptionConfiguration validation (upstream TestStructure and TestKey)', () => {
  const cases: { desc: string; resources: unknown; want?: string }[] = [
    { desc: 'empty encryption config', resources: [], want: 'resources: Required value: at least one resources is required' },
    {
      desc: 'no k8s resources',
      resources: [{ providers: [aescbc] }],
      want: 'resources[0].resources: Required value: at least one resources[0].resources is required',
    },
    {
      desc: 'no providers',
      resources: [{ resources: ['secrets'] }],
      want: 'resources[0].providers: Required value: at least one resources[0].providers is required',
    },
    {
      desc: 'multiple providers in one element',
      resources: [{ resources: ['secrets'], providers: [{ aesgcm: aescbc.aescbc, aescbc: aescbc.aescbc }] }],
      want: 'resources[0].providers[0]: Invalid value: apiserver.ProviderConfiguration{AESGCM:(*apiserver.AESConfiguration)(…), AESCBC:(*apiserver.AESConfiguration)(…), Secretbox:(*apiserver.SecretboxConfiguration)(nil), Identity:(*apiserver.IdentityConfiguration)(nil), KMS:(*apiserver.KMSConfiguration)(nil)}: more than one provider specified in a single element, should split into different list elements',
    },
    {
      desc: 'no provider in an element',
      resources: [{ resources: ['secrets'], providers: [{ identity: null }] }],
      want: 'resources[0].providers[0]: Invalid value: apiserver.ProviderConfiguration{AESGCM:(*apiserver.AESConfiguration)(nil), AESCBC:(*apiserver.AESConfiguration)(nil), Secretbox:(*apiserver.SecretboxConfiguration)(nil), Identity:(*apiserver.IdentityConfiguration)(nil), KMS:(*apiserver.KMSConfiguration)(nil)}: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity',
    },
    { desc: 'valid config', resources: [{ resources: ['secrets'], providers: [{ aesgcm: aescbc.aescbc }] }] },
    {
      desc: 'events.k8s.io group',
      resources: [{ resources: ['events.events.k8s.io'], providers: [aescbc] }],
      want: `resources[0].resources[0]: Invalid value: "events.events.k8s.io": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`,
    },
    {
      desc: 'events.k8s.io group later in the list',
      resources: [
        { resources: ['secrets'], providers: [aescbc] },
        { resources: ['secret', 'events.events.k8s.io'], providers: [aescbc] },
      ],
      want: `resources[1].resources[1]: Invalid value: "events.events.k8s.io": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`,
    },
    {
      desc: '*.events.k8s.io',
      resources: [{ resources: ['*.events.k8s.io'], providers: [aescbc] }],
      want: `resources[0].resources[0]: Invalid value: "*.events.k8s.io": '*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file`,
    },
    {
      desc: '*.extensions',
      resources: [{ resources: ['*.extensions'], providers: [aescbc] }],
      want: `resources[0].resources[0]: Invalid value: "*.extensions": 'extensions' group has been removed and cannot be used for encryption`,
    },
    {
      desc: 'foo.extensions',
      resources: [{ resources: ['foo.extensions'], providers: [aescbc] }],
      want: `resources[0].resources[0]: Invalid value: "foo.extensions": 'extensions' group has been removed and cannot be used for encryption`,
    },
    {
      desc: "'*' resource",
      resources: [{ resources: ['*'], providers: [aescbc] }],
      want: `resources[0].resources[0]: Invalid value: "*": use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources`,
    },
    {
      desc: 'capital letters',
      resources: [{ resources: ['apiServerIPInfo'], providers: [aescbc] }],
      want: 'resources[0].resources[0]: Invalid value: "apiServerIPInfo": resource name should not contain capital letters',
    },
    ...['apiserveripinfo', 'serviceipallocations', 'servicenodeportallocations'].map((name) => ({
      desc: name,
      resources: [{ resources: [name], providers: [aescbc] }],
      want: `resources[0].resources[0]: Invalid value: "${name}": resources which do not have REST API/s cannot be encrypted`,
    })),
    { desc: "'*.apps' and '*.' together", resources: [{ resources: ['*.apps', '*.'], providers: [aescbc] }] },
    {
      desc: 'the same resource across groups',
      resources: [{ resources: ['*.', 'foos.*'], providers: [aescbc] }],
      want: 'resources[0].resources[1]: Invalid value: "foos.*": encrypting the same resource across groups is not supported',
    },
    {
      desc: 'secrets twice',
      resources: [{ resources: ['secrets', 'secrets'], providers: [aescbc] }],
      want: 'resources[0].resources: Invalid value: []string{"secrets", "secrets"}: the same resource cannot be specified multiple times',
    },
    {
      desc: 'secrets many times: one error',
      resources: [{ resources: ['secrets', 'secrets', 'secrets', 'secrets'], providers: [aescbc] }],
      want: 'resources[0].resources: Invalid value: []string{"secrets", "secrets", "secrets", "secrets"}: the same resource cannot be specified multiple times',
    },
    {
      desc: 'secrets twice, via dot',
      resources: [{ resources: ['secrets', 'secrets.'], providers: [aescbc] }],
      want: 'resources[0].resources: Invalid value: []string{"secrets", "secrets."}: the same resource cannot be specified multiple times',
    },
    ...[
      ['*.apps', '*.', '*.*'],
      ['deployments.apps', '*.apps'],
      ['secrets', '*.'],
      ['pods', '*.'],
      ['secrets', '*.*'],
      ['*.', '*.*'],
    ].map((list) => ({
      desc: `overlap: ${list.join(' ')}`,
      resources: [{ resources: list, providers: [aescbc] }],
      want: `resources[0].resources: Invalid value: []string{${list.map((r) => JSON.stringify(r)).join(', ')}}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked`,
    })),
    { desc: "deployments.apps with '*.'", resources: [{ resources: ['deployments.apps', '*.'], providers: [aescbc] }] },
    {
      desc: '*.* twice: duplicate and overlap',
      resources: [{ resources: ['*.*', '*.*'], providers: [aescbc] }],
      want: "[resources[0].resources: Invalid value: []string{\"*.*\", \"*.*\"}: the same resource cannot be specified multiple times, resources[0].resources: Invalid value: []string{\"*.*\", \"*.*\"}: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked]",
    },
    {
      desc: 'key without name',
      resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ secret: validKey }] } }] }],
      want: 'resources[0].providers[0].aescbc.keys[0].name: Required value: name is a mandatory field for a key',
    },
    {
      desc: 'key without secret',
      resources: [{ resources: ['secrets'], providers: [{ aesgcm: { keys: [{ name: 'foo' }] } }] }],
      want: 'resources[0].providers[0].aesgcm.keys[0].secret: Required value: secret is a mandatory field for a key',
    },
    {
      desc: 'key not base64',
      resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'foo', secret: 'P@ssword' }] } }] }],
      want: 'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secrets must be base64 encoded',
    },
    {
      desc: 'key of the wrong length',
      resources: [{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'foo', secret: 'cGFzc3dvcmQK' }] } }] }],
      want: 'resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 9, expected one of [16 24 32]',
    },
    {
      desc: 'secretbox wants 32 bytes',
      resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [{ name: 'foo', secret: Buffer.alloc(16).toString('base64') }] } }] }],
      want: 'resources[0].providers[0].secretbox.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 16, expected one of [32]',
    },
    {
      desc: 'no keys',
      resources: [{ resources: ['secrets'], providers: [{ secretbox: { keys: [] } }] }],
      want: 'resources[0].providers[0].secretbox.keys: Required value: at least one keys is required',
    },
    {
      desc: 'kms is refused',
      resources: [{ resources: ['secrets'], providers: [{ kms: { apiVersion: 'v2', name: 'vault', endpoint: 'unix:///tmp/kms.sock' } }] }],
      want: 'resources[0].providers[0].kms: Forbidden: KMS providers are not supported by skiff: use aesgcm, aescbc or secretbox',
    },
  ];
  for (const { desc, resources, want } of cases) {
    it(desc, () => {
      if (want === undefined) assert.doesNotThrow(() => loadEncryptionConfiguration(document(resources)));
      else assert.equal(failure(document(resources)), `error while parsing file: ${want}`);
    });
  }
});

describe('loading', () => {
  it('reads YAML, as written in upstream documentation', () => {
    const providers = loadEncryptionConfiguration(`
apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
  - resources:
      - secrets
      - configmaps
      - pandas.awesome.bears.example
    providers:
      - aescbc:
          keys:
            - name: key1
              # See the following text for more details about the secret value
              secret: ${validKey}
      - identity: {}
`);
    const plain = new TextEncoder().encode('{}');
    const stored = Buffer.from(providers.transformerFor('pandas', 'awesome.bears.example').toStorage(plain, new Uint8Array()));
    assert.ok(stored.toString('latin1').startsWith('k8s:enc:aescbc:v1:key1:'));
    assert.equal(providers.configuration.resources[0].resources.length, 3);
  });

  it('refuses a resource masked by an earlier rule', () => {
    const text = document([
      { resources: ['*.'], providers: [aescbc] },
      { resources: ['secrets'], providers: [aescbc] },
    ]);
    assert.equal(failure(text), 'error while building transformers: resource "secrets" is masked by earlier rule "*."');
    const all = document([
      { resources: ['*.*'], providers: [aescbc] },
      { resources: ['deployments.apps'], providers: [aescbc] },
    ]);
    assert.equal(failure(all), 'error while building transformers: resource "deployments.apps" is masked by earlier rule "*.*"');
  });

  it('says what is wrong with a document that is no EncryptionConfiguration, without quoting keys', () => {
    const cases: [string, string][] = [
      ['', 'error while parsing file: error while loading file: encryption provider configuration is empty'],
      ['kind: EncryptionConfiguration\nresources: []', "error while parsing file: error decoding encryption provider configuration: Object 'apiVersion' is missing"],
      ['apiVersion: apiserver.config.k8s.io/v1', "error while parsing file: error decoding encryption provider configuration: Object 'Kind' is missing"],
      [
        'apiVersion: apiserver.config.k8s.io/v1beta1\nkind: EncryptionConfiguration',
        'error while parsing file: error decoding encryption provider configuration: no kind "EncryptionConfiguration" is registered for version "apiserver.config.k8s.io/v1beta1"',
      ],
      [
        'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources: secrets',
        'error while parsing file: error decoding encryption provider configuration: json: cannot unmarshal string into Go struct field EncryptionConfiguration.resources of type []v1.ResourceConfiguration',
      ],
      [
        document([{ resources: ['secrets'], providers: [{ aescbc: { keys: [{ name: 'k', secret: 12 }] } }] }]),
        'error while parsing file: error decoding encryption provider configuration: json: cannot unmarshal number into Go struct field Key.resources.providers.aescbc.keys.secret of type string',
      ],
    ];
    for (const [text, want] of cases) assert.equal(failure(text), want);
    const broken = failure(`apiVersion: v1\nkind: [\nsecret: ${validKey}`);
    assert.match(broken, /^error while parsing file: error decoding encryption provider configuration: error converting YAML to JSON: /);
    assert.ok(!broken.includes(validKey), 'a key never appears in an error');
  });

  it('bounds the work on hostile input', () => {
    assert.match(failure(' '.repeat(1024 * 1024 + 1)), /is larger than 1048576 bytes/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 200; i++) bomb.push(`b${i}: &b${i} [*${i === 0 ? 'a' : `b${i - 1}`}, *${i === 0 ? 'a' : `b${i - 1}`}]`);
    assert.match(failure(bomb.join('\n')), /error converting YAML to JSON/);
    // A long resource list is checked in linear time.
    const many = Array.from({ length: 50_000 }, (_, i) => `r${i}.example.com`);
    const started = Date.now();
    loadEncryptionConfiguration(document([{ resources: many, providers: [aescbc] }]));
    assert.ok(Date.now() - started < 5000);
  });

  it('names the file in its messages', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-encryption-config-'));
    try {
      const path = join(dir, 'config.yaml');
      writeFileSync(path, '');
      assert.throws(() => loadEncryptionConfigurationFile(path), {
        message: `error while parsing file: error while loading file: encryption provider configuration file ${JSON.stringify(path)} is empty`,
      });
      assert.throws(() => loadEncryptionConfigurationFile(join(dir, 'missing.yaml')), /error reading encryption provider configuration file ".*missing.yaml": ENOENT/);
      writeFileSync(path, document([{ resources: ['secrets'], providers: [aescbc] }]));
      assert.equal(loadEncryptionConfigurationFile(path).configuration.resources.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
