/**
 * What controller tests share: a real in-process apiserver, the controller
 * manager on a clock the test can move, and a stand-in for the node agent
 * (none exists yet) that writes pod status the way a kubelet would.
 */
import { startTestServer, type TestServer } from '../../src/apiserver/testing.js';
import { Client, SharedInformer, type ResourceRef } from '../../src/client/index.js';
import { controllerManager } from '../../src/controllers/index.js';
import { signCertificateRequest, type CertificateRequestSigning } from '../../src/apiserver/pki/index.js';
import type { Pod } from '../../src/controllers/util/pods.js';

export const resources = {
  pods: { group: '', version: 'v1', resource: 'pods', kind: 'Pod', namespaced: true },
  namespaces: { group: '', version: 'v1', resource: 'namespaces', kind: 'Namespace', namespaced: false },
  nodes: { group: '', version: 'v1', resource: 'nodes', kind: 'Node', namespaced: false },
  services: { group: '', version: 'v1', resource: 'services', kind: 'Service', namespaced: true },
  endpoints: { group: '', version: 'v1', resource: 'endpoints', kind: 'Endpoints', namespaced: true },
  persistentVolumeClaims: { group: '', version: 'v1', resource: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true },
  persistentVolumes: { group: '', version: 'v1', resource: 'persistentvolumes', kind: 'PersistentVolume', namespaced: false },
  resourceQuotas: { group: '', version: 'v1', resource: 'resourcequotas', kind: 'ResourceQuota', namespaced: true },
  configMaps: { group: '', version: 'v1', resource: 'configmaps', kind: 'ConfigMap', namespaced: true },
  events: { group: '', version: 'v1', resource: 'events', kind: 'Event', namespaced: true },
  leases: { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true },
  endpointSlices: { group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', kind: 'EndpointSlice', namespaced: true },
  jobs: { group: 'batch', version: 'v1', resource: 'jobs', kind: 'Job', namespaced: true },
  cronJobs: { group: 'batch', version: 'v1', resource: 'cronjobs', kind: 'CronJob', namespaced: true },
  statefulSets: { group: 'apps', version: 'v1', resource: 'statefulsets', kind: 'StatefulSet', namespaced: true },
  daemonSets: { group: 'apps', version: 'v1', resource: 'daemonsets', kind: 'DaemonSet', namespaced: true },
  controllerRevisions: { group: 'apps', version: 'v1', resource: 'controllerrevisions', kind: 'ControllerRevision', namespaced: true },
  podDisruptionBudgets: { group: 'policy', version: 'v1', resource: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true },
} satisfies Record<string, ResourceRef>;

/** Polls until `accept` holds for what `probe` returns, or fails saying what it last saw. */
export async function eventually<T>(probe: () => Promise<T> | T, accept: (value: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen: ${JSON.stringify(value)?.slice(0, 2000)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A clock that runs with real time but can be moved forward, or stopped. */
export class TestClock {
  private offsetMs = 0;
  private stoppedAt?: number;
  now = (): Date => new Date(this.stoppedAt ?? Date.now() + this.offsetMs);
  advance(ms: number): void {
    if (this.stoppedAt !== undefined) this.stoppedAt += ms;
    else this.offsetMs += ms;
  }
  /**
   * Stops the clock at the real time now; from then on only advance()
   * moves it. A test of minute schedules needs this: with a running clock,
   * a test that happened to run across a real minute boundary saw one
   * scheduled run more than it made.
   */
  stopAtRealTime(): void {
    this.stoppedAt = Date.now();
  }
}

export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface ControllerTestCluster {
  api: TestServer;
  client: Client;
  clock: TestClock;
  /** Namespaces whose new pods the stand-in node leaves Pending. */
  holdNotReady: Set<string>;
  /** Ends a pod as a kubelet would report it: Succeeded, or Failed with an exit code. */
  finishPod(pod: Pod, phase: 'Succeeded' | 'Failed', exitCode?: number): Promise<void>;
  createNamespace(name: string): Promise<void>;
  podsOf(namespace: string): Promise<Pod[]>;
  close(): Promise<void>;
}

export interface ControllerTestOptions {
  /** Which built-in controllers run, as `--controllers` (default: all). */
  controllers?: string[];
  /** Whether the stand-in node marks new pods Running and Ready (default true). */
  playNode?: boolean;
  /** Sign CertificateSigningRequests with the test server's CA (runs the csrsigning controller). */
  signWithClusterCA?: boolean;
}

export async function startControllerTestCluster(options: ControllerTestOptions = {}): Promise<ControllerTestCluster> {
  const api = await startTestServer();
  const client = new Client(api.credentials);
  const clock = new TestClock();
  const stop = new AbortController();
  const holdNotReady = new Set<string>();
  const ca = { certPem: api.pki.caCertPem, keyPem: api.pki.caKeyPem };
  const clusterSigner = options.signWithClusterCA ? { sign: (request: CertificateRequestSigning) => signCertificateRequest(ca, request) } : undefined;
  const manager = controllerManager(client, { now: clock.now, controllers: options.controllers, clusterSigner });
  void manager.run(stop.signal);
  const pods = client.resource<Pod>(resources.pods);

  if (options.playNode !== false) {
    const informer = new SharedInformer<Pod>(pods);
    const markReady = async (pod: Pod) => {
      if (holdNotReady.has(pod.metadata.namespace!) || (pod.status?.phase && pod.status.phase !== 'Pending') || pod.metadata.deletionTimestamp) return;
      const now = rfc3339(new Date());
      await pods
        // The resourceVersion makes this a compare-and-swap: it never overwrites what a test wrote meanwhile.
        .patch(
          pod.metadata.namespace,
          pod.metadata.name!,
          { metadata: { resourceVersion: pod.metadata.resourceVersion }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: now }] } },
          'merge',
          { subresource: 'status' },
        )
        .catch(() => {});
    };
    informer.addEventHandler({ add: (pod) => void markReady(pod), update: (_old, pod) => void markReady(pod) });
    informer.start(stop.signal);
  }
  await manager.waitForSync();

  return {
    api,
    client,
    clock,
    holdNotReady,
    async finishPod(pod, phase, exitCode = phase === 'Succeeded' ? 0 : 1) {
      const finishedAt = rfc3339(new Date());
      const containers = ((pod.spec?.containers ?? []) as { name?: string }[]).map((c) => ({
        name: c.name,
        image: 'x',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode, reason: phase === 'Succeeded' ? 'Completed' : 'Error', startedAt: finishedAt, finishedAt } },
      }));
      await pods.patch(
        pod.metadata.namespace,
        pod.metadata.name!,
        { status: { phase, conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: finishedAt }], containerStatuses: containers } },
        'merge',
        { subresource: 'status' },
      );
    },
    async createNamespace(name) {
      await client.resource(resources.namespaces).create({ metadata: { name } });
    },
    async podsOf(namespace) {
      return (await pods.list(namespace)).items;
    },
    async close() {
      stop.abort();
      client.close();
      await api.close();
    },
  };
}
