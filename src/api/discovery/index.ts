/** discovery.k8s.io/v1. */
import type { ResourceType } from '../resource.js';
import { endpointslices } from './endpointslice.js';

export { endpointslices } from './endpointslice.js';
export * from './schema.js';
export { validateEndpointSlice, addressTypes } from './validation.js';

export const resources: ResourceType[] = [endpointslices as ResourceType];
