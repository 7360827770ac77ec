/** The instrumented runtime: upstream's operation names, durations, errors, and everything else passed through. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Runtime } from '../runtime/runtime.js';
import { SimulatedRuntime } from '../runtime/simulated/runtime.js';
import { instrumentRuntime } from './instrumented-runtime.js';

describe('instrumentRuntime', () => {
  it('records each operation with its duration and failure, and leaves the rest alone', async () => {
    const recorded: [string, number, boolean][] = [];
    let clock = 0;
    const inner = {
      name: 'fake',
      isolation: 'none' as const,
      async runPodSandbox() {
        clock += 250;
        return { id: 's1', podUid: 'u', ip: '10.0.0.1', createdAt: new Date(), state: 'ready' as const };
      },
      async startContainer(id: string) {
        clock += 5;
        throw new Error(`cannot start ${id}`);
      },
      exec() {
        return undefined;
      },
      attach() {
        throw new Error('no attach');
      },
      onContainerEvent(listener: () => void) {
        listener();
      },
      containerPid(id: string) {
        return id === 'c1' ? 42 : undefined;
      },
    } as unknown as Runtime & { containerPid(id: string): number | undefined };
    const runtime = instrumentRuntime(inner, (operation, seconds, failed) => recorded.push([operation, seconds, failed]), () => clock);
    assert.equal(runtime.name, 'fake');
    assert.equal(runtime.isolation, 'none');
    assert.equal((await runtime.runPodSandbox({ uid: 'u', namespace: 'n', name: 'p' })).id, 's1');
    await assert.rejects(runtime.startContainer('c1'), /cannot start c1/);
    assert.equal(runtime.exec!('c1', ['true'], { stdin: false }), undefined);
    assert.throws(() => runtime.attach!('c1', () => {}), /no attach/);
    let heard = false;
    runtime.onContainerEvent(() => (heard = true));
    assert.equal(heard, true);
    assert.equal(runtime.containerPid('c1'), 42, 'a method the wrapper does not know still reaches the runtime');
    assert.equal(runtime.runPodSandbox, runtime.runPodSandbox, 'wrappers are made once');
    assert.deepEqual(recorded, [
      ['run_podsandbox', 0.25, false],
      ['start_container', 0.005, true],
      ['exec', 0, false],
      ['attach', 0, true],
    ]);
  });

  it('wraps a real runtime class (methods keep their this)', async () => {
    const operations: string[] = [];
    const runtime = instrumentRuntime(new SimulatedRuntime(), (operation) => operations.push(operation));
    const sandbox = await runtime.runPodSandbox({ uid: 'u1', namespace: 'default', name: 'p' });
    await runtime.listContainers(sandbox.id);
    assert.deepEqual(operations, ['run_podsandbox', 'list_containers']);
  });
});
