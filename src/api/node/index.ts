/** node.k8s.io/v1. */
import type { ResourceType } from '../resource.js';
import { runtimeclasses } from './runtimeclass.js';

export * from './runtimeclass.js';

export const resources: ResourceType[] = [runtimeclasses as ResourceType];
