/**
 * ImageLocality (Score): prefer nodes that already have the pod's images,
 * weighted by image size and by how widely the image is spread (an image on
 * every node says little about any one of them).
 */
import type { ScorePlugin } from '../framework/interface.js';
import { maxNodeScore } from '../framework/interface.js';
import type { Handle } from '../framework/interface.js';

export const name = 'ImageLocality';
const mb = 1024 * 1024;
const minThreshold = 23 * mb;
const maxContainerThreshold = 1000 * mb;

/** Image names as nodes report them: `nginx` is `docker.io/library/nginx:latest`. */
export function normalizedImageName(image: string): string {
  let name = image;
  if (!/[:@][^/]*$/.test(name)) name += ':latest';
  return name;
}

export function imageLocality(_args: unknown, handle: Handle): ScorePlugin {
  return {
    name,
    score(_state, pod, nodeInfo) {
      const images = nodeInfo.node?.status?.images ?? [];
      if (!images.length) return 0;
      const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
      const totalNodes = handle.snapshot.list().length || 1;
      let sum = 0;
      for (const container of containers) {
        if (!container.image) continue;
        const wanted = normalizedImageName(container.image);
        const image = images.find((i) => (i.names ?? []).some((n) => n === wanted || n === container.image || n.endsWith(`/${wanted}`)));
        if (!image) continue;
        const spread = handle.snapshot.list().filter((n) => (n.node?.status?.images ?? []).some((i) => (i.names ?? []).some((x) => x === wanted || x === container.image || x.endsWith(`/${wanted}`)))).length;
        sum += (image.sizeBytes ?? 0) * (spread / totalNodes);
      }
      const maxThreshold = maxContainerThreshold * Math.max(1, containers.length);
      const clamped = Math.min(Math.max(sum, minThreshold), maxThreshold);
      return Math.trunc((maxNodeScore * (clamped - minThreshold)) / (maxThreshold - minThreshold));
    },
  };
}
