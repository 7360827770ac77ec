/** authentication.k8s.io/v1: reviews about who a request's user is. */
import type { ResourceType } from '../resource.js';
import { selfsubjectreviews } from './selfsubjectreview.js';

export * from './selfsubjectreview.js';

export const resources: ResourceType[] = [selfsubjectreviews as ResourceType];
