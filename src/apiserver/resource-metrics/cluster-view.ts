/**
 * The Nodes and Pods the resource metrics are about, read from the
 * apiserver's watch caches (as metrics-server reads its informers): the
 * cached objects themselves, never copied and never changed.
 */
import type { KubeObject } from '../../machinery/object.js';
import type { ServerContext } from '../context.js';
import type { ScrapedNode } from './scrape.js';

export interface MetricsNode extends ScrapedNode {
  metadata: { name?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
}

export interface MetricsPod {
  metadata: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

export interface ClusterView {
  nodes(): Promise<readonly MetricsNode[]>;
  node(name: string): Promise<MetricsNode | undefined>;
  /** Pods of one namespace, or of all. */
  pods(namespace: string | undefined): Promise<readonly MetricsPod[]>;
  pod(namespace: string, name: string): Promise<MetricsPod | undefined>;
}

/** Reads through the server's caches of core/v1 nodes and pods, synced with storage first (a client reads its own writes). */
export function clusterViewOf(server: ServerContext): ClusterView {
  const reader = (resource: 'nodes' | 'pods') => {
    const type = server.registry.find('', 'v1', resource);
    if (!type) return undefined;
    const storage = server.storageFor(type);
    return {
      async list(namespace?: string): Promise<KubeObject[]> {
        const cache = await storage.cache();
        await cache.sync();
        return cache.list(storage.keyPrefixFor(namespace)).map((entry) => storage.view(entry));
      },
      async get(namespace: string | undefined, name: string): Promise<KubeObject | undefined> {
        const cache = await storage.cache();
        await cache.sync();
        const entry = cache.get(storage.keyFor(namespace, name));
        return entry && storage.view(entry);
      },
    };
  };
  const nodes = reader('nodes');
  const pods = reader('pods');
  return {
    nodes: async () => ((await nodes?.list()) ?? []) as MetricsNode[],
    node: async (name) => (await nodes?.get(undefined, name)) as MetricsNode | undefined,
    pods: async (namespace) => ((await pods?.list(namespace)) ?? []) as MetricsPod[],
    pod: async (namespace, name) => (await pods?.get(namespace, name)) as MetricsPod | undefined,
  };
}
