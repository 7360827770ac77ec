/** apiextensions.k8s.io/v1: CustomResourceDefinitions, and what they add to the API. */
import type { ResourceType } from '../resource.js';
import { customresourcedefinitions } from './customresourcedefinition.js';

export * from './types.js';
export * from './customresourcedefinition.js';
export { customResourceTypes } from './custom-resource-types.js';
export { acceptNames } from './naming.js';

export const resources: ResourceType[] = [customresourcedefinitions as ResourceType];
