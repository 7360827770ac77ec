/** rbac.authorization.k8s.io/v1. */
import type { ResourceType } from '../resource.js';
import { clusterrolebindings, clusterroles, rolebindings, roles } from './rbac.js';

export * from './rbac.js';
export * from './schema.js';
export * from './validation.js';
export { authorize, forbiddenReason, PolicyIndex, ruleAllows, subjectMatches, type Decision, type Policy, type RequestAttributes, type UserIdentity } from './authorize.js';

// Upstream's discovery order for the group.
export const resources: ResourceType[] = [clusterrolebindings, clusterroles, rolebindings, roles] as ResourceType[];
