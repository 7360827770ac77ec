/**
 * The pods table as `kubectl get pods` shows it. The STATUS cell follows
 * upstream's printPod exactly: init container progress, waiting/terminated
 * reasons, sidecars (restartable init containers), Terminating and NodeLost.
 */
import type { TableConvertor } from '../resource.js';
import type { KubeObject } from '../../machinery/object.js';
import { AGE_COLUMN, NAME_COLUMN, age, column, since } from './table-util.js';
import { arr } from './validate-common.js';

type Status = Record<string, any>;

const isRestartable = (c: any): boolean => c?.restartPolicy === 'Always';

function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  if (!b) return a;
  if (!a) return b;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/** READY, STATUS and RESTARTS of a pod. */
export function podStatusCells(pod: KubeObject, now: Date): { ready: string; status: string; restarts: string } {
  const spec = (pod.spec ?? {}) as Record<string, any>;
  const status = (pod.status ?? {}) as Status;
  const initSpecs = new Map<string, any>(arr(spec.initContainers).map((c) => [c?.name, c]));
  const total = arr(spec.containers).length + arr(spec.initContainers).filter(isRestartable).length;
  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: string | undefined;
  let lastSidecarRestart: string | undefined;
  let reason: string = status.reason || status.phase || '';
  for (const c of arr(status.conditions)) {
    if (c?.type === 'PodScheduled' && c?.reason === 'SchedulingGated') reason = 'SchedulingGated';
  }

  let initializing = false;
  const initStatuses = arr(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i] ?? {};
    const state = c.state ?? {};
    const finishedAt = c.lastState?.terminated?.finishedAt;
    restarts += c.restartCount ?? 0;
    lastRestart = laterOf(lastRestart, finishedAt);
    const restartable = isRestartable(initSpecs.get(c.name));
    if (restartable) {
      sidecarRestarts += c.restartCount ?? 0;
      lastSidecarRestart = laterOf(lastSidecarRestart, finishedAt);
    }
    if (state.terminated && (state.terminated.exitCode ?? 0) === 0) continue;
    if (restartable && c.started === true) {
      if (c.ready) ready++;
      continue;
    }
    if (state.terminated) {
      const t = state.terminated;
      if (t.reason) reason = `Init:${t.reason}`;
      else reason = t.signal ? `Init:Signal:${t.signal}` : `Init:ExitCode:${t.exitCode ?? 0}`;
    } else if (state.waiting?.reason && state.waiting.reason !== 'PodInitializing') {
      reason = `Init:${state.waiting.reason}`;
    } else {
      reason = `Init:${i}/${arr(spec.initContainers).length}`;
    }
    initializing = true;
    break;
  }

  const initializedTrue = arr(status.conditions).some((c) => c?.type === 'Initialized' && c?.status === 'True');
  if (!initializing || initializedTrue) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = arr(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const c = statuses[i] ?? {};
      const state = c.state ?? {};
      restarts += c.restartCount ?? 0;
      lastRestart = laterOf(lastRestart, c.lastState?.terminated?.finishedAt);
      if (state.waiting?.reason) reason = state.waiting.reason;
      else if (state.terminated?.reason) reason = state.terminated.reason;
      else if (state.terminated) reason = state.terminated.signal ? `Signal:${state.terminated.signal}` : `ExitCode:${state.terminated.exitCode ?? 0}`;
      else if (c.ready && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const podReady = arr(status.conditions).some((c) => c?.type === 'Ready' && c?.status === 'True');
      reason = podReady ? 'Running' : 'NotReady';
    }
  }

  const terminal = status.phase === 'Succeeded' || status.phase === 'Failed';
  if (pod.metadata.deletionTimestamp && status.reason === 'NodeLost') reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !terminal) reason = 'Terminating';

  const restartsCell = restarts !== 0 && lastRestart ? `${restarts} (${since(lastRestart, now)} ago)` : String(restarts);
  return { ready: `${ready}/${total}`, status: reason, restarts: restartsCell };
}

export const podTable: TableConvertor = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'The aggregate status of the containers in this pod.'),
    column('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
    AGE_COLUMN,
    column('IP', 'IP address allocated to the pod.', 1),
    column('Node', 'Node the pod is bound to.', 1),
    column('Nominated Node', 'Node the pod may run on once preemption finishes.', 1),
    column('Readiness Gates', 'Readiness gates that are true, of all.', 1),
  ],
  cells(pod, now) {
    const spec = (pod.spec ?? {}) as Record<string, any>;
    const status = (pod.status ?? {}) as Status;
    const { ready, status: reason, restarts } = podStatusCells(pod, now);
    const ip = arr(status.podIPs)[0]?.ip || status.podIP || '<none>';
    const gates = arr(spec.readinessGates);
    let gatesCell = '<none>';
    if (gates.length > 0) {
      const trueCount = gates.filter((g) => arr(status.conditions).find((c) => c?.type === g?.conditionType)?.status === 'True').length;
      gatesCell = `${trueCount}/${gates.length}`;
    }
    return [pod.metadata.name, ready, reason, restarts, age(pod, now), ip, spec.nodeName || '<none>', status.nominatedNodeName || '<none>', gatesCell];
  },
};
