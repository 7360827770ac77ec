/**
 * A cluster for tests of metrics.k8s.io: an in-process apiserver whose
 * resource metrics come from fake node agents (each node's containers at
 * fixed rates, every exposition 10 s after the last), Ready nodes and
 * running pods.
 */
import { startTestServer, type TestServer } from '../testing.js';
import { serveResourceMetrics } from './index.js';
import type { ResourceMetricsService } from './service.js';
import type { ScrapeTarget } from './scrape.js';

export interface FakeAgent {
  nodeCores: number;
  nodeMemoryBytes: number;
  /** `namespace/pod/container` → [cores, memory bytes]. */
  containers: Record<string, [number, number]>;
}

export interface MetricsCluster {
  api: TestServer;
  service: ResourceMetricsService;
  agents: Map<string, FakeAgent>;
  scrapes: string[];
  addNode(name: string, labels?: Record<string, string>, ready?: boolean): Promise<void>;
  addPod(namespace: string, name: string, nodeName: string, containers: string[], labels?: Record<string, string>, phase?: string): Promise<void>;
  close(): Promise<void>;
}

const started = Date.parse('2026-03-01T10:00:00Z');

export async function startMetricsCluster(): Promise<MetricsCluster> {
  const api = await startTestServer();
  const agents = new Map<string, FakeAgent>();
  const scrapes: string[] = [];
  // Each agent's clock moves 10 s per scrape, so windows and rates are exact whatever the real time.
  const scrapeCounts = new Map<string, number>();
  const fetch = async (target: ScrapeTarget): Promise<string> => {
    scrapes.push(target.nodeName);
    const agent = agents.get(target.nodeName);
    if (!agent) throw new Error('request failed, status: "404 Not Found"');
    const count = (scrapeCounts.get(target.nodeName) ?? 0) + 1;
    scrapeCounts.set(target.nodeName, count);
    const seconds = 1000 + count * 10;
    const now = started + seconds * 1000;
    const lines = [`node_cpu_usage_seconds_total ${agent.nodeCores * seconds} ${now}`, `node_memory_working_set_bytes ${agent.nodeMemoryBytes} ${now}`];
    for (const [key, [cores, memory]] of Object.entries(agent.containers)) {
      const [namespace, pod, container] = key.split('/');
      const labels = `container="${container}",namespace="${namespace}",pod="${pod}"`;
      lines.push(`container_cpu_usage_seconds_total{${labels}} ${cores * seconds} ${now}`, `container_memory_working_set_bytes{${labels}} ${memory} ${now}`);
      lines.push(`container_start_time_seconds{${labels}} ${started / 1000} ${now}`);
    }
    return lines.join('\n');
  };
  const service = serveResourceMetrics(api.server.context, { fetch, primingWindowMs: 0 });

  const ok = async (response: Promise<{ status: number; body: string }>) => {
    const answer = await response;
    if (answer.status >= 300) throw new Error(`${answer.status}: ${answer.body}`);
  };
  return {
    api,
    service,
    agents,
    scrapes,
    async addNode(name, labels = {}, ready = true) {
      await ok(api.request('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } }));
      const status = {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
        conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', lastHeartbeatTime: '2026-03-01T10:00:00Z', lastTransitionTime: '2026-03-01T10:00:00Z' }],
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        allocatable: { cpu: '4', memory: '8Gi', pods: '110' },
      };
      await ok(api.request('PATCH', `/api/v1/nodes/${name}/status`, { status }, { 'Content-Type': 'application/merge-patch+json' }));
    },
    async addPod(namespace, name, nodeName, containers, labels = {}, phase = 'Running') {
      if (namespace !== 'default') await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { nodeName, containers: containers.map((c) => ({ name: c, image: 'busybox' })) } };
      await ok(api.request('POST', `/api/v1/namespaces/${namespace}/pods`, pod));
      await ok(api.request('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { status: { phase } }, { 'Content-Type': 'application/merge-patch+json' }));
    },
    close: () => api.close(),
  };
}
