/** The resourcequotas and limitranges resources. */
import type { ResourceType } from '../resource.js';
import { field } from '../../machinery/status.js';
import { isQualifiedName, validateObjectMeta } from '../../machinery/validation.js';
import { LimitRangeSchema, ResourceQuotaSchema } from './schema/misc.js';
import { AGE_COLUMN, NAME_COLUMN, age, column } from './table-util.js';
import { arr, isStandardResourceName, validateResourceList, type Errs } from './validate-common.js';
import { compareQuantities, quantityString } from './quantity.js';

const quotaScopes = ['BestEffort', 'CrossNamespacePodAffinity', 'NotBestEffort', 'NotTerminating', 'PriorityClass', 'Terminating'];

function quotaResourceName(name: string, path: string): Errs {
  const errs = isQualifiedName(name).map((msg) => field.invalid(path, name, msg));
  if (errs.length === 0 && !name.includes('/') && !isStandardResourceName(name)) {
    errs.push(field.invalid(path, name, 'must be a standard resource for quota'));
  }
  return errs;
}

function validateQuota(quota: any): Errs {
  const errs = validateObjectMeta(quota.metadata, { namespaced: true });
  const spec = quota.spec ?? {};
  errs.push(...validateResourceList(spec.hard, 'spec.hard', quotaResourceName));
  arr(spec.scopes).forEach((scope) => {
    if (!quotaScopes.includes(scope)) errs.push(field.notSupported('spec.scopes', scope, quotaScopes));
  });
  arr(spec.scopeSelector?.matchExpressions).forEach((req, i) => {
    const p = `spec.scopeSelector.matchExpressions[${i}]`;
    if (!quotaScopes.includes(req?.scopeName)) errs.push(field.notSupported(`${p}.scopeName`, req?.scopeName, quotaScopes));
    const ops = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
    if (!ops.includes(req?.operator)) errs.push(field.notSupported(`${p}.operator`, req?.operator, ops));
  });
  return errs;
}

function validateQuotaStatus(quota: any): Errs {
  return [
    ...validateResourceList(quota.status?.hard, 'status.hard', quotaResourceName),
    ...validateResourceList(quota.status?.used, 'status.used', quotaResourceName),
  ];
}

/** `name: used/hard` pairs of a quota, split into the REQUEST and LIMIT cells. */
export function quotaCells(quota: any): { request: string; limit: string } {
  const hard = (quota.status?.hard ?? {}) as Record<string, unknown>;
  const used = (quota.status?.used ?? {}) as Record<string, unknown>;
  const request: string[] = [];
  const limit: string[] = [];
  for (const name of Object.keys(hard).sort()) {
    const cell = `${name}: ${quantityString(used[name] ?? '0')}/${quantityString(hard[name])}`;
    (name.split('.').length > 1 && name.split('.')[0] === 'limits' ? limit : request).push(cell);
  }
  return { request: request.join(', '), limit: limit.join(', ') };
}

export const resourcequotas: ResourceType = {
  group: '', version: 'v1', kind: 'ResourceQuota', resource: 'resourcequotas', singular: 'resourcequota',
  shortNames: ['quota'], namespaced: true,
  schema: ResourceQuotaSchema,
  subresources: { status: true },
  prepareForCreate(quota) {
    quota.status = {};
  },
  validate: (quota) => validateQuota(quota),
  validateStatusUpdate: (quota) => validateQuotaStatus(quota),
  table: {
    columns: [
      NAME_COLUMN,
      AGE_COLUMN,
      column('Request', 'Requests: used and hard amounts.'),
      column('Limit', 'Limits: used and hard amounts.'),
    ],
    cells(quota, now) {
      const { request, limit } = quotaCells(quota);
      return [quota.metadata.name, age(quota, now), request, limit];
    },
  },
};

const limitTypes = ['Container', 'Pod', 'PersistentVolumeClaim'];

function validateLimitRange(lr: any): Errs {
  const errs = validateObjectMeta(lr.metadata, { namespaced: true });
  const limits = arr(lr.spec?.limits);
  const seenTypes = new Set<string>();
  limits.forEach((item, i) => {
    const p = `spec.limits[${i}]`;
    if (!item?.type) errs.push(field.required(`${p}.type`, ''));
    else if (!limitTypes.includes(item.type) && !String(item.type).includes('/')) errs.push(field.notSupported(`${p}.type`, item.type, limitTypes));
    if (seenTypes.has(item?.type)) errs.push(field.duplicate(`${p}.type`, item?.type));
    seenTypes.add(item?.type);
    for (const key of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio']) {
      errs.push(...validateResourceList(item?.[key], `${p}.${key}`, (name, path) => isQualifiedName(name).map((m) => field.invalid(path, name, m))));
    }
    if (item?.type === 'Pod') {
      if (item.default !== undefined) errs.push(field.forbidden(`${p}.default`, 'may not be specified when `type` is \'Pod\''));
      if (item.defaultRequest !== undefined) errs.push(field.forbidden(`${p}.defaultRequest`, 'may not be specified when `type` is \'Pod\''));
    }
    const min = item?.min ?? {};
    const max = item?.max ?? {};
    for (const [name, q] of Object.entries(min)) {
      if (max[name] !== undefined && compareQuantities(q, max[name]) > 0) {
        errs.push(field.invalid(`${p}.min[${name}]`, q, `min value ${quantityString(q)} is greater than max value ${quantityString(max[name])}`));
      }
    }
    for (const key of ['default', 'defaultRequest']) {
      for (const [name, q] of Object.entries((item?.[key] ?? {}) as Record<string, unknown>)) {
        if (min[name] !== undefined && compareQuantities(min[name], q) > 0) {
          errs.push(field.invalid(`${p}.${key}[${name}]`, q, `min value ${quantityString(min[name])} is greater than ${key} value ${quantityString(q)}`));
        }
        if (max[name] !== undefined && compareQuantities(q, max[name]) > 0) {
          errs.push(field.invalid(`${p}.${key}[${name}]`, q, `${key} value ${quantityString(q)} is greater than max value ${quantityString(max[name])}`));
        }
      }
    }
    for (const [name, q] of Object.entries((item?.default ?? {}) as Record<string, unknown>)) {
      const req = item?.defaultRequest?.[name];
      if (req !== undefined && compareQuantities(req, q) > 0) {
        errs.push(field.invalid(`${p}.defaultRequest[${name}]`, req, `defaultRequest value ${quantityString(req)} is greater than default limit value ${quantityString(q)}`));
      }
    }
  });
  return errs;
}

export const limitranges: ResourceType = {
  group: '', version: 'v1', kind: 'LimitRange', resource: 'limitranges', singular: 'limitrange',
  shortNames: ['limits'], namespaced: true,
  schema: LimitRangeSchema,
  defaults(lr) {
    // Container items: default limit falls back to max; default request to the default limit, then to min.
    for (const item of arr((lr.spec as any)?.limits)) {
      if (item?.type !== 'Container') continue;
      const fill = (key: string, from: Record<string, unknown> | undefined) => {
        for (const [name, q] of Object.entries(from ?? {})) if (item[key]?.[name] === undefined) (item[key] ??= {})[name] = q;
      };
      fill('default', item.max);
      fill('defaultRequest', item.default);
      fill('defaultRequest', item.min);
    }
  },
  validate: (lr) => validateLimitRange(lr),
  table: {
    columns: [NAME_COLUMN, column('Created At', 'When the limit range was created.', 0, 'date')],
    cells: (lr) => [lr.metadata.name, lr.metadata.creationTimestamp ?? ''],
  },
};
