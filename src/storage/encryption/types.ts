/**
 * apiserver.config.k8s.io/v1 EncryptionConfiguration, and its decoding from
 * parsed YAML/JSON. Decoding is upstream's lenient one (unknown fields are
 * ignored, field names are case-sensitive, null means absent); a field of
 * the wrong type fails with Go's JSON error, so messages read the same.
 */
import { DecodeError, jsonKindOf } from '../../machinery/go-json.js';

export const encryptionConfigurationApiVersion = 'apiserver.config.k8s.io/v1';
export const encryptionConfigurationKind = 'EncryptionConfiguration';

export interface Key {
  name: string;
  /** Base64 (standard alphabet, padded) of the key bytes. */
  secret: string;
}

export interface AesConfiguration {
  keys: Key[];
}

export interface SecretboxConfiguration {
  keys: Key[];
}

/** Exactly one field is meant to be set; validation says so when not. */
export interface ProviderConfiguration {
  aesgcm?: AesConfiguration;
  aescbc?: AesConfiguration;
  secretbox?: SecretboxConfiguration;
  identity?: Record<string, never>;
  /** Kept only to refuse it with a clear message: skiff has no KMS plugin client. */
  kms?: Record<string, unknown>;
}

export interface ResourceConfiguration {
  resources: string[];
  providers: ProviderConfiguration[];
}

export interface EncryptionConfiguration {
  apiVersion: string;
  kind: string;
  resources: ResourceConfiguration[];
}

export { DecodeError };
const kindOf = jsonKindOf;

/** Where a value sits: the innermost Go struct's name and the JSON path from the root, as Go's error names them. */
interface Place {
  struct: string;
  path: string;
}

function mismatch(value: unknown, place: Place, goType: string): DecodeError {
  return new DecodeError(`json: cannot unmarshal ${kindOf(value)} into Go struct field ${place.struct}.${place.path} of type ${goType}`);
}

function child(place: Place, struct: string, name: string): Place {
  return { struct, path: place.path ? `${place.path}.${name}` : name };
}

function decodeString(value: unknown, place: Place): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') throw mismatch(value, place, 'string');
  return value;
}

function decodeList<T>(value: unknown, place: Place, goType: string, decodeItem: (item: unknown) => T): T[] {
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value)) throw mismatch(value, place, goType);
  return value.map(decodeItem);
}

function decodeObject(value: unknown, place: Place, goType: string): Record<string, unknown> | undefined {
  if (value === null || value === undefined) return undefined;
  if (kindOf(value) !== 'object') throw mismatch(value, place, goType);
  return value as Record<string, unknown>;
}

function decodeKeys(value: unknown, place: Place): Key[] {
  return decodeList(value, place, '[]v1.Key', (item) => {
    const object = decodeObject(item, place, 'v1.Key') ?? {};
    return {
      name: decodeString(object.name, child(place, 'Key', 'name')),
      secret: decodeString(object.secret, child(place, 'Key', 'secret')),
    };
  });
}

function decodeKeyed(value: unknown, place: Place, goType: string): { keys: Key[] } | undefined {
  const object = decodeObject(value, place, goType);
  if (!object) return undefined;
  return { keys: decodeKeys(object.keys, child(place, goType.replace('v1.', ''), 'keys')) };
}

function decodeProvider(value: unknown, place: Place): ProviderConfiguration {
  const object = decodeObject(value, place, 'v1.ProviderConfiguration') ?? {};
  const at = (name: string) => child(place, 'ProviderConfiguration', name);
  const provider: ProviderConfiguration = {};
  const aesgcm = decodeKeyed(object.aesgcm, at('aesgcm'), 'v1.AESConfiguration');
  if (aesgcm) provider.aesgcm = aesgcm;
  const aescbc = decodeKeyed(object.aescbc, at('aescbc'), 'v1.AESConfiguration');
  if (aescbc) provider.aescbc = aescbc;
  const secretbox = decodeKeyed(object.secretbox, at('secretbox'), 'v1.SecretboxConfiguration');
  if (secretbox) provider.secretbox = secretbox;
  if (decodeObject(object.identity, at('identity'), 'v1.IdentityConfiguration')) provider.identity = {};
  const kms = decodeObject(object.kms, at('kms'), 'v1.KMSConfiguration');
  if (kms) provider.kms = kms;
  return provider;
}

function decodeResourceConfiguration(value: unknown, place: Place): ResourceConfiguration {
  const object = decodeObject(value, place, 'v1.ResourceConfiguration') ?? {};
  const resourcesAt = child(place, 'ResourceConfiguration', 'resources');
  const providersAt = child(place, 'ResourceConfiguration', 'providers');
  return {
    resources: decodeList(object.resources, resourcesAt, '[]string', (item) => decodeString(item, resourcesAt)),
    providers: decodeList(object.providers, providersAt, '[]v1.ProviderConfiguration', (item) => decodeProvider(item, providersAt)),
  };
}

/**
 * A parsed document as an EncryptionConfiguration. The scheme's checks come
 * first (kind and apiVersion present and known), then the typed decoding.
 */
export function decodeEncryptionConfiguration(document: unknown): EncryptionConfiguration {
  if (kindOf(document) !== 'object') {
    throw new DecodeError(`couldn't get version/kind; json parse error: json: cannot unmarshal ${kindOf(document)} into Go value of type struct { APIVersion string "json:\\"apiVersion,omitempty\\""; Kind string "json:\\"kind,omitempty\\"" }`);
  }
  const object = document as Record<string, unknown>;
  const apiVersion = typeof object.apiVersion === 'string' ? object.apiVersion : '';
  const kind = typeof object.kind === 'string' ? object.kind : '';
  // Upstream quotes the whole document here; ours leaves it out, as it holds the keys.
  if (!kind) throw new DecodeError("Object 'Kind' is missing");
  if (!apiVersion) throw new DecodeError("Object 'apiVersion' is missing");
  if (apiVersion !== encryptionConfigurationApiVersion || kind !== encryptionConfigurationKind) {
    throw new DecodeError(`no kind "${kind}" is registered for version "${apiVersion}"`);
  }
  const resourcesAt: Place = { struct: 'EncryptionConfiguration', path: 'resources' };
  return {
    apiVersion,
    kind,
    resources: decodeList(object.resources, resourcesAt, '[]v1.ResourceConfiguration', (item) => decodeResourceConfiguration(item, resourcesAt)),
  };
}
