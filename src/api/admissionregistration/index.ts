/** admissionregistration.k8s.io/v1: schemas, defaults and validation; enforcement is a later issue. */
import type { ResourceType } from '../resource.js';
import { validatingadmissionpolicies, validatingadmissionpolicybindings } from './policies.js';
import { mutatingwebhookconfigurations, validatingwebhookconfigurations } from './webhooks.js';

export * from './webhooks.js';
export * from './policies.js';

export const resources: ResourceType[] = [
  mutatingwebhookconfigurations,
  validatingwebhookconfigurations,
  validatingadmissionpolicies,
  validatingadmissionpolicybindings,
] as ResourceType[];
