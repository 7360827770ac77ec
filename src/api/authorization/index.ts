/** authorization.k8s.io/v1: reviews asking the apiserver's authorizers. */
import type { ResourceType } from '../resource.js';
import { localsubjectaccessreviews, selfsubjectaccessreviews, selfsubjectrulesreviews, subjectaccessreviews } from './reviews.js';

export * from './schema.js';
export * from './reviews.js';

// Upstream's discovery order for the group.
export const resources: ResourceType[] = [localsubjectaccessreviews, selfsubjectaccessreviews, selfsubjectrulesreviews, subjectaccessreviews] as ResourceType[];
