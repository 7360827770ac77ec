/**
 * ImageLocality (Score): prefer nodes that already have the pod's images,
 * weighted by image size and by how widely the image is spread (an image on
 * every node says little about any one of them).
 */
import { StateKey } from '../framework/cycle-state.js';
import type { Handle, PreScorePlugin, ScorePlugin } from '../framework/interface.js';
import { maxNodeScore } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';

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

const spreadKey = new StateKey<Map<string, number>>(`PreScore${name}`);

function nodeHasImage(node: NodeInfo, image: string, wanted: string): boolean {
  return (node.node?.status?.images ?? []).some((i) => (i.names ?? []).some((n) => n === wanted || n === image || n.endsWith(`/${wanted}`)));
}

export function imageLocality(_args: unknown, handle: Handle): PreScorePlugin & ScorePlugin {
  return {
    name,
    // How widely each of the pod's images is spread, once per pod rather than once per node scored.
    preScore(state, pod) {
      const nodes = handle.snapshot.list();
      const spread = new Map<string, number>();
      for (const container of [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]) {
        if (!container.image || spread.has(container.image)) continue;
        const wanted = normalizedImageName(container.image);
        spread.set(container.image, nodes.length ? nodes.filter((n) => nodeHasImage(n, container.image!, wanted)).length / nodes.length : 0);
      }
      state.write(spreadKey, spread);
      return undefined;
    },
    score(state, pod, nodeInfo) {
      const images = nodeInfo.node?.status?.images ?? [];
      if (!images.length) return 0;
      const spread = state.read(spreadKey) ?? new Map<string, number>();
      const containers = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])];
      let sum = 0;
      for (const container of containers) {
        if (!container.image) continue;
        const wanted = normalizedImageName(container.image);
        const image = images.find((i) => (i.names ?? []).some((n) => n === wanted || n === container.image || n.endsWith(`/${wanted}`)));
        if (image) sum += (image.sizeBytes ?? 0) * (spread.get(container.image) ?? 0);
      }
      const maxThreshold = maxContainerThreshold * Math.max(1, containers.length);
      const clamped = Math.min(Math.max(sum, minThreshold), maxThreshold);
      return Math.trunc((maxNodeScore * (clamped - minThreshold)) / (maxThreshold - minThreshold));
    },
  };
}
