/** authentication.k8s.io/v1: reviews about who a request's user is. */
import type { ResourceType } from '../resource.js';
import { selfsubjectreviews } from './selfsubjectreview.js';
import { tokenreviews } from './tokenreview.js';

export * from './selfsubjectreview.js';
export * from './tokenreview.js';

// Upstream's discovery order for the group.
export const resources: ResourceType[] = [selfsubjectreviews as ResourceType, tokenreviews as ResourceType];
