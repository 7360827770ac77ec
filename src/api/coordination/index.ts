/** coordination.k8s.io/v1. */
import type { ResourceType } from '../resource.js';
import { leases } from './lease.js';

export { leases, LeaseSchema, LeaseSpecSchema, type Lease, type LeaseSpec } from './lease.js';

export const resources: ResourceType[] = [leases as ResourceType];
