/**
 * For tests of skiff-shim: the node helper and one pod shim, driven by the
 * protocol itself, and a way to wait for a container's events. Removed (and
 * its state dir with it) when the test ends.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHelper, shimBinary, ShimControl, ShimEventReader } from './shim-client.js';

export interface TestPodShim {
  stateDir: string;
  control: ShimControl;
  /** Resolves with the event's value (the PID for `started`, the exit code for `exited`) of container `id`. */
  next(kind: 'started' | 'exited', id: string): Promise<number>;
}

export async function startTestPodShim(t: { after(fn: () => void | Promise<void>): void }, options: { isolate: boolean; prefix: string; afterTeardown?: (stateDir: string) => void }): Promise<TestPodShim> {
  const stateDir = mkdtempSync(join(tmpdir(), options.prefix));
  const helper = new NodeHelper(shimBinary()!, stateDir);
  await helper.ready();
  const events = new ShimEventReader(join(stateDir, 'events'));
  const sandboxDir = join(stateDir, 'sandbox');
  mkdirSync(sandboxDir);
  const shimPid = await helper.createSandbox({ id: 's', dir: sandboxDir, hostname: 'h', isolation: options.isolate ? 'root' : 'none' });
  const control = new ShimControl(join(sandboxDir, 'control'));
  t.after(async () => {
    await helper.tearDown('s', shimPid, undefined);
    control.close();
    events.close();
    helper.stop();
    rmSync(stateDir, { recursive: true, force: true });
    options.afterTeardown?.(stateDir);
  });
  const next = (kind: 'started' | 'exited', id: string) =>
    new Promise<number>((resolve) => {
      // Awaited: the FIFO keeps the test's event loop going until the event comes.
      events.hold();
      const listener = (eventId: string, value: number) => {
        if (eventId !== id) return;
        events.off(kind, listener);
        events.release();
        resolve(value);
      };
      events.on(kind, listener);
    });
  return { stateDir, control, next };
}
