/**
 * The node agent (skiff's kubelet): registers its Node, proves it is alive
 * through a Lease in `kube-node-lease`, watches the pods bound to it, and
 * gives each a worker that runs it on the runtime and reports its status.
 *
 *   register Node (labels, capacity, conditions) ─► renew Lease every 10 s
 *                                                  (and refresh conditions every minute)
 *   informer: pods with spec.nodeName=<node> ─► PodWorker per pod uid
 *   runtime container events ─────────────────► that pod's worker syncs again
 *   PodSyncQueue (the client's work queue): a failed sync retried with
 *   backoff, every pod resynced about every minute; a rejected pod's status
 *   write and the removal of orphaned sandboxes go through it too
 */
import type { ContainerLogLayout } from './container-logs.js';
import type { Client, ResourceClient } from '../client/index.js';
import {
  EventRecorder,
  SharedInformer,
  configMapsResource,
  leasesResource,
  microTime,
  nodesResource,
  persistentVolumeClaimsResource,
  persistentVolumesResource,
  podsResource,
  runtimeClassesResource,
  secretsResource,
  serviceAccountsResource,
  servicesResource,
  sleep,
} from '../client/index.js';
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';
import { availableMemory, machineAddress, machinePressure, nodeImages, nodeObject, nodeStatus, type NodeIdentity, type Pressure } from './node-status.js';
import { memoryRequest, pressureMessage, rankForEviction, type EvictionCandidate, type EvictionResource } from './eviction.js';
import { PodWorker } from './pod-worker.js';
import { ImagePuller } from './image-puller.js';
import { ImageGarbageCollector, type ImageGcPolicy } from './image-gc.js';
import type { Runtime } from './runtime/runtime.js';
import { startNodeServer, type NodeServer, type NodeServerTls } from './server.js';
import { delegatedAuthenticator, delegatedAuthorizer, kubeletAuth } from '../client/delegated-auth/index.js';
import { KubeletMetrics, NodeStatsProvider, instrumentRuntime, nodeMetricsHandler, runtimeStateOf } from './metrics/index.js';
import type { AgentPod } from './types.js';
import type { EnvSources } from './env.js';
import { admit } from './admission.js';
import { SysctlAllowlist } from './sysctls.js';
import type { VolumeSources } from './volumes.js';
import { LocalPathProvisioner } from './local-path.js';
import { NodePodFeed, type PodFeed } from './pod-feed.js';
import { PodSyncQueue, type PodSyncQueueOptions } from './pod-sync-queue.js';
import type { ClusterDnsSettings } from './dns-config.js';
import { SharedReads } from './shared-reads.js';
import { join } from 'node:path';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { whenAborted } from '../machinery/abort.js';

export const nodeLeaseNamespace = 'kube-node-lease';


export interface AgentOptions {
  identity: NodeIdentity;
  runtime: Runtime;
  /**
   * The client of the local-path provisioner, which binds claims as a volume
   * binder does: not the node's identity (NodeRestriction lets a node change
   * only claims' status), but its own (skiff:local-path-provisioners).
   */
  provisionerClient?: Client;
  /** Image garbage collection's thresholds (the kubelet's flags); default 85 %, 80 %, 2 minutes. */
  imageGc?: ImageGcPolicy;
  /** The sysctls pods may set here: the safe ones and the kubelet's `--allowed-unsafe-sysctls` (default: the safe ones). */
  sysctls?: SysctlAllowlist;
  now?: () => Date;
  log?: (event: Record<string, unknown>) => void;
  /** How often the Lease is renewed (upstream: 10 s, for a 40 s lease). */
  leaseRenewMs?: number;
  /** How often the node's conditions are re-posted even when nothing changed (upstream: 5 min; here 1 min). */
  statusRefreshMs?: number;
  /** The cluster DNS this node's pods use (dnsPolicy ClusterFirst). */
  clusterDNS?: ClusterDnsSettings;
  /** The machine's pressure (default: measured, for process runtimes); tests inject their own. */
  pressure?: () => Pressure;
  /** Where pods come from; default: this node's own watch of its pods. */
  podFeed?: PodFeed;
  /** The agent's HTTPS endpoint (logs) with a certificate from the cluster CA; without it, no endpoint. */
  serving?: NodeServerTls & { port?: number };
  /** When pods are synced again: resync period and the backoff of failed syncs (defaults: the kubelet's habits, pod-sync-queue.ts). */
  podSync?: PodSyncQueueOptions;
  /**
   * The Services of a namespace, for containers' environment variables: from
   * an informer (runNodeAgent gives one, as the kubelet has); default: a
   * list request per container start.
   */
  services?: EnvSources['services'];
  /**
   * A directory on a tmpfs for pods' secret and projected volumes
   * (`<dir>/<pod uid>/volumes`), which hold credentials — the kubelet
   * mounts a tmpfs for each such volume; default: on disk with the other
   * volumes, in DIR/pods.
   */
  memoryVolumesDir?: string;
  /** Where containers' logs go, in the kubelet's layout (container-logs.ts); default: where the runtime puts them. */
  logs?: ContainerLogLayout;
}

export class NodeAgent {
  private readonly workers = new Map<string, PodWorker>();
  /** The kubelet_* metrics (GET /metrics on the node's endpoint). */
  readonly metrics: KubeletMetrics;
  /** Containers', pods' and the node's use of cpu, memory, network and disk (/metrics/resource, /metrics/cadvisor). */
  private readonly stats: NodeStatsProvider;
  private readonly pods: ResourceClient<AgentPod>;
  private readonly nodes: ResourceClient;
  private readonly leases: ResourceClient;
  private readonly now: () => Date;
  private readonly log: (event: Record<string, unknown>) => void;
  private readonly hostIP: string;
  private node: KubeObject | undefined;
  /** ConfigMaps, Secrets and Services for containers' environments, read when a container starts. */
  private readonly envSources: EnvSources = {
    configMap: (namespace, name) => this.readShared(configMapsResource, namespace, name),
    secret: (namespace, name) => this.readShared(secretsResource, namespace, name),
    services: (namespace) => this.options.services?.(namespace) ?? this.listServices(namespace),
  };
  /** What volumes are made of: the objects above, claims and volumes, and service account tokens. */
  private readonly volumeSources: VolumeSources = {
    ...this.envSources,
    persistentVolumeClaim: (namespace, name) => this.client.resource(persistentVolumeClaimsResource).find(namespace, name),
    persistentVolume: (name) => this.client.resource(persistentVolumesResource).find(undefined, name),
    serviceAccountToken: async (namespace, serviceAccount, audience, expirationSeconds, pod) => {
      const request = {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: { name: serviceAccount, namespace },
        spec: { audiences: audience ? [audience] : [], expirationSeconds, boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid } },
      };
      const path = this.client.resource(serviceAccountsResource).path(namespace, serviceAccount, 'token');
      const response = await this.client.rest.request<{ status?: { token?: string } }>('POST', path, { body: request });
      if (!response.status?.token) throw new Error('the TokenRequest returned no token');
      return response.status.token;
    },
  };
  /** Reads of ConfigMaps and Secrets under way, by path: pods starting together share one. */
  private readonly reads = new SharedReads<(KubeObject & { data?: Record<string, string> }) | undefined>();
  private endpointPort = 0;
  private pressure: Pressure = { memory: false, disk: false, pid: false };
  private readonly recorder: EventRecorder;
  /** Every state-writing piece of work of the agent: pod syncs, with retries and resync. */
  private readonly syncs: PodSyncQueue;
  /** Removes unused images when the image file system fills up (runtimes that run images). */
  private readonly imageGc: ImageGarbageCollector | undefined;
  /** The sysctls pods may set here (checked at admission). */
  private readonly sysctls: SysctlAllowlist;
  /** The images the last posted status listed (see imagesChanged). */
  private postedImages = '';
  /** Pulls images for runtimes that run them; one for all pods, so back-offs and shared pulls are the node's. */
  private readonly imagePuller: ImagePuller | undefined;
  /** Teardowns of deleted pods under way (their workers no longer tracked): a graceful stop waits for them. */
  private readonly removals = new Set<Promise<void>>();

  constructor(
    private readonly client: Client,
    private readonly options: AgentOptions,
  ) {
    // The kubelet_* metrics: every runtime call is counted and timed, as the kubelet's instrumented CRI client does.
    this.metrics = new KubeletMetrics({ nodeName: options.identity.name, runtimeState: () => runtimeStateOf(this.options.runtime) });
    this.options = { ...options, runtime: instrumentRuntime(options.runtime, (operation, seconds, failed) => this.metrics.runtimeOperation(operation, seconds, failed)) };
    this.stats = new NodeStatsProvider({ runtime: this.options.runtime, pods: () => this.workers.values(), machine: options.identity.dataDir !== undefined, dataDir: options.identity.dataDir });
    this.pods = client.resource<AgentPod>(podsResource);
    this.nodes = client.resource(nodesResource);
    this.leases = client.resource(leasesResource);
    this.now = options.now ?? (() => new Date());
    this.log = options.log ?? (() => {});
    this.hostIP = options.identity.address ?? machineAddress();
    this.recorder = new EventRecorder(client, 'kubelet', this.now, options.identity.name);
    this.syncs = new PodSyncQueue({ ...options.podSync, log: options.podSync?.log ?? this.log });
    this.sysctls = options.sysctls ?? new SysctlAllowlist();
    this.imagePuller = options.runtime.images ? new ImagePuller(options.runtime.images, () => this.now().getTime()) : undefined;
    this.imageGc = options.runtime.images
      ? new ImageGarbageCollector(this.options.runtime.images!, () => this.imagesInUse(), () => this.now().getTime(), (reason, message) => {
          if (this.node) this.recorder.event(this.node, 'Warning', reason, message);
        }, options.imageGc)
      : undefined;
  }

  /** The ids of the images the node's containers use (exited ones too, while they exist), for image garbage collection. */
  private async imagesInUse(): Promise<Set<string>> {
    const { runtime } = this.options;
    const names = new Set<string>();
    for (const sandbox of await runtime.listPodSandboxes()) for (const container of await runtime.listContainers(sandbox.id)) names.add(container.image);
    const ids = new Set<string>();
    for (const name of names) {
      const image = await runtime.images?.imageStatus(name);
      if (image) ids.add(image.id);
    }
    return ids;
  }

  /** A RuntimeClass's handler (undefined when there is no such RuntimeClass). */
  private async runtimeHandler(name: string): Promise<string | undefined> {
    const runtimeClass = (await this.client.resource(runtimeClassesResource).find(undefined, name)) as (KubeObject & { handler?: string }) | undefined;
    return runtimeClass ? (runtimeClass.handler ?? '') : undefined;
  }

  /** Reads a ConfigMap or Secret, joining a read of the same object already under way (shared-reads.ts). */
  private readShared(resource: typeof configMapsResource, namespace: string, name: string) {
    const client = this.client.resource<KubeObject & { data?: Record<string, string> }>(resource);
    return this.reads.read(client.path(namespace, name), () => client.find(namespace, name));
  }

  private async listServices(namespace: string): ReturnType<EnvSources['services']> {
    return (await this.client.resource(servicesResource).list(namespace)).items as Awaited<ReturnType<EnvSources['services']>>;
  }

  get name(): string {
    return this.options.identity.name;
  }

  /** Creates the Node, or takes over an existing one (a restart), then reports its status. */
  async register(): Promise<void> {
    const wanted = nodeObject({ ...this.options.identity, address: this.hostIP });
    let node = await this.nodes.find(undefined, this.name);
    if (!node) {
      try {
        node = await this.nodes.create(wanted);
        this.log({ msg: 'node registered', node: this.name });
      } catch (err) {
        if (!isStatusError(err, 'AlreadyExists')) throw err;
        node = await this.nodes.get(undefined, this.name);
      }
    } else {
      node = await this.nodes.patch(undefined, this.name, { metadata: { labels: wanted.metadata.labels, ...(wanted.metadata.annotations ? { annotations: wanted.metadata.annotations } : {}) } }, 'merge');
    }
    this.node = node;
    await this.postStatus();
  }

  private async postStatus(): Promise<void> {
    const previous = (this.node?.status as { conditions?: { type: string; status: string; lastTransitionTime?: string }[] } | undefined) ?? undefined;
    this.pressure = this.measurePressure();
    const { runtime } = this.options;
    const isolation = runtime.isolation ? { mode: runtime.isolation, message: runtime.describeIsolation?.() } : undefined;
    const status = nodeStatus({ ...this.options.identity, address: this.hostIP }, this.now(), previous, this.pressure, isolation);
    status.daemonEndpoints = { kubeletEndpoint: { Port: this.endpointPort } };
    // The scheduler's ImageLocality reads these.
    if (this.options.runtime.images) {
      const images = await this.options.runtime.images.listImages();
      status.images = nodeImages(images);
      this.postedImages = imageSignature(images);
    }
    this.node = await this.nodes.patch(undefined, this.name, { status }, 'merge', { subresource: 'status' });
  }

  /** Whether the node's images changed since the last status (pulled, imported or removed): said at the next heartbeat. */
  private async imagesChanged(): Promise<boolean> {
    const images = this.options.runtime.images;
    return images !== undefined && imageSignature(await images.listImages()) !== this.postedImages;
  }

  private measurePressure(): Pressure {
    if (this.options.pressure) return this.options.pressure();
    return this.options.runtime.capabilities.machine ? machinePressure(this.options.identity.dataDir) : this.pressure;
  }

  /** Evicts the pod that upstream's ranking puts first (see eviction.ts). */
  private async evictOne(resource: EvictionResource): Promise<void> {
    const running = [...this.workers.values()].filter((w) => !w.finished && !w.podObject.metadata.deletionTimestamp);
    if (!running.length) return;
    const candidates: (EvictionCandidate & { worker: PodWorker })[] = [];
    for (const worker of running) {
      const containers = (worker.podObject.spec?.containers ?? []) as { name: string; resources?: { requests?: Record<string, string> } }[];
      candidates.push({
        worker,
        key: worker.podKey,
        priority: (worker.podObject.spec as { priority?: number } | undefined)?.priority ?? 0,
        usage: resource === 'memory' ? await worker.usage() : {},
        requests: Object.fromEntries(containers.map((c) => [c.name, resource === 'memory' ? memoryRequest(c.resources) : 0])),
      });
    }
    const victim = rankForEviction(candidates)[0] as (typeof candidates)[number];
    const threshold = resource === 'memory' ? '100Mi' : '10%';
    victim.worker.evict(pressureMessage(resource, threshold, resource === 'memory' ? availableMemory() : 0, victim), resource === 'memory' ? 'memory.available' : 'nodefs.available');
  }

  /** Renews (or creates) the node's Lease: the heartbeat the node lifecycle controller watches. */
  async renewLease(): Promise<void> {
    const spec = { holderIdentity: this.name, leaseDurationSeconds: 40, renewTime: microTime(this.now()) };
    try {
      await this.leases.patch(nodeLeaseNamespace, this.name, { spec }, 'merge');
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
      const owner = this.node ? [{ apiVersion: 'v1', kind: 'Node', name: this.name, uid: this.node.metadata.uid! }] : undefined;
      await this.leases.create({ metadata: { name: this.name, namespace: nodeLeaseNamespace, ownerReferences: owner }, spec } as KubeObject).catch((e) => {
        if (!isStatusError(e, 'AlreadyExists')) throw e;
      });
    }
  }

  /** Pods this node turned away at admission (by uid): never run, never asked again. */
  private readonly rejected = new Set<string>();
  /** Admission decisions are made one at a time, in the order pods are seen. */
  private admissions: Promise<void> = Promise.resolve();

  /**
   * Checks a newly seen pod against this node (affinity, resources left by
   * the pods already admitted); a rejected pod is marked Failed with
   * upstream's reason and message. Pods already running were admitted before.
   */
  private async admitOrReject(pod: AgentPod): Promise<boolean> {
    if (pod.status?.phase === 'Running' || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed' || pod.metadata.deletionTimestamp) return true;
    const admitted = [...this.workers.values()].filter((w) => !w.finished).map((w) => w.podObject);
    // As the kubelet's admit handlers, in its order: the sysctl allowlist, then the node's predicates.
    const rejection =
      this.sysctls.admit(pod) ?? (this.node ? admit(pod as Parameters<typeof admit>[0], this.node as Parameters<typeof admit>[1], admitted as Parameters<typeof admit>[2]) : undefined);
    if (!rejection) return true;
    this.rejected.add(pod.metadata.uid!);
    const podKey = `${pod.metadata.namespace}/${pod.metadata.name}`;
    this.log({ msg: 'pod rejected', pod: podKey, reason: rejection.reason });
    this.recorder.event(pod, 'Warning', rejection.reason, rejection.message);
    // The Failed status is written through the sync queue: a failed write is retried (a pod gone meanwhile ends it).
    const status = { phase: 'Failed', reason: rejection.reason, message: rejection.message };
    this.syncs.request({
      podKey,
      stopped: false,
      settled: true,
      sync: () =>
        this.pods
          .patch(pod.metadata.namespace, pod.metadata.name!, { status }, 'merge', { subresource: 'status' })
          .then(() => undefined, (err) => {
            if (!isStatusError(err, 'NotFound')) throw err;
          }),
    });
    return false;
  }

  private enqueue(pod: AgentPod): void {
    this.admissions = this.admissions.then(() => this.podSeen(pod)).catch((err) => this.log({ msg: 'pod admission failed', error: (err as Error).message }));
  }

  /** The worker of a pod, created (after admission) on first sight; undefined for a rejected pod. */
  private async podSeen(pod: AgentPod): Promise<void> {
    const uid = pod.metadata.uid!;
    if (this.rejected.has(uid)) return;
    if (!this.workers.has(uid) && !(await this.admitOrReject(pod))) return;
    this.workerFor(pod).update(pod);
  }

  private workerFor(pod: AgentPod): PodWorker {
    const uid = pod.metadata.uid!;
    let worker = this.workers.get(uid);
    if (!worker) {
      const { runtime, identity } = this.options;
      const volumes =
        runtime.capabilities.machine && identity.dataDir
          ? { sources: this.volumeSources, podsDir: join(identity.dataDir, 'pods'), memoryPodsDir: this.options.memoryVolumesDir, canMount: runtime.describeIsolation?.() === undefined }
          : undefined;
      worker = new PodWorker(pod, {
        runtime,
        recorder: this.recorder,
        envSources: this.envSources,
        volumes,
        clusterDNS: this.options.clusterDNS,
        pods: this.pods,
        hostIP: this.hostIP,
        now: this.now,
        log: this.log,
        syncs: this.syncs,
        imagePuller: this.imagePuller,
        runtimeHandler: (name) => this.runtimeHandler(name),
        logs: this.options.logs,
        metrics: this.metrics,
      });
      this.workers.set(uid, worker);
    }
    return worker;
  }

  /**
   * Sandboxes an earlier agent left for pods that are gone from the API
   * (deleted while no agent ran): stopped and removed once the pod list
   * has been read — through the sync queue, so a failure is retried.
   */
  private async removeOrphans(feed: PodFeed, signal: AbortSignal): Promise<void> {
    await feed.waitForSync(signal);
    if (signal.aborted) return;
    let done = false;
    this.syncs.request({
      podKey: 'orphaned sandboxes',
      get stopped() {
        return done || signal.aborted;
      },
      settled: true,
      sync: async () => {
        const known = new Set(feed.podsOf(this.name).map((pod) => pod.metadata.uid));
        for (const sandbox of await this.options.runtime.listPodSandboxes()) {
          if (known.has(sandbox.podUid)) continue;
          this.log({ msg: 'removing the sandbox of a pod that is gone', podUid: sandbox.podUid });
          await this.options.runtime.removePodSandbox(sandbox.id);
        }
        done = true;
      },
    });
  }

  /**
   * The agent's HTTPS endpoint, on the port it had before when there was a
   * before (kept in DIR/agent-port): the Node keeps pointing at a port that
   * answers across restarts, as the kubelet's fixed 10250 does.
   */
  private async startEndpoint(serving: NodeServerTls & { port?: number }): Promise<NodeServer> {
    const portFile = this.options.identity.dataDir ? join(this.options.identity.dataDir, 'agent-port') : undefined;
    let wanted = serving.port ?? 0;
    if (!serving.port && portFile && existsSync(portFile)) wanted = Number(readFileSync(portFile, 'utf8').trim()) || 0;
    // As the kubelet's webhook authentication and authorization: the apiserver says who a token is and what they may do.
    const auth = kubeletAuth({
      nodeName: this.name,
      authenticator: delegatedAuthenticator({ client: this.client, caPem: serving.caPem, log: this.log }),
      authorizer: delegatedAuthorizer({ client: this.client }),
      log: this.log,
    });
    const routes = nodeMetricsHandler({ kubelet: this.metrics, stats: this.stats, log: this.log });
    const start = (port: number) => startNodeServer(serving, this.hostIP, port, () => this.workers.values(), auth, routes);
    let endpoint: NodeServer;
    try {
      endpoint = await start(wanted);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || wanted === 0) throw err;
      endpoint = await start(0);
    }
    if (portFile) writeFileSync(portFile, String(endpoint.port));
    return endpoint;
  }

  /** Registers, then runs until the signal aborts (the pods keep their state in the runtime). */
  async run(signal: AbortSignal): Promise<void> {
    let endpoint: NodeServer | undefined;
    if (this.options.serving) {
      endpoint = await this.startEndpoint(this.options.serving);
      this.endpointPort = endpoint.port;
      whenAborted(signal, () => void endpoint?.close());
    }
    await this.options.runtime.recover?.();
    await this.register();
    await this.renewLease();
    const noIsolation = this.options.runtime.describeIsolation?.();
    if (noIsolation && this.node) {
      // Say plainly what this node cannot do.
      if (this.options.runtime.isolation === 'rootless') this.recorder.event(this.node, 'Normal', 'Rootless', noIsolation);
      else this.recorder.event(this.node, 'Warning', 'NoIsolation', noIsolation);
    }
    const feed = this.options.podFeed ?? new NodePodFeed(this.pods, this.name, signal);
    this.options.runtime.onContainerEvent((sandboxId) => {
      for (const worker of this.workers.values()) if (worker.sandboxId === sandboxId) worker.update();
    });
    const unsubscribe = feed.subscribe(this.name, {
      add: (pod) => this.enqueue(pod),
      update: (_previous, pod) => this.enqueue(pod),
      delete: (pod) => {
        // A rejected pod that is gone needs no memory of it.
        this.rejected.delete(pod.metadata.uid!);
        const worker = this.workers.get(pod.metadata.uid!);
        if (!worker) return;
        this.workers.delete(pod.metadata.uid!);
        this.imagePuller?.forgetPod(pod.metadata.uid!);
        // A graceful stop waits for it (below): a pod deleted just before does not leave its namespace, bridge port or cgroups.
        const removal: Promise<void> = worker.remove().finally(() => this.removals.delete(removal));
        this.removals.add(removal);
      },
    });
    void this.removeOrphans(feed, signal);
    if (this.options.runtime.capabilities.machine && this.options.identity.dataDir) {
      new LocalPathProvisioner(this.options.provisionerClient ?? this.client, this.name, join(this.options.identity.dataDir, 'storage'), this.log).run(signal);
    }

    const leaseEvery = this.options.leaseRenewMs ?? 10_000;
    const statusEvery = this.options.statusRefreshMs ?? 60_000;
    let lastStatus = this.now().getTime();
    // As the kubelet's loop: a first collection at start, then every 5 minutes.
    let lastImageGc = -Infinity;
    while (!signal.aborted) {
      await sleep(leaseEvery, signal);
      if (signal.aborted) break;
      try {
        await this.renewLease();
        // A change of pressure is reported at once, not at the next periodic refresh.
        const pressure = this.measurePressure();
        const changed = pressure.memory !== this.pressure.memory || pressure.disk !== this.pressure.disk || pressure.pid !== this.pressure.pid;
        if (changed || (await this.imagesChanged()) || this.now().getTime() - lastStatus >= statusEvery) {
          await this.postStatus();
          lastStatus = this.now().getTime();
        }
        // As the kubelet's image manager, every 5 minutes.
        if (this.imageGc && this.now().getTime() - lastImageGc >= imageGcEveryMs) {
          lastImageGc = this.now().getTime();
          await this.imageGc.collect().catch((err: Error) => this.log({ msg: 'image garbage collection failed', error: err.message }));
        }
        // Under pressure, one pod goes per round (every 10 s), as upstream's eviction manager does.
        if (pressure.memory) await this.evictOne('memory');
        else if (pressure.disk) await this.evictOne('ephemeral-storage');
      } catch (err) {
        this.log({ msg: 'heartbeat failed', node: this.name, error: (err as Error).message });
      }
    }
    unsubscribe();
    this.options.runtime.beginShutdown?.();
    await Promise.all(this.removals);
    await Promise.all([...this.workers.values()].map((worker) => worker.halt()));
    this.syncs.shutDown();
    await this.options.runtime.shutdown?.();
  }
}

function imageSignature(images: { id: string; repoTags: string[] }[]): string {
  return images.map((image) => `${image.id} ${image.repoTags.join(',')}`).sort().join('\n');
}

/** How often unused images are collected when the disk fills (upstream's ImageGCPeriod). */
const imageGcEveryMs = 5 * 60_000;
