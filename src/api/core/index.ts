/**
 * The core/v1 API group (''): every kind's description, plus the pod and
 * reference schemas, defaults and validation that other groups embed
 * (apps, batch: pod templates; StatefulSet: claim templates).
 */
import type { ResourceType } from '../resource.js';
import { pods, podtemplates } from './pod.js';
import { services, endpoints } from './service.js';
import { configmaps, secrets, serviceaccounts } from './config.js';
import { namespaces } from './namespace.js';
import { nodes } from './node.js';
import { events } from './event.js';
import { persistentvolumes, persistentvolumeclaims } from './storage.js';
import { resourcequotas, limitranges } from './quota.js';
import { replicationcontrollers } from './replicationcontroller.js';

export { PodSpecSchema, PodTemplateSpecSchema, PodSchema, PodTemplateSchema } from './schema/pod.js';
export { PersistentVolumeClaimSchema, PersistentVolumeClaimSpecSchema } from './schema/persistentvolumeclaim.js';
export {
  ObjectReferenceSchema,
  LocalObjectReferenceSchema,
  TypedLocalObjectReferenceSchema,
  TypedObjectReferenceSchema,
  NodeSelectorSchema,
  ResourceRequirementsSchema,
  TopologySelectorTermSchema,
  TopologySelectorLabelRequirementSchema,
  NodeSelectorTermSchema,
  SecretReferenceSchema,
} from './schema/common.js';
export { EventSourceSchema, EventSchema, NamespaceSchema, ConfigMapSchema, SecretSchema } from './schema/misc.js';
export { ServiceSchema, ServiceSpecSchema, LoadBalancerStatusSchema } from './schema/service.js';
export { NodeSchema, TaintSchema } from './schema/node.js';
export { PersistentVolumeSchema, PersistentVolumeSpecSchema } from './schema/persistentvolume.js';
export { VolumeSchema, PersistentVolumeClaimTemplateSchema } from './schema/volume.js';
export { PodSecurityContextSchema } from './schema/pod.js';
export { ContainerSchema, EphemeralContainerSchema, ProbeSchema, SecurityContextSchema } from './schema/container.js';
export { TolerationSchema, AffinitySchema, TopologySpreadConstraintSchema } from './schema/scheduling.js';
export { defaultPodSpec, defaultPodTemplateSpec, defaultPod } from './defaults-pod.js';
export { defaultPersistentVolumeClaim, defaultPersistentVolumeClaimSpec } from './defaults-storage.js';
export { validatePodSpec, validatePodTemplateSpec, type PodSpecValidationOptions } from './validate-podspec.js';
export { validateLabelSelector } from './validate-common.js';
export type { FieldErrorLike } from '../../machinery/status.js';

export { podQOSClass } from './qos.js';
export * from './node-fit.js';
export { podStatusCells } from './table-pod.js';
export { serviceNeedsNodePorts, portsNeedingNodePort, NODE_PORT_RANGE } from './service.js';
export { foldStringData } from './config.js';
export { templateSummary } from './pod.js';

export const resources: ResourceType[] = [
  pods, services, endpoints, configmaps, secrets, serviceaccounts, namespaces, nodes, events,
  persistentvolumes, persistentvolumeclaims, resourcequotas, limitranges, podtemplates, replicationcontrollers,
];
