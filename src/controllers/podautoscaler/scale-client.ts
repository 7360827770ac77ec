/**
 * The scale subresource of whatever an HPA targets (Deployments, StatefulSets,
 * ReplicaSets, custom resources with a scale subresource), as client-go's
 * scale client: the kind is resolved to a resource through discovery, the
 * autoscaling/v1 Scale is read from and written to
 * `/apis/<group>/<version>/namespaces/<ns>/<resource>/<name>/scale`.
 */
import type { CrossVersionObjectReference } from '../../api/autoscaling/index.js';
import type { KubeObject } from '../../machinery/object.js';
import type { RestRequester } from './metrics-client.js';
import { parseGroupVersion, type RestMapper } from './rest-mapper.js';

/** autoscaling/v1 Scale. */
export interface Scale extends KubeObject {
  spec?: { replicas?: number };
  status?: { replicas?: number; selector?: string };
}

/** The resource a scale was read from, so it is written back to the same place. */
export interface ScaleTarget {
  group: string;
  version: string;
  resource: string;
}

export interface ScaleClient {
  /** The target's scale; throws with upstream's message (bad apiVersion, unknown kind, or the GET's error). */
  get(namespace: string, ref: CrossVersionObjectReference, signal?: AbortSignal): Promise<{ scale: Scale; target: ScaleTarget }>;
  update(namespace: string, target: ScaleTarget, scale: Scale, signal?: AbortSignal): Promise<Scale>;
}

function scalePath(namespace: string, target: ScaleTarget, name: string): string {
  const root = target.group ? `/apis/${target.group}/${target.version}` : `/api/${target.version}`;
  return `${root}/namespaces/${encodeURIComponent(namespace)}/${target.resource}/${encodeURIComponent(name)}/scale`;
}

export class RestScaleClient implements ScaleClient {
  constructor(
    private readonly rest: RestRequester,
    private readonly mapper: RestMapper,
  ) {}

  async get(namespace: string, ref: CrossVersionObjectReference, signal?: AbortSignal): Promise<{ scale: Scale; target: ScaleTarget }> {
    const { group } = parseGroupVersion(ref.apiVersion);
    const mappings = await this.mapper.mappings(group, ref.kind ?? '', signal);
    // Each version in turn, as upstream's scaleForResourceMappings; the first error is the one reported.
    let firstError: unknown;
    for (const mapping of mappings) {
      const target = { group: mapping.group, version: mapping.version, resource: mapping.resource };
      try {
        const scale = await this.rest.request<Scale>('GET', scalePath(namespace, target, ref.name ?? ''), { signal });
        return { scale, target };
      } catch (err) {
        firstError ??= err;
        if (signal?.aborted) break;
      }
    }
    throw firstError ?? new Error('unrecognized resource');
  }

  update(namespace: string, target: ScaleTarget, scale: Scale, signal?: AbortSignal): Promise<Scale> {
    const body = { ...scale, apiVersion: 'autoscaling/v1', kind: 'Scale' };
    return this.rest.request<Scale>('PUT', scalePath(namespace, target, scale.metadata.name ?? ''), { body, signal });
  }
}
