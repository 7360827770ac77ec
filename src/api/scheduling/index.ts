/** scheduling.k8s.io/v1. */
import type { ResourceType } from '../resource.js';
import { priorityclasses } from './priorityclass.js';

export * from './priorityclass.js';

export const resources: ResourceType[] = [priorityclasses as ResourceType];
