/**
 * autoscaling: HorizontalPodAutoscaler, served as v2 (the stored, preferred
 * version) and as v1 (a CPU-only view converted to and from v2).
 */
import type { ResourceType } from '../resource.js';
import { HorizontalPodAutoscalerV1Schema, HorizontalPodAutoscalerV2Schema } from './schema.js';
import { defaultHorizontalPodAutoscalerV1, defaultHorizontalPodAutoscalerV2 } from './defaults.js';
import { validateHorizontalPodAutoscalerV1, validateHorizontalPodAutoscalerV2 } from './validation.js';
import { hpaV1Conversion, hpaV1ToV2 } from './conversion.js';
import { hpaTable } from './table.js';
import type { HorizontalPodAutoscalerV1, HorizontalPodAutoscalerV2 } from './types.js';

export * from './types.js';
export * from './schema.js';
export { defaultHorizontalPodAutoscalerV1, defaultHorizontalPodAutoscalerV2, defaultCPUUtilization } from './defaults.js';
export { validateHorizontalPodAutoscalerV1, validateHorizontalPodAutoscalerV2 } from './validation.js';
export { hpaV1ToV2, hpaV2ToV1, annotations as hpaConversionAnnotations } from './conversion.js';
export { formatTargets } from './table.js';

const storageResource = 'autoscaling/horizontalpodautoscalers';

export const horizontalpodautoscalersV2: ResourceType<HorizontalPodAutoscalerV2> = {
  group: 'autoscaling',
  version: 'v2',
  kind: 'HorizontalPodAutoscaler',
  resource: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  shortNames: ['hpa'],
  categories: ['all'],
  namespaced: true,
  schema: HorizontalPodAutoscalerV2Schema,
  storageResource,
  subresources: { status: true },
  hasGeneration: true,
  defaults: defaultHorizontalPodAutoscalerV2,
  prepareForCreate(obj) {
    delete obj.status;
  },
  validate: validateHorizontalPodAutoscalerV2,
  table: hpaTable,
};

export const horizontalpodautoscalersV1: ResourceType<HorizontalPodAutoscalerV1> = {
  group: 'autoscaling',
  version: 'v1',
  kind: 'HorizontalPodAutoscaler',
  resource: 'horizontalpodautoscalers',
  singular: 'horizontalpodautoscaler',
  shortNames: ['hpa'],
  categories: ['all'],
  namespaced: true,
  schema: HorizontalPodAutoscalerV1Schema,
  storageResource,
  conversion: hpaV1Conversion,
  subresources: { status: true },
  hasGeneration: true,
  defaults: defaultHorizontalPodAutoscalerV1,
  prepareForCreate(obj) {
    delete obj.status;
  },
  validate: validateHorizontalPodAutoscalerV1,
  // Printed through v2, so both versions show the same columns.
  table: { columns: hpaTable.columns, cells: (obj, now) => hpaTable.cells(hpaV1ToV2(obj), now) },
};

/** v2 first: the registry treats the first version registered as preferred. */
export const resources = [horizontalpodautoscalersV2, horizontalpodautoscalersV1] as ResourceType[];
