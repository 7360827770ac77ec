/**
 * The configmaps, secrets and serviceaccounts resources. Secret `stringData`
 * is write-only convenience: it is folded into `data` on every write.
 */
import type { ResourceType } from '../resource.js';
import type { KubeObject } from '../../machinery/object.js';
import { field } from '../../machinery/status.js';
import { validateObjectMeta } from '../../machinery/validation.js';
import { ConfigMapSchema, SecretSchema, ServiceAccountSchema } from './schema/misc.js';
import { AGE_COLUMN, NAME_COLUMN, age, column } from './table-util.js';
import { arr, type Errs } from './validate-common.js';
import { isObj, semanticEqual } from './util.js';

/** Upstream's MaxSecretSize, also the limit for config maps. */
export const MAX_DATA_SIZE = 1024 * 1024;

const configKeyFmt = '[-._a-zA-Z0-9]+';
const configKeyRe = new RegExp(`^${configKeyFmt}$`);

/** upstream IsConfigMapKey. */
export function isConfigMapKey(key: string): string[] {
  const errs: string[] = [];
  if (key.length > 253) errs.push('must be no more than 253 characters');
  if (!configKeyRe.test(key)) {
    errs.push(`a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '${configKeyFmt}')`);
  }
  if (key === '.') errs.push("must not be '.'");
  else if (key === '..') errs.push("must not be '..'");
  else if (key.startsWith('..')) errs.push("must not start with '..'");
  return errs;
}

function decodedLength(base64: unknown): number {
  return typeof base64 === 'string' ? Buffer.from(base64, 'base64').length : 0;
}

/** Folds `stringData` into `data` (base64) and removes it; stringData wins over data for the same key. */
export function foldStringData(secret: KubeObject): void {
  const stringData = secret.stringData;
  if (stringData === undefined) return;
  if (isObj(stringData)) {
    const data = (isObj(secret.data) ? secret.data : (secret.data = {})) as Record<string, string>;
    for (const [key, value] of Object.entries(stringData)) data[key] = Buffer.from(String(value), 'utf8').toString('base64');
  }
  delete secret.stringData;
}

function validateImmutableData(obj: KubeObject, old: KubeObject, fields: string[]): Errs {
  if (old.immutable !== true) return [];
  const errs: Errs = [];
  if (obj.immutable !== true) errs.push(field.forbidden('immutable', 'field is immutable when `immutable` is set'));
  for (const f of fields) if (!semanticEqual(obj[f], old[f])) errs.push(field.forbidden(f, 'field is immutable when `immutable` is set'));
  return errs;
}

function validateConfigMap(cm: KubeObject): Errs {
  const errs = validateObjectMeta(cm.metadata, { namespaced: true });
  const data = isObj(cm.data) ? cm.data : {};
  const binaryData = isObj(cm.binaryData) ? cm.binaryData : {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const msg of isConfigMapKey(key)) errs.push(field.invalid(`data[${key}]`, key, msg));
    if (key in binaryData) errs.push(field.invalid(`data[${key}]`, key, 'duplicate of key present in binaryData'));
    total += Buffer.byteLength(String(value ?? ''), 'utf8');
  }
  for (const [key, value] of Object.entries(binaryData)) {
    for (const msg of isConfigMapKey(key)) errs.push(field.invalid(`binaryData[${key}]`, key, msg));
    total += decodedLength(value);
  }
  if (total > MAX_DATA_SIZE) errs.push(field.tooLong('', '', MAX_DATA_SIZE));
  return errs;
}

export const configmaps: ResourceType = {
  group: '', version: 'v1', kind: 'ConfigMap', resource: 'configmaps', singular: 'configmap',
  shortNames: ['cm'], namespaced: true,
  schema: ConfigMapSchema,
  validate: (cm) => validateConfigMap(cm),
  validateUpdate: (cm, old) => validateImmutableData(cm, old, ['data', 'binaryData']),
  table: {
    columns: [NAME_COLUMN, column('Data', 'Number of data entries in the config map.', 0, 'integer'), AGE_COLUMN],
    cells: (cm, now) => [cm.metadata.name, Object.keys(cm.data ?? {}).length + Object.keys(cm.binaryData ?? {}).length, age(cm, now)],
  },
};

/** Keys each well-known secret type requires. */
function validateSecretType(secret: KubeObject, data: Record<string, unknown>): Errs {
  const errs: Errs = [];
  const requireKey = (key: string) => {
    if (data[key] === undefined) errs.push(field.required(`data[${key}]`, ''));
  };
  const requireJSON = (key: string) => {
    if (data[key] === undefined) return requireKey(key);
    try {
      JSON.parse(Buffer.from(String(data[key]), 'base64').toString('utf8'));
    } catch (err) {
      errs.push(field.invalid(`data[${key}]`, '<secret contents redacted>', (err as Error).message));
    }
  };
  switch (secret.type) {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(field.required('metadata.annotations[kubernetes.io/service-account.name]', ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
      requireJSON('.dockercfg');
      break;
    case 'kubernetes.io/dockerconfigjson':
      requireJSON('.dockerconfigjson');
      break;
    case 'kubernetes.io/basic-auth':
      if (data.username === undefined && data.password === undefined) {
        errs.push(field.required('data[username]', ''), field.required('data[password]', ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      requireKey('ssh-privatekey');
      break;
    case 'kubernetes.io/tls':
      requireKey('tls.crt');
      requireKey('tls.key');
      break;
  }
  return errs;
}

function validateSecret(secret: KubeObject): Errs {
  const errs = validateObjectMeta(secret.metadata, { namespaced: true });
  const data = isObj(secret.data) ? secret.data : {};
  let total = 0;
  for (const [key, value] of Object.entries(data)) {
    for (const msg of isConfigMapKey(key)) errs.push(field.invalid(`data[${key}]`, key, msg));
    total += decodedLength(value);
  }
  if (total > MAX_DATA_SIZE) errs.push(field.tooLong('data', '', MAX_DATA_SIZE));
  errs.push(...validateSecretType(secret, data));
  return errs;
}

export const secrets: ResourceType = {
  group: '', version: 'v1', kind: 'Secret', resource: 'secrets', singular: 'secret',
  namespaced: true,
  schema: SecretSchema,
  defaults(secret) {
    secret.type ||= 'Opaque';
  },
  prepareForCreate: foldStringData,
  prepareForUpdate: (secret) => foldStringData(secret),
  validate: (secret) => validateSecret(secret),
  validateUpdate(secret, old) {
    const errs: Errs = [];
    if (secret.type !== old.type) errs.push(field.invalid('type', secret.type, 'field is immutable'));
    errs.push(...validateImmutableData(secret, old, ['data']));
    return errs;
  },
  table: {
    columns: [
      NAME_COLUMN,
      column('Type', 'The type of the secret.'),
      column('Data', 'Number of data entries in the secret.', 0, 'integer'),
      AGE_COLUMN,
    ],
    cells: (secret, now) => [secret.metadata.name, secret.type ?? '', Object.keys(secret.data ?? {}).length, age(secret, now)],
  },
  selectableFields: (secret) => ({ type: String(secret.type ?? '') }),
};

export const serviceaccounts: ResourceType = {
  group: '', version: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', singular: 'serviceaccount',
  shortNames: ['sa'], namespaced: true,
  schema: ServiceAccountSchema,
  subresources: { others: ['token'] },
  validate: (sa) => validateObjectMeta(sa.metadata, { namespaced: true }),
  table: {
    columns: [NAME_COLUMN, column('Secrets', 'Number of secrets of the service account.', 0, 'integer'), AGE_COLUMN],
    cells: (sa, now) => [sa.metadata.name, arr(sa.secrets).length, age(sa, now)],
  },
};
