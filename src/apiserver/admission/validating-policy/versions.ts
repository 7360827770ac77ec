/**
 * Other versions of a requested resource (matchPolicy Equivalent) and the
 * conversion of the request's objects to the version a policy matched.
 * Two resource types are equivalent when they are stored in the same place
 * (autoscaling/v1 and v2 HorizontalPodAutoscalers, core and events.k8s.io
 * Events, the versions of a CRD), as upstream's equivalent resource mapper
 * keys them by storage.
 */
import { storageResourceOf, type ResourceType } from '../../../api/resource.js';
import type { KubeObject } from '../../../machinery/object.js';

export function equivalentTypes(requested: ResourceType, all: readonly ResourceType[]): ResourceType[] {
  const storage = storageResourceOf(requested);
  return all.filter((type) => type !== requested && storageResourceOf(type) === storage);
}

/** The object as `to`'s version shows it: through the storage version, as the apiserver converts. */
export async function convertObject(object: KubeObject | undefined, from: ResourceType, to: ResourceType): Promise<KubeObject | undefined> {
  if (!object || from === to) return object;
  const copy = structuredClone(object);
  const conversionFrom = from.conversion;
  const stored = !conversionFrom ? copy : conversionFrom.toStorageAsync ? await conversionFrom.toStorageAsync(copy) : conversionFrom.toStorage(copy);
  const conversionTo = to.conversion;
  if (!conversionTo) return stored;
  if (conversionTo.fromStorageAsync) return (await conversionTo.fromStorageAsync([stored]))[0];
  return conversionTo.fromStorage(stored);
}
