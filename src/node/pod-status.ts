/**
 * A pod's status computed from what the runtime reports, the way upstream's
 * kubelet words it: phase, the five pod conditions, one containerStatus per
 * container (state, lastState, restartCount, ready, started), IPs and start
 * time.
 */
import { timestamp as rfc3339 } from '../client/index.js';
import type { ContainerStatus } from './runtime/runtime.js';
import type { AgentPod } from './types.js';

export interface ContainerRecord {
  name: string;
  image: string;
  /** The current (newest) attempt. */
  current?: ContainerStatus;
  /** The attempt before, for lastState. */
  previous?: ContainerStatus;
  restartCount: number;
  /** Waiting reason when not running: ContainerCreating, PodInitializing, CrashLoopBackOff … */
  waitingReason?: string;
  waitingMessage?: string;
  /** A restartable init container (sidecar). */
  sidecar?: boolean;
  /** Probes' verdicts, when the container has probes: readiness, and whether its startup probe passed. */
  ready?: boolean;
  started?: boolean;
  /** An ephemeral container: never ready, and without `started` (upstream's kubelet sets neither). */
  ephemeral?: boolean;
}

export interface PodRuntimeView {
  sandboxReady: boolean;
  podIP?: string;
  hostIP: string;
  startTime: Date;
  init: ContainerRecord[];
  containers: ContainerRecord[];
  /** Ephemeral containers (kubectl debug): reported, never counted in the phase or readiness. */
  ephemeral?: ContainerRecord[];
  initDone: boolean;
}

function timestamp(date: Date | undefined): string | undefined {
  return date ? rfc3339(date) : undefined;
}

type Shown = 'running' | 'terminated' | 'waiting';

/** How a container shows in the status: its state, and the exit that lastState reports. */
function shown(record: ContainerRecord): { state: Shown; last?: ContainerStatus } {
  const c = record.current;
  if (record.waitingReason) {
    // Waiting to restart (CrashLoopBackOff): the exit just seen is the last state.
    return { state: 'waiting', last: c?.state === 'exited' ? c : record.previous };
  }
  if (c?.state === 'running') return { state: 'running', last: record.previous };
  if (c?.state === 'exited') return { state: 'terminated', last: record.previous };
  return { state: 'waiting', last: record.previous };
}

function terminated(c: ContainerStatus, runtimeName: string): Record<string, unknown> {
  return {
    terminated: {
      exitCode: c.exitCode ?? 0,
      reason: c.reason ?? (c.exitCode ? 'Error' : 'Completed'),
      ...(c.message ? { message: c.message } : {}),
      startedAt: timestamp(c.startedAt),
      finishedAt: timestamp(c.finishedAt),
      containerID: `${runtimeName}://${c.id}`,
    },
  };
}

function containerStatus(record: ContainerRecord, runtimeName: string): Record<string, unknown> {
  const { state, last } = shown(record);
  const c = record.current;
  let stateObject: Record<string, unknown>;
  if (state === 'running') stateObject = { running: { startedAt: timestamp(c!.startedAt) } };
  else if (state === 'terminated') stateObject = terminated(c!, runtimeName);
  else stateObject = { waiting: { reason: record.waitingReason ?? 'ContainerCreating', ...(record.waitingMessage ? { message: record.waitingMessage } : {}) } };
  return {
    name: record.name,
    image: record.image,
    imageID: '',
    ...(c ? { containerID: `${runtimeName}://${c.id}` } : {}),
    ready: !record.ephemeral && state === 'running' && (record.ready ?? true),
    ...(record.ephemeral ? {} : { started: state === 'running' && (record.started ?? true) }),
    restartCount: record.restartCount,
    state: stateObject,
    lastState: last?.state === 'exited' ? terminated(last, runtimeName) : {},
  };
}

/** Upstream's getPhase: from the containers' states and the restart policy. */
export function podPhase(pod: AgentPod, view: PodRuntimeView): string {
  const policy = pod.spec?.restartPolicy ?? 'Always';
  let pendingInit = 0;
  let failedInit = 0;
  for (const record of view.init) {
    const { state, last } = shown(record);
    // A running sidecar (restartable init container) no longer holds initialization up.
    if (state === 'running') {
      if (!record.sidecar) pendingInit++;
    } else if (record.sidecar) {
      if (!record.current) pendingInit++;
    } else if (state === 'terminated') {
      if ((record.current!.exitCode ?? 0) !== 0) failedInit++;
    } else if (last?.state === 'exited') {
      if ((last.exitCode ?? 0) !== 0) failedInit++;
    } else pendingInit++;
  }
  let running = 0;
  let waiting = 0;
  let stopped = 0;
  let succeeded = 0;
  let unknown = 0;
  for (const record of view.containers) {
    if (!record.current && !record.waitingReason) {
      unknown++;
      continue;
    }
    const { state, last } = shown(record);
    if (state === 'running') running++;
    else if (state === 'terminated') {
      stopped++;
      if ((record.current!.exitCode ?? 0) === 0) succeeded++;
    } else if (last?.state === 'exited') stopped++;
    else waiting++;
  }
  if (failedInit > 0 && policy === 'Never') return 'Failed';
  if (pendingInit > 0 || failedInit > 0 || !view.initDone) return 'Pending';
  if (waiting > 0) return 'Pending';
  if (running > 0 && unknown === 0) return 'Running';
  if (running === 0 && stopped > 0 && unknown === 0) {
    if (policy === 'Always') return 'Running';
    if (stopped === succeeded) return 'Succeeded';
    if (policy === 'Never') return 'Failed';
    return 'Running';
  }
  return 'Pending';
}

export function podStatus(pod: AgentPod, view: PodRuntimeView, runtimeName: string, now: Date): Record<string, unknown> {
  const phase = podPhase(pod, view);
  const allReady = view.containers.length > 0 && view.containers.every((r) => r.current?.state === 'running' && !r.waitingReason && (r.ready ?? true));
  const previous = pod.status?.conditions ?? [];
  const stamp = timestamp(now)!;
  const condition = (type: string, ok: boolean, reason?: string) => {
    const status = ok ? 'True' : 'False';
    const before = previous.find((c) => c.type === type);
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: before?.status === status ? before.lastTransitionTime : stamp,
      ...(reason && !ok ? { reason } : {}),
    };
  };
  const finished = phase === 'Succeeded' || phase === 'Failed';
  const conditions = [
    condition('PodReadyToStartContainers', view.sandboxReady),
    condition('Initialized', view.initDone, 'ContainersNotInitialized'),
    condition('Ready', allReady && !finished, finished ? 'PodCompleted' : 'ContainersNotReady'),
    condition('ContainersReady', allReady && !finished, finished ? 'PodCompleted' : 'ContainersNotReady'),
    ...previous.filter((c) => c.type === 'PodScheduled' || c.type === 'DisruptionTarget'),
  ];
  const status: Record<string, unknown> = {
    phase,
    conditions,
    hostIP: view.hostIP,
    hostIPs: [{ ip: view.hostIP }],
    startTime: timestamp(view.startTime),
    containerStatuses: view.containers.map((r) => containerStatus(r, runtimeName)),
  };
  if (view.init.length) status.initContainerStatuses = view.init.map((r) => containerStatus(r, runtimeName));
  if (view.ephemeral?.length) status.ephemeralContainerStatuses = view.ephemeral.map((r) => containerStatus(r, runtimeName));
  if (view.podIP) {
    status.podIP = view.podIP;
    status.podIPs = [{ ip: view.podIP }];
  }
  return status;
}
