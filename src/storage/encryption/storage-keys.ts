/**
 * Which resource a storage key holds. The apiserver stores an object under
 * `/registry/<storageResource>/[<namespace>/]<name>`, where storageResource
 * is `<resource>` for the core group and `<group>/<resource>` otherwise
 * (src/api/resource.ts `storageResourceOf`, src/apiserver/resource-storage.ts
 * `keyFor`).
 */
import type { GroupResource } from './validation.js';

const registryPrefix = '/registry/';

/**
 * The API groups whose names have no dot: Kubernetes' own oldest ones.
 * Every other group is a domain name (custom resource groups must have a
 * dot), so a first key segment with a dot, or one of these, is a group.
 */
const groupsWithoutDot = new Set(['apps', 'autoscaling', 'batch', 'policy', 'extensions']);

/** The group ('' for core) and resource of a key, or undefined for a key that holds no resource. */
export function groupResourceOfKey(key: string): GroupResource | undefined {
  if (!key.startsWith(registryPrefix)) return undefined;
  const firstEnd = key.indexOf('/', registryPrefix.length);
  if (firstEnd <= registryPrefix.length) return undefined;
  const first = key.slice(registryPrefix.length, firstEnd);
  if (!first.includes('.') && !groupsWithoutDot.has(first)) return { group: '', resource: first };
  const secondEnd = key.indexOf('/', firstEnd + 1);
  if (secondEnd <= firstEnd + 1) return undefined;
  return { group: first, resource: key.slice(firstEnd + 1, secondEnd) };
}
