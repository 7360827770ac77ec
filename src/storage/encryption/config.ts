/**
 * `--encryption-provider-config`: loads an EncryptionConfiguration (YAML or
 * JSON), validates it, and builds one transformer per configured resource
 * (upstream's k8s.io/apiserver/pkg/server/options/encryptionconfig).
 * Errors read as kube-apiserver's do at start.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { renderFieldError } from '../../machinery/status.js';
import {
  identityProvider,
  IdentityTransformer,
  providerTransformer,
  resourceTransformer,
  type PrefixedTransformer,
  type ProviderKind,
  type RandomSource,
  type ValueTransformer,
} from './transformers.js';
import { decodeEncryptionConfiguration, DecodeError, type EncryptionConfiguration, type Key, type ResourceConfiguration } from './types.js';
import { decodeStandardBase64, groupResourceText, parseGroupResource, validateEncryptionConfiguration, type GroupResource } from './validation.js';

/** A configuration is a few keys and resource names; anything near this size is not one. */
export const maxEncryptionConfigurationBytes = 1024 * 1024;

/** The configuration could not be used; the apiserver must not start with it. */
export class EncryptionConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EncryptionConfigurationError';
  }
}

export interface LoadOptions {
  /** The file the text came from, for messages. */
  path?: string;
  /** Random bytes for nonces and IVs; only tests of the wire format fix them. */
  random?: RandomSource;
}

const identity = new IdentityTransformer();

function keyOf(gr: GroupResource): string {
  return `${gr.group}/${gr.resource}`;
}

/**
 * A loaded configuration: which transformer each resource's values go
 * through. Resources it does not name get identity, which stores plain
 * values and refuses to read encrypted ones (as upstream).
 */
export class EncryptionProviders {
  constructor(
    readonly configuration: EncryptionConfiguration,
    private readonly transformers: ReadonlyMap<string, ValueTransformer>,
  ) {}

  /** The transformer of `resource` in `group` ('' for core): exact name, then `*.group`, then `*.*`, then identity. */
  transformerFor(resource: string, group: string): ValueTransformer {
    return (
      this.transformers.get(keyOf({ group, resource })) ??
      this.transformers.get(keyOf({ group, resource: '*' })) ??
      this.transformers.get(keyOf({ group: '*', resource: '*' })) ??
      identity
    );
  }
}

/** Parses, decodes, validates and builds; throws EncryptionConfigurationError with upstream's wording. */
export function loadEncryptionConfiguration(text: string, options: LoadOptions = {}): EncryptionProviders {
  const configuration = parseAndValidate(text, options.path);
  try {
    return new EncryptionProviders(configuration, buildTransformers(configuration, options.random));
  } catch (err) {
    throw new EncryptionConfigurationError(`error while building transformers: ${(err as Error).message}`);
  }
}

/** Reads the file `--encryption-provider-config` names, then loads it. */
export function loadEncryptionConfigurationFile(path: string, options: Omit<LoadOptions, 'path'> = {}): EncryptionProviders {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new EncryptionConfigurationError(
      `error while parsing file: error while loading file: error reading encryption provider configuration file ${JSON.stringify(path)}: ${(err as Error).message}`,
    );
  }
  return loadEncryptionConfiguration(text, { ...options, path });
}

function parseAndValidate(text: string, path: string | undefined): EncryptionConfiguration {
  const described = path === undefined ? '' : ` file ${JSON.stringify(path)}`;
  const fail = (message: string) => new EncryptionConfigurationError(`error while parsing file: ${message}`);
  if (text.length === 0) throw fail(`error while loading file: encryption provider configuration${described} is empty`);
  if (Buffer.byteLength(text, 'utf8') > maxEncryptionConfigurationBytes) {
    throw fail(`error while loading file: encryption provider configuration${described} is larger than ${maxEncryptionConfigurationBytes} bytes`);
  }
  let configuration: EncryptionConfiguration;
  try {
    configuration = decodeEncryptionConfiguration(parseYaml(text, { maxAliasCount: 100 }));
  } catch (err) {
    // YAML errors quote the offending line; past the first line they would quote key material.
    const message = err instanceof DecodeError ? err.message : `error converting YAML to JSON: ${(err as Error).message.split('\n')[0]}`;
    throw fail(`error decoding encryption provider configuration${described}: ${message}`);
  }
  const errors = validateEncryptionConfiguration(configuration).map(renderFieldError);
  if (errors.length > 0) {
    const unique = [...new Set(errors)];
    throw fail(unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`);
  }
  return configuration;
}

function decodedKeys(keys: Key[]): { name: string; secret: Uint8Array }[] {
  // Validation has checked names, encodings and lengths.
  return keys.map((key) => ({ name: key.name, secret: decodeStandardBase64(key.secret)! }));
}

function providersOf(entry: ResourceConfiguration, random: RandomSource | undefined): PrefixedTransformer[] {
  return entry.providers.map((provider) => {
    const keyed: [ProviderKind, Key[] | undefined][] = [
      ['aesgcm', provider.aesgcm?.keys],
      ['aescbc', provider.aescbc?.keys],
      ['secretbox', provider.secretbox?.keys],
    ];
    for (const [kind, keys] of keyed) if (keys) return providerTransformer(kind, decodedKeys(keys), random);
    if (provider.identity) return identityProvider();
    throw new Error('provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity');
  });
}

/**
 * One transformer per named resource. A resource named in several entries
 * gets their providers one after the other; a name after `*.group` or `*.*`
 * would never be used, which upstream refuses.
 */
function buildTransformers(configuration: EncryptionConfiguration, random: RandomSource | undefined): Map<string, ValueTransformer> {
  const providers = new Map<string, PrefixedTransformer[]>();
  for (const entry of configuration.resources) {
    const entryProviders = providersOf(entry, random);
    for (const text of entry.resources) {
      const gr = parseGroupResource(text);
      for (const masking of [{ group: gr.group, resource: '*' }, { group: '*', resource: '*' }]) {
        if (providers.has(keyOf(masking))) {
          throw new Error(`resource ${JSON.stringify(groupResourceText(gr))} is masked by earlier rule ${JSON.stringify(groupResourceText(masking))}`);
        }
      }
      providers.set(keyOf(gr), [...(providers.get(keyOf(gr)) ?? []), ...entryProviders]);
    }
  }
  const transformers = new Map<string, ValueTransformer>();
  for (const [key, list] of providers) transformers.set(key, resourceTransformer(list));
  return transformers;
}
