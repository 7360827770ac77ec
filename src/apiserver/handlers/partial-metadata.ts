/**
 * `PartialObjectMetadata`: an object reduced to its metadata, which clients
 * ask for (`Accept: ...;as=PartialObjectMetadata`) when they need names,
 * labels and owners but not the body (garbage collector, `kubectl get -o name`).
 */
import type { KubeObject } from '../../machinery/object.js';

export function partialMetadata(object: KubeObject, version: string): KubeObject {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: object.metadata };
}
