import { test } from 'node:test';
import assert from 'node:assert/strict';
import { numFeasibleNodesToFind } from './scheduler.js';
import { fitErrorMessage } from './messages.js';
import { unresolvable, unschedulable } from './framework/status.js';
import { SchedulingQueue } from './queue/scheduling-queue.js';
import { makePod } from './testing.js';
import { prioritySort } from './plugins/priority-sort.js';

test('how many feasible nodes to look for: all below 100, then an adaptive share, never under 100', () => {
  assert.equal(numFeasibleNodesToFind(undefined, 50), 50);
  assert.equal(numFeasibleNodesToFind(undefined, 1000), 420); // 50 − 1000/125 = 42 %
  assert.equal(numFeasibleNodesToFind(undefined, 5000), 500); // 50 − 40 = 10 %
  assert.equal(numFeasibleNodesToFind(undefined, 10_000), 500); // at least 5 %
  assert.equal(numFeasibleNodesToFind(undefined, 150), 100);
  assert.equal(numFeasibleNodesToFind(100, 5000), 5000);
});

test('FailedScheduling messages count reasons over nodes and sort them', () => {
  const statuses = new Map([
    ['a', unschedulable('Insufficient cpu', 'Insufficient memory')],
    ['b', unschedulable('Insufficient cpu')],
    ['c', unresolvable('node(s) had untolerated taint {k: v}')],
  ]);
  assert.equal(fitErrorMessage({ numAllNodes: 3, nodeStatuses: statuses }), '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu.');
  assert.equal(
    fitErrorMessage({ numAllNodes: 3, nodeStatuses: statuses, postFilterMsg: 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling' }),
    '0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {k: v}, 2 Insufficient cpu. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
  );
  assert.equal(fitErrorMessage({ numAllNodes: 0, nodeStatuses: new Map() }), 'no nodes available to schedule pods');
});

test('the queue pops by priority, parks unschedulable pods until an event, and gates', async () => {
  let now = 1000;
  const sort = prioritySort();
  const queue = new SchedulingQueue({ less: sort.less, preEnqueue: (pod) => !pod.spec?.schedulingGates?.length, now: () => now, eventsFor: (plugin) => (plugin === 'NodeResourcesFit' ? new Set(['NodeAdd']) : undefined) });
  queue.add(makePod('low', { priority: 1 }));
  queue.add(makePod('high', { priority: 100 }));
  queue.add(makePod('gated', { schedulingGates: [{ name: 'g' }] }));
  const first = (await queue.pop())!;
  assert.equal(first.pod.metadata.name, 'high');
  const cycle = queue.currentCycle;
  queue.requeueUnschedulable(first, new Set(['NodeResourcesFit']), cycle + 1);
  assert.deepEqual(queue.sizes, { active: 1, backoff: 0, unschedulable: 1, gated: 1 });
  queue.moveOnEvent('AssignedPodDelete');
  assert.equal(queue.sizes.unschedulable, 1, 'an event NodeResourcesFit does not care about leaves it parked');
  now += 5000; // past its backoff
  queue.moveOnEvent('NodeAdd');
  assert.equal(queue.sizes.unschedulable, 0);
  assert.equal((await queue.pop())!.pod.metadata.name, 'high', 'back in front by priority');
  assert.equal((await queue.pop())!.pod.metadata.name, 'low');
  queue.update(makePod('gated'));
  assert.equal((await queue.pop())!.pod.metadata.name, 'gated', 'ungated by the update');
  const waiting = queue.pop();
  queue.close();
  assert.equal(await waiting, undefined);
});
