/**
 * Choosing a node's runtime by name: the one place that knows which
 * runtimes exist. The CLI asks for `process`, `simulated` (or, with issue
 * 16, `containerd`) and gets a Runtime, with what the agent needs beside
 * it; nothing else in the agent or the CLI looks at which runtime it is —
 * they read the runtime's capabilities instead (runtime.ts).
 */
import { join } from 'node:path';
import type { Runtime } from './runtime.js';

export type RuntimeKind = 'process' | 'simulated';

/** Whether a node of this runtime waits for its pod range before it starts: its pods get addresses from it. */
export function runtimeNeedsPodCIDR(kind: RuntimeKind): boolean {
  return kind === 'process';
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
  /** Called once the agent has stopped: what the runtime leaves behind is tidied. */
  afterStop(): void;
}

/** Makes the runtime a node runs its pods with. */
export async function startNodeRuntime(kind: RuntimeKind, options: NodeRuntimeOptions): Promise<NodeRuntime> {
  if (kind === 'simulated') {
    const { SimulatedRuntime } = await import('./simulated/runtime.js');
    return { runtime: new SimulatedRuntime(), isolated: false, agentOptions: {}, afterStop: () => {} };
  }
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
  });
  // Image archives dropped into DIR/images/ are imported at start and while the node runs (air-gapped nodes).
  if (runtime.images) void watchImageDrops({ dir: join(options.dataDir, 'images'), images: runtime.images, signal: options.signal, log: options.log });
  return {
    runtime,
    isolated: runtime.isolated,
    // Secret and projected volumes in memory too, as the kubelet's tmpfs for each.
    agentOptions: location.inMemory ? { memoryVolumesDir: join(location.stateDir, 'pods') } : {},
    afterStop: () => removeIfNoPods(location),
  };
}
