/**
 * The `customresourcedefinitions` resource: how a CRD object is stored,
 * defaulted and validated. What it adds to the API is served by the
 * apiserver from the descriptions `custom-resource-types.ts` derives.
 */
import type { ResourceType } from '../resource.js';
import { validateImmutable } from '../../machinery/validation.js';
import { loadValidationRules } from '../../machinery/cel/on-demand.js';
import type { FieldErrorLike } from '../../machinery/status.js';
import { CustomResourceDefinitionSchema } from './schema.js';
import type { CustomResourceDefinition, CustomResourceDefinitionCondition } from './types.js';
import { defaultCustomResourceDefinition, prepareCustomResourceDefinitionForCreate, validateCustomResourceDefinition } from './validation.js';

/** The finalizer a CRD's deletion adds: its custom resources are deleted before it goes. */
export const customResourceCleanupFinalizer = 'customresourcecleanup.apiextensions.k8s.io';

export function conditionOf(crd: CustomResourceDefinition, type: CustomResourceDefinitionCondition['type']): CustomResourceDefinitionCondition | undefined {
  return crd.status?.conditions?.find((condition) => condition.type === type);
}

export function isConditionTrue(crd: CustomResourceDefinition, type: CustomResourceDefinitionCondition['type']): boolean {
  return conditionOf(crd, type)?.status === 'True';
}

/** Sets a condition, keeping its lastTransitionTime when the status does not change (upstream's SetCRDCondition). */
export function setCondition(crd: CustomResourceDefinition, condition: Omit<CustomResourceDefinitionCondition, 'lastTransitionTime'>, now: string): void {
  crd.status ??= {};
  const conditions = (crd.status.conditions ??= []);
  const existing = conditions.find((c) => c.type === condition.type);
  if (!existing) {
    conditions.push({ ...condition, lastTransitionTime: now });
    return;
  }
  if (existing.status !== condition.status) existing.lastTransitionTime = now;
  existing.status = condition.status;
  existing.reason = condition.reason;
  existing.message = condition.message;
}

/** A new storage version joins storedVersions (upstream's strategy does this on every update). */
function recordStorageVersion(crd: CustomResourceDefinition): void {
  const storage = crd.spec?.versions?.find((version) => version.storage);
  if (!storage) return;
  crd.status ??= {};
  const stored = (crd.status.storedVersions ??= []);
  if (!stored.includes(storage.name)) stored.push(storage.name);
}

export const customresourcedefinitions: ResourceType<CustomResourceDefinition> = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  resource: 'customresourcedefinitions',
  singular: 'customresourcedefinition',
  shortNames: ['crd', 'crds'],
  categories: ['api-extensions'],
  namespaced: false,
  schema: CustomResourceDefinitionSchema,
  subresources: { status: true },
  hasGeneration: true,
  defaults: defaultCustomResourceDefinition,
  prepareForCreate: prepareCustomResourceDefinitionForCreate,
  prepareForUpdate: recordStorageVersion,
  validate: validateCustomResourceDefinition,
  // The schema's rules are compiled when a CRD is validated.
  prepareWrites: loadValidationRules,
  validateUpdate(crd, old) {
    const errors: FieldErrorLike[] = [];
    // Once served, the names that make its URLs may not change (upstream: requireImmutableNames).
    if (isConditionTrue(old, 'Established')) {
      errors.push(...validateImmutable(crd.spec?.group, old.spec?.group, 'spec.group'));
      errors.push(...validateImmutable(crd.spec?.names?.plural, old.spec?.names?.plural, 'spec.names.plural'));
    }
    errors.push(...validateImmutable(crd.spec?.scope, old.spec?.scope, 'spec.scope'));
    return errors;
  },
  beginDeletion(crd, now) {
    if (!(crd.metadata.finalizers ?? []).includes(customResourceCleanupFinalizer)) {
      crd.metadata.finalizers = [...(crd.metadata.finalizers ?? []), customResourceCleanupFinalizer];
    }
    setCondition(crd, { type: 'Terminating', status: 'True', reason: 'InstanceDeletionPending', message: 'CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon' }, now);
  },
};
