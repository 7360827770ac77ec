/** networking.k8s.io/v1. */
import type { ResourceType } from '../resource.js';
import { ingressclasses, ingresses } from './ingress.js';
import { networkpolicies } from './networkpolicy.js';

export { ingresses, ingressclasses } from './ingress.js';
export * from './ingress-schema.js';
export { validateIngress, validateIngressClass, validateIngressSpec, pathTypes } from './ingress-validation.js';
export * from './networkpolicy.js';

export const resources: ResourceType[] = [ingresses, ingressclasses, networkpolicies] as ResourceType[];
