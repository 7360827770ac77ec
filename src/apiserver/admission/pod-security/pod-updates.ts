/**
 * Which pod updates Pod Security judges. Most of a pod is immutable once
 * created; what can change what a pod runs is a container's image and a new
 * ephemeral container, so only those updates are judged (upstream's
 * isSignificantPodUpdate). Others pass, even in a namespace whose policy the
 * pod no longer meets, so such pods can still be labelled, finalized, deleted.
 */
import { listOf, text, type Container, type PodSpec } from './pod-spec.js';

const imageOf = (container: Container | undefined) => text(container?.image);

export function isSignificantPodUpdate(spec: PodSpec, oldSpec: PodSpec): boolean {
  const containers = listOf(spec.containers);
  const oldContainers = listOf(oldSpec.containers);
  const initContainers = listOf(spec.initContainers);
  const oldInitContainers = listOf(oldSpec.initContainers);
  if (containers.length !== oldContainers.length || initContainers.length !== oldInitContainers.length) return true;
  if (containers.some((c, i) => imageOf(c) !== imageOf(oldContainers[i]))) return true;
  if (initContainers.some((c, i) => imageOf(c) !== imageOf(oldInitContainers[i]))) return true;
  const oldEphemeral = new Map<string, Container>();
  for (const container of listOf(oldSpec.ephemeralContainers)) {
    const name = text(container?.name);
    if (!oldEphemeral.has(name)) oldEphemeral.set(name, container);
  }
  return listOf(spec.ephemeralContainers).some((container) => {
    const old = oldEphemeral.get(text(container?.name));
    return old === undefined || imageOf(container) !== imageOf(old);
  });
}
