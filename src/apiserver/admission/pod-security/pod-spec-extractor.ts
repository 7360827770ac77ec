/**
 * Where a pod's metadata and spec live in the objects Pod Security judges:
 * pods themselves, and the workload resources whose pod templates become
 * pods (upstream's DefaultPodSpecExtractor).
 */
import type { KubeObject } from '../../../machinery/object.js';
import type { PodMetadata, PodSpec } from './pod-spec.js';

/** `group/resource` of every resource with a pod spec, `''` being the core group. */
const podSpecResources = new Set([
  '/pods',
  '/replicationcontrollers',
  '/podtemplates',
  'apps/replicasets',
  'apps/deployments',
  'apps/statefulsets',
  'apps/daemonsets',
  'batch/jobs',
  'batch/cronjobs',
]);

export function hasPodSpec(group: string, resource: string): boolean {
  return podSpecResources.has(`${group}/${resource}`);
}

export interface ExtractedPod {
  metadata: PodMetadata;
  spec: PodSpec;
}

const objectOr = <T>(value: unknown, fallback: T): T => (value && typeof value === 'object' && !Array.isArray(value) ? (value as T) : fallback);

/** A template's metadata and spec; a missing part reads as empty, as Go's zero values do. */
function fromTemplate(template: unknown): ExtractedPod {
  const t = objectOr<{ metadata?: unknown; spec?: unknown }>(template, {});
  return { metadata: objectOr<PodMetadata>(t.metadata, {}), spec: objectOr<PodSpec>(t.spec, {}) };
}

/**
 * The pod to judge in `object`, or undefined when there is none to judge
 * (a ReplicationController without a template: its template is optional).
 */
export function extractPodSpec(group: string, resource: string, object: KubeObject): ExtractedPod | undefined {
  const spec = objectOr<Record<string, unknown>>(object.spec, {});
  switch (`${group}/${resource}`) {
    case '/pods':
      return { metadata: object.metadata ?? {}, spec: spec as PodSpec };
    case '/podtemplates':
      return fromTemplate(object.template);
    case '/replicationcontrollers':
      return spec.template === undefined || spec.template === null ? undefined : fromTemplate(spec.template);
    case 'batch/cronjobs': {
      const jobSpec = objectOr<Record<string, unknown>>(objectOr<Record<string, unknown>>(spec.jobTemplate, {}).spec, {});
      return fromTemplate(jobSpec.template);
    }
    default:
      return hasPodSpec(group, resource) ? fromTemplate(spec.template) : undefined;
  }
}
