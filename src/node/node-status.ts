/**
 * What the agent says about its node: capacity and allocatable from the
 * machine, addresses, system info, labels, and the four conditions
 * upstream's kubelet keeps (Ready, MemoryPressure, DiskPressure,
 * PIDPressure).
 */
import { readdirSync, readFileSync, statfsSync } from 'node:fs';
import os from 'node:os';
import type { KubeObject } from '../machinery/object.js';
import { timestamp } from '../client/index.js';

export interface NodeIdentity {
  name: string;
  runtime: string;
  /** The runtime's own `<name>://<version>` (containerd's), shown as nodeInfo.containerRuntimeVersion. */
  runtimeVersion?: string;
  /** A directory on the node's main disk, for DiskPressure (machine nodes only). */
  dataDir?: string;
  /** Resources to announce instead of the machine's (simulated nodes). */
  capacity?: Record<string, string>;
  labels?: Record<string, string>;
  /** Said on the Node for `skiff status` (skiff.dev/proxy-mode, skiff.dev/ingress): how the node's network serves. */
  annotations?: Record<string, string>;
  address?: string;
  /** The node's pod range (spec.podCIDR), when its runtime gives pods their own IPs. */
  podCIDR?: string;
}

export const kubeletVersion = 'v1.32.0-skiff';

function architecture(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

/** The first non-internal IPv4 address of the machine, else loopback. */
export function machineAddress(): string {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) if (address.family === 'IPv4' && !address.internal) return address.address;
  }
  return '127.0.0.1';
}

export function machineCapacity(): Record<string, string> {
  return {
    cpu: String(os.cpus().length),
    memory: `${Math.floor(os.totalmem() / 1024)}Ki`,
    'ephemeral-storage': '100Gi',
    pods: '110',
  };
}


export function nodeObject(identity: NodeIdentity): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: identity.name,
      labels: {
        'kubernetes.io/hostname': identity.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': architecture(),
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': architecture(),
        ...identity.labels,
      },
      ...(identity.annotations ? { annotations: identity.annotations } : {}),
    },
    ...(identity.podCIDR ? { spec: { podCIDR: identity.podCIDR, podCIDRs: [identity.podCIDR] } } : {}),
  };
}

export interface Pressure {
  memory: boolean;
  disk: boolean;
  pid: boolean;
}

/**
 * The machine's pressure, by upstream's default eviction thresholds:
 * memory.available < 100Mi, nodefs.available < 10 %, and fewer than 10 % of
 * process ids left.
 */
/** Memory the machine can still give (MemAvailable: free memory plus caches it can drop), in bytes. */
export function availableMemory(): number {
  try {
    const match = /^MemAvailable:\s+(\d+) kB/m.exec(readFileSync('/proc/meminfo', 'utf8'));
    if (match) return Number(match[1]) * 1024;
  } catch {
    /* not Linux */
  }
  return os.freemem();
}

export function machinePressure(dataDir: string | undefined): Pressure {
  const memory = availableMemory() < 100 * 1024 * 1024;
  let disk = false;
  if (dataDir) {
    try {
      const fs = statfsSync(dataDir);
      disk = fs.bavail / fs.blocks < 0.1;
    } catch {
      disk = false;
    }
  }
  let pid = false;
  try {
    const max = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8').trim());
    const used = readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).length;
    pid = max > 0 && (max - used) / max < 0.1;
  } catch {
    pid = false;
  }
  return { memory, disk, pid };
}

/** The node's status as the agent reports it now. */
/** Upstream's cap on the images a Node's status lists (the kubelet's nodeStatusMaxImages). */
export const maxNodeStatusImages = 50;

/** `status.images` as the kubelet writes it: the largest images first, each with its names (tags and digests) and size. */
export function nodeImages(images: { repoTags: string[]; repoDigests: string[]; size: number }[]): { names: string[]; sizeBytes: number }[] {
  return images
    .filter((image) => image.repoTags.length + image.repoDigests.length > 0)
    .sort((a, b) => b.size - a.size)
    .slice(0, maxNodeStatusImages)
    .map((image) => ({ names: [...image.repoDigests, ...image.repoTags], sizeBytes: image.size }));
}

/** How the node's runtime isolates pods, for the node's ContainerIsolation condition. */
export interface IsolationInfo {
  mode: 'root' | 'rootless' | 'none';
  /** What it means here, in words (the runtime's). */
  message?: string;
}

/**
 * skiff's own condition (upstream has none for it): whether pods run
 * isolated, and how — so `kubectl describe node` tells a rootless or
 * unisolated node from one that runs containers as root.
 */
function isolationCondition(isolation: IsolationInfo): [status: string, reason: string, message: string] {
  if (isolation.mode === 'root') return ['True', 'Isolated', 'pods run in namespaces of their own with cgroup limits, containers in their images (the runtime runs as root)'];
  if (isolation.mode === 'rootless') return ['True', 'Rootless', isolation.message ?? 'pods run in user namespaces of an ordinary user'];
  return ['False', 'NoIsolation', isolation.message ?? 'containers run as plain processes of the node'];
}

export function nodeStatus(
  identity: NodeIdentity,
  now: Date,
  previous?: { conditions?: { type: string; status: string; lastTransitionTime?: string }[] },
  pressure: Pressure = { memory: false, disk: false, pid: false },
  isolation?: IsolationInfo,
): Record<string, unknown> {
  const capacity = identity.capacity ?? machineCapacity();
  const stamp = timestamp(now);
  const condition = (type: string, status: string, reason: string, message: string) => {
    const before = previous?.conditions?.find((c) => c.type === type);
    return { type, status, reason, message, lastHeartbeatTime: stamp, lastTransitionTime: before?.status === status ? before.lastTransitionTime : stamp };
  };
  return {
    capacity,
    allocatable: capacity,
    conditions: [
      pressure.memory
        ? condition('MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available')
        : condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
      pressure.disk
        ? condition('DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure')
        : condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
      pressure.pid
        ? condition('PIDPressure', 'True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available')
        : condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
      condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ...(isolation ? [condition('ContainerIsolation', ...isolationCondition(isolation))] : []),
    ],
    addresses: [
      { type: 'InternalIP', address: identity.address ?? machineAddress() },
      { type: 'Hostname', address: identity.name },
    ],
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: os.release(),
      osImage: `${os.type()} ${os.release()}`,
      containerRuntimeVersion: identity.runtimeVersion ?? `skiff-${identity.runtime}://0.1.0`,
      kubeletVersion,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: architecture(),
    },
    daemonEndpoints: { kubeletEndpoint: { Port: 0 } },
  };
}
