/**
 * Validation of an EncryptionConfiguration, with upstream's field paths and
 * messages (k8s.io/apiserver/pkg/apis/apiserver/validation, the encryption
 * part), except that a KMS provider is refused: skiff has no KMS plugin client.
 */
import { field, GoValue, type FieldErrorLike } from '../../machinery/status.js';
import type { EncryptionConfiguration, Key, ProviderConfiguration } from './types.js';

const moreThanOneElementErr = 'more than one provider specified in a single element, should split into different list elements';
const base64EncodingErr = 'secrets must be base64 encoded';
const eventsGroupErr = "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file";
const extensionsGroupErr = "'extensions' group has been removed and cannot be used for encryption";
const starResourceErr = "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources";
const overlapErr = "using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked";
const nonRestApiResourceErr = 'resources which do not have REST API/s cannot be encrypted';
const resourceNameErr = 'resource name should not contain capital letters';
const resourceAcrossGroupErr = 'encrypting the same resource across groups is not supported';
const duplicateResourceErr = 'the same resource cannot be specified multiple times';
const kmsUnsupportedErr = 'KMS providers are not supported by skiff: use aesgcm, aescbc or secretbox';

const aesKeySizes = [16, 24, 32];
const secretboxKeySizes = [32];

const atLeastOneRequired = (what: string) => `at least one ${what} is required`;
const mandatoryField = (name: string, of: string) => `${name} is a mandatory field for a ${of}`;

/** A resource and its group, as upstream's schema.ParseGroupResource reads `resource.group`. */
export interface GroupResource {
  group: string;
  resource: string;
}

export function parseGroupResource(text: string): GroupResource {
  const dot = text.indexOf('.');
  return dot < 0 ? { group: '', resource: text } : { group: text.slice(dot + 1), resource: text.slice(0, dot) };
}

/** `*.` for every core resource, otherwise upstream's `resource.group` (or `resource` for core). */
export function groupResourceText(gr: GroupResource): string {
  if (gr.group === '' && gr.resource === '*') return '*.';
  return gr.group ? `${gr.resource}.${gr.group}` : gr.resource;
}

/**
 * Go's base64.StdEncoding: the standard alphabet with padding, line breaks
 * ignored. Undefined when the text is not that (Node's own decoder would
 * quietly accept almost anything).
 */
export function decodeStandardBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(compact)) return undefined;
  return Buffer.from(compact, 'base64');
}

export function validateEncryptionConfiguration(config: EncryptionConfiguration): FieldErrorLike[] {
  const root = 'resources';
  if (config.resources.length === 0) return [field.required(root, atLeastOneRequired(root))];
  const errors: FieldErrorLike[] = [];
  config.resources.forEach((entry, i) => {
    const resourcesPath = `${root}[${i}].resources`;
    const providersPath = `${root}[${i}].providers`;
    if (entry.resources.length === 0) errors.push(field.required(resourcesPath, atLeastOneRequired(resourcesPath)));
    errors.push(...validateResourceOverlap(entry.resources, resourcesPath));
    errors.push(...validateResourceNames(entry.resources, resourcesPath));
    if (entry.providers.length === 0) errors.push(field.required(providersPath, atLeastOneRequired(providersPath)));
    entry.providers.forEach((provider, j) => {
      const path = `${providersPath}[${j}]`;
      errors.push(...validateSingleProvider(provider, path));
      // As upstream, the first provider set (in this order) is the one whose keys are checked.
      if (provider.kms) errors.push(field.forbidden(`${path}.kms`, kmsUnsupportedErr));
      else if (provider.aesgcm) errors.push(...validateKeys(provider.aesgcm.keys, `${path}.aesgcm.keys`, aesKeySizes));
      else if (provider.aescbc) errors.push(...validateKeys(provider.aescbc.keys, `${path}.aescbc.keys`, aesKeySizes));
      else if (provider.secretbox) errors.push(...validateKeys(provider.secretbox.keys, `${path}.secretbox.keys`, secretboxKeySizes));
    });
  });
  return errors;
}

/**
 * Duplicates, and entries that mask each other (`*.*` with anything, or
 * `*.group` with another resource of that group). Upstream compares every
 * pair; what that finds is computed here in one pass, so a long list costs
 * linear time.
 */
function validateResourceOverlap(resources: string[], path: string): FieldErrorLike[] {
  if (resources.length < 2) return [];
  const seen = new Set<string>();
  let hasDuplicate = false;
  let hasOverlap = false;
  const perGroup = new Map<string, { count: number; stars: number }>();
  for (const text of resources) {
    const gr = parseGroupResource(text);
    const id = `${gr.group}\u0000${gr.resource}`;
    if (seen.has(id)) hasDuplicate = true;
    seen.add(id);
    if (gr.group === '*' && gr.resource === '*') hasOverlap = true;
    const counts = perGroup.get(gr.group) ?? { count: 0, stars: 0 };
    counts.count++;
    if (gr.resource === '*') counts.stars++;
    perGroup.set(gr.group, counts);
  }
  for (const counts of perGroup.values()) if (counts.count >= 2 && counts.stars >= 1) hasOverlap = true;
  const errors: FieldErrorLike[] = [];
  if (hasDuplicate) errors.push(field.invalid(path, resources, duplicateResourceErr));
  if (hasOverlap) errors.push(field.invalid(path, resources, overlapErr));
  return errors;
}

function validateResourceNames(resources: string[], path: string): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  resources.forEach((text, j) => {
    const at = `${path}[${j}]`;
    const gr = parseGroupResource(text);
    if (text.toLowerCase() !== text) errors.push(field.invalid(at, text, resourceNameErr));
    else if (text === '*') errors.push(field.invalid(at, text, starResourceErr));
    else if (text === 'apiserveripinfo' || text === 'serviceipallocations' || text === 'servicenodeportallocations') {
      errors.push(field.invalid(at, text, nonRestApiResourceErr));
    } else if (gr.group === 'events.k8s.io') errors.push(field.invalid(at, text, eventsGroupErr));
    else if (gr.group === 'extensions') errors.push(field.invalid(at, text, extensionsGroupErr));
    else if (gr.group === '*' && gr.resource !== '*') errors.push(field.invalid(at, text, resourceAcrossGroupErr));
  });
  return errors;
}

/** Which provider fields are set, in upstream's field order. */
function providersSet(provider: ProviderConfiguration): string[] {
  const set: string[] = [];
  if (provider.kms) set.push('KMS');
  if (provider.aesgcm) set.push('AESGCM');
  if (provider.aescbc) set.push('AESCBC');
  if (provider.secretbox) set.push('Secretbox');
  if (provider.identity) set.push('Identity');
  return set;
}

/** The provider as Go's %#v shows it, less the pointer addresses (which say nothing and would differ every run). */
function providerValue(provider: ProviderConfiguration): GoValue {
  const fields: [string, string, unknown][] = [
    ['AESGCM', 'AESConfiguration', provider.aesgcm],
    ['AESCBC', 'AESConfiguration', provider.aescbc],
    ['Secretbox', 'SecretboxConfiguration', provider.secretbox],
    ['Identity', 'IdentityConfiguration', provider.identity],
    ['KMS', 'KMSConfiguration', provider.kms],
  ];
  const shown = fields.map(([name, type, value]) => `${name}:(*apiserver.${type})(${value ? '…' : 'nil'})`);
  return new GoValue(`apiserver.ProviderConfiguration{${shown.join(', ')}}`);
}

function validateSingleProvider(provider: ProviderConfiguration, path: string): FieldErrorLike[] {
  const found = providersSet(provider).length;
  if (found === 0) {
    return [field.invalid(path, providerValue(provider), 'provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity')];
  }
  if (found > 1) return [field.invalid(path, providerValue(provider), moreThanOneElementErr)];
  return [];
}

function validateKeys(keys: Key[], path: string, sizes: number[]): FieldErrorLike[] {
  if (keys.length === 0) return [field.required(path, atLeastOneRequired('keys'))];
  return keys.flatMap((key, i) => validateKey(key, `${path}[${i}]`, sizes));
}

function validateKey(key: Key, path: string, sizes: number[]): FieldErrorLike[] {
  const errors: FieldErrorLike[] = [];
  if (key.name === '') errors.push(field.required(`${path}.name`, mandatoryField('name', 'key')));
  if (key.secret === '') {
    errors.push(field.required(`${path}.secret`, mandatoryField('secret', 'key')));
    return errors;
  }
  // The secret itself never appears in a message.
  const secret = decodeStandardBase64(key.secret);
  if (!secret) {
    errors.push(field.invalid(`${path}.secret`, 'REDACTED', base64EncodingErr));
    return errors;
  }
  if (!sizes.includes(secret.length)) {
    errors.push(field.invalid(`${path}.secret`, 'REDACTED', `secret is not of the expected length, got ${secret.length}, expected one of [${sizes.join(' ')}]`));
  }
  return errors;
}
