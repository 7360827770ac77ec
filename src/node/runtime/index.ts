/**
 * Choosing a node's runtime by name: the one place that knows which
 * runtimes exist. The CLI asks for `process`, `simulated` (or, with issue
 * 16, `containerd`) and gets a Runtime, with what the agent needs beside
 * it; nothing else in the agent or the CLI looks at which runtime it is —
 * they read the runtime's capabilities instead (runtime.ts).
 */
import { readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Runtime } from './runtime.js';

export type RuntimeKind = 'process' | 'simulated' | 'containerd';

export const runtimeKinds: RuntimeKind[] = ['process', 'simulated', 'containerd'];

/** Whether a node of this runtime waits for its pod range before it starts: its pods get addresses from it. */
export function runtimeNeedsPodCIDR(kind: RuntimeKind): boolean {
  return kind === 'process' || kind === 'containerd';
}

export interface NodeRuntimeOptions {
  dataDir: string;
  /** The node's IP, which pods on the host network share. */
  address: string;
  /** The node's pod range, for runtimes that give pods addresses. */
  podCIDR?: string;
  isolation?: 'auto' | 'none';
  /** The registries file (k3s's registries.yaml format). */
  registries?: string;
  /** Where container logs go when the agent does not say (`<logDir>/pods/…`). */
  logDir: string;
  /** The node's name (a shared containerd's other clients' pods are left alone). */
  nodeName?: string;
  /** containerd: the CRI socket of a containerd run by someone else (`unix:///run/containerd/containerd.sock`); without it skiff runs its own. */
  containerRuntimeEndpoint?: string;
  /** `skiff up`: the pods stop with the node; `skiff agent`: they keep running for the next agent to adopt. */
  stopOnShutdown: boolean;
  signal: AbortSignal;
  log: (event: Record<string, unknown>) => void;
}

export interface NodeRuntime {
  runtime: Runtime;
  /** Whether pods get their own network namespace and an address of the pod range (the node then says its podCIDR). */
  isolated: boolean;
  /** What the agent takes from the runtime's setup (a tmpfs for secret volumes). */
  agentOptions: { memoryVolumesDir?: string };
  /** Called once the agent has stopped: what the runtime leaves behind is tidied (a managed containerd stops). */
  afterStop(): void | Promise<void>;
}

/** Makes the runtime a node runs its pods with. */
export async function startNodeRuntime(kind: RuntimeKind, options: NodeRuntimeOptions): Promise<NodeRuntime> {
  if (kind === 'simulated') {
    const { SimulatedRuntime } = await import('./simulated/runtime.js');
    return { runtime: new SimulatedRuntime(), isolated: false, agentOptions: {}, afterStop: () => {} };
  }
  if (kind === 'containerd') return startContainerdRuntime(options);
  const [{ ProcessRuntime }, { runtimeStateLocation, removeIfNoPods }, { nodeImageService }, { watchImageDrops }] = await Promise.all([
    import('./process/runtime.js'),
    import('./process/state-dir.js'),
    import('../images/index.js'),
    import('../images/drop-dir.js'),
  ]);
  // Where the pods' state lives: in memory where it can (process/state-dir.ts).
  const location = runtimeStateLocation(options.dataDir);
  options.log({ msg: location.note, stateDir: location.stateDir, inMemory: location.inMemory });
  const runtime = new ProcessRuntime({
    logDir: options.logDir,
    stateDir: location.stateDir,
    ...(location.snapshotDir ? { snapshotDir: location.snapshotDir } : {}),
    hostIP: options.address,
    podCIDR: options.podCIDR,
    isolation: options.isolation,
    stopOnShutdown: options.stopOnShutdown,
    images: nodeImageService(options.dataDir, options.registries),
    // Localhost seccomp profiles: files under DIR/seccomp, as for containerd.
    seccompProfileRoot: join(options.dataDir, 'seccomp'),
  });
  // Image archives dropped into DIR/images/ are imported at start and while the node runs (air-gapped nodes).
  const images = runtime.images;
  if (images) {
    const [{ importArchiveFile }] = await Promise.all([import('../images/archive-import.js')]);
    void watchImageDrops({
      dir: join(options.dataDir, 'images'),
      importArchive: async (path) => (await importArchiveFile(images, path)).map((image) => image.repoTags[0] ?? image.id),
      stateFile: join(images.content.root, 'imported-archives.json'),
      signal: options.signal,
      log: options.log,
    });
  }
  return {
    runtime,
    isolated: runtime.isolated,
    // Secret and projected volumes in memory too, as the kubelet's tmpfs for each.
    agentOptions: location.inMemory ? { memoryVolumesDir: join(location.stateDir, 'pods') } : {},
    afterStop: () => removeIfNoPods(location),
  };
}

/**
 * containerd through the CRI: the one at --container-runtime-endpoint, or
 * one skiff configures and supervises itself (managed mode, as k3s does),
 * with the node's bridge and pod range as its CNI network.
 */
async function startContainerdRuntime(options: NodeRuntimeOptions): Promise<NodeRuntime> {
  const [{ CriRuntime }, { BridgeNetwork }] = await Promise.all([import('./cri/cri-runtime.js'), import('./process/network.js')]);
  if (!options.podCIDR) throw new Error('the containerd runtime needs the node\'s pod range (--pod-cidr, or the node IPAM controller)');
  // The same bridge and gateway as the process runtime's: the service proxy, DNS and NetworkPolicy work unchanged.
  const network = new BridgeNetwork(options.podCIDR);
  let endpoint = options.containerRuntimeEndpoint;
  let sandboxImage: string | undefined;
  let snapshotter: string | undefined;
  let podCgroups = false;
  // A managed containerd outlives the agent's last call: it stops once the agent has stopped its pods (afterStop),
  // not when the node's signal aborts — or sandboxes would be left to containerd's shims with nobody to end them.
  const containerdLifetime = new AbortController();
  let containerdStopped: Promise<void> = Promise.resolve();
  let containerdState: string | undefined;
  if (!endpoint) {
    const [{ startManagedContainerd }, { loadRegistries }] = await Promise.all([import('./cri/containerd/index.js'), import('../images/registries.js')]);
    const registries = loadRegistries(options.registries ?? join(options.dataDir, 'registries.yaml'), options.registries !== undefined);
    const managed = await startManagedContainerd({ dataDir: options.dataDir, podCIDR: options.podCIDR, registries, log: options.log, signal: containerdLifetime.signal });
    containerdStopped = managed.stopped;
    containerdState = dirname(managed.socket);
    options.log({ msg: 'containerd started', endpoint: managed.endpoint, cgroupDriver: managed.cgroupDriver, snapshotter: managed.snapshotter, log: managed.logFile });
    endpoint = managed.endpoint;
    sandboxImage = managed.sandboxImage;
    snapshotter = managed.snapshotter;
    // A cgroup per pod where the parent's form is known to be a path (pod-cgroups.ts).
    podCgroups = managed.cgroupDriver === 'cgroupfs';
  }
  const runtime = await CriRuntime.connect({
    endpoint,
    node: options.nodeName,
    hostIP: options.address,
    sandboxImage,
    podLogsDir: join(options.logDir, 'pods'),
    // Localhost seccomp profiles are files under DIR/seccomp, as under the kubelet's /var/lib/kubelet/seccomp.
    seccompProfileRoot: join(options.dataDir, 'seccomp'),
    podCgroups,
    stopOnShutdown: options.stopOnShutdown,
    log: options.log,
  });
  runtime.prepareNetwork = async () => {
    await network.ensureBridge();
    return { address: network.gateway, bridge: network.bridge };
  };
  // Image archives dropped into DIR/images/ go into containerd's images (air-gapped nodes), as k3s imports its agent/images.
  const [{ watchImageDrops }, { importImages }, { uncompressedFile }] = await Promise.all([import('../images/drop-dir.js'), import('./cri/containerd/ctr.js'), import('../images/uncompressed.js')]);
  const address = endpoint.replace(/^unix:\/\//, '');
  void watchImageDrops({
    dir: join(options.dataDir, 'images'),
    importArchive: async (path) => importImages({ address, signal: options.signal }, await uncompressedFile(path), snapshotter),
    stateFile: join(options.dataDir, 'containerd-imported-archives.json'),
    signal: options.signal,
    log: options.log,
  });
  return {
    runtime,
    isolated: true,
    agentOptions: {},
    afterStop: async () => {
      containerdLifetime.abort();
      await containerdStopped;
      // `skiff up`: the pods are gone, and their bridge goes too, as the process runtime removes its own —
      // and containerd's state (task bundles, sockets), once nothing is mounted under it any more.
      if (options.stopOnShutdown) {
        await network.remove();
        if (containerdState && !mountedUnder(containerdState)) rmSync(containerdState.endsWith('/containerd') ? dirname(containerdState) : containerdState, { recursive: true, force: true });
      }
    },
  };
}

/** Whether anything is mounted at or below `dir` (a sandbox's shm, a container's root): then it must not be removed. */
function mountedUnder(dir: string): boolean {
  try {
    return readFileSync('/proc/self/mounts', 'utf8')
      .split('\n')
      .some((line) => {
        const target = line.split(' ')[1] ?? '';
        return target === dir || target.startsWith(`${dir}/`);
      });
  } catch {
    return true;
  }
}
