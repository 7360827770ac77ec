import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podPhase, podStatus, type ContainerRecord, type PodRuntimeView } from './pod-status.js';
import type { ContainerStatus } from './runtime/runtime.js';

const at = new Date('2026-01-01T00:00:00Z');
const running = (id = 'c1'): ContainerStatus => ({ id, name: 'main', image: 'x', state: 'running', createdAt: at, startedAt: at });
const exited = (exitCode: number, id = 'c1'): ContainerStatus => ({ id, name: 'main', image: 'x', state: 'exited', createdAt: at, startedAt: at, finishedAt: at, exitCode, reason: exitCode ? 'Error' : 'Completed' });
const record = (current?: ContainerStatus, extra: Partial<ContainerRecord> = {}): ContainerRecord => ({ name: 'main', image: 'x', restartCount: 0, current, ...extra });
const view = (containers: ContainerRecord[], init: ContainerRecord[] = [], initDone = true): PodRuntimeView => ({ sandboxReady: true, podIP: '10.42.0.2', hostIP: '192.0.2.1', startTime: at, init, containers, initDone });
const pod = (restartPolicy: string) => ({ metadata: { name: 'p', namespace: 'default', uid: 'u' }, spec: { restartPolicy } });

test('phase follows upstream getPhase', () => {
  assert.equal(podPhase(pod('Always'), view([record(running())])), 'Running');
  assert.equal(podPhase(pod('Always'), view([record(undefined, { waitingReason: 'ContainerCreating' })])), 'Pending');
  assert.equal(podPhase(pod('Never'), view([record(exited(0))])), 'Succeeded');
  assert.equal(podPhase(pod('Never'), view([record(exited(1))])), 'Failed');
  assert.equal(podPhase(pod('OnFailure'), view([record(exited(1))])), 'Running', 'will be restarted');
  assert.equal(podPhase(pod('Always'), view([record(exited(0))])), 'Running');
  assert.equal(podPhase(pod('Always'), view([record(exited(1), { waitingReason: 'CrashLoopBackOff' })])), 'Running', 'crash looping counts as stopped, not waiting');
  assert.equal(podPhase(pod('Never'), view([record()], [record(exited(1))], false)), 'Failed', 'a failed init container with Never');
  assert.equal(podPhase(pod('Always'), view([record()], [record(running())], false)), 'Pending');
});

test('status: conditions, container states and lastState, IPs', () => {
  const status = podStatus(pod('Always'), view([record(exited(2, 'c2'), { waitingReason: 'CrashLoopBackOff', restartCount: 3 })]), 'simulated', at) as {
    conditions: { type: string; status: string }[];
    containerStatuses: { state: { waiting?: { reason: string } }; lastState: { terminated?: { exitCode: number } }; restartCount: number; ready: boolean }[];
    podIP: string;
  };
  assert.deepEqual(status.conditions.map((c) => `${c.type}=${c.status}`), ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=False', 'ContainersReady=False']);
  const [container] = status.containerStatuses;
  assert.equal(container.state.waiting?.reason, 'CrashLoopBackOff');
  assert.equal(container.lastState.terminated?.exitCode, 2);
  assert.equal(container.restartCount, 3);
  assert.equal(container.ready, false);
  assert.equal(status.podIP, '10.42.0.2');
  const ok = podStatus(pod('Always'), view([record(running())]), 'simulated', at) as { conditions: { type: string; status: string }[] };
  assert.ok(ok.conditions.every((c) => c.status === 'True'));
});
