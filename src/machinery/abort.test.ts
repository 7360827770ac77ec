import { test } from 'node:test';
import assert from 'node:assert/strict';
import { whenAborted } from './abort.js';

test('whenAborted runs the callback on abort, at once for a signal aborted already, and never after removal', () => {
  const cases: { name: string; abortBefore: boolean; remove: boolean; calls: number }[] = [
    { name: 'aborted later', abortBefore: false, remove: false, calls: 1 },
    { name: 'aborted already (a stop during start)', abortBefore: true, remove: false, calls: 1 },
    { name: 'removed before the abort', abortBefore: false, remove: true, calls: 0 },
  ];
  for (const { name, abortBefore, remove, calls } of cases) {
    const controller = new AbortController();
    if (abortBefore) controller.abort();
    let called = 0;
    const stop = whenAborted(controller.signal, () => called++);
    if (remove) stop();
    controller.abort();
    controller.abort();
    assert.equal(called, calls, name);
  }
});
