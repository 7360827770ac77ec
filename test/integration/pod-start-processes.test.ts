/**
 * A pod start on the process runtime creates at most two processes — its
 * pod shim and its container's command — and the agent forks none of them
 * (issue: "Pod startup costs 200–250 ms of CPU and ~18 programs per pod").
 * Counted exactly, from the kernel's side: strace follows the agent's
 * process and the node helper, and every process they and their
 * descendants create (clone/fork/vfork without CLONE_THREAD) is one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessRuntime } from '../../src/node/index.js';
import { canIsolate } from '../../src/node/runtime/process/host.js';
import { holdNetworkTestLock } from '../e2e/harness.js';
import { eventually } from './harness.js';

const podCIDR = '10.42.92.0/24';
const pods = 5;
const skip =
  typeof process.getuid !== 'function' || process.getuid() !== 0
    ? 'needs root: the isolated start path (namespaces, a bridge, cgroups) runs only as root'
    : !canIsolate()
      ? 'this machine does not let skiff create namespaces'
      : spawnSync('strace', ['-V']).status !== 0
        ? 'needs strace to follow the processes a pod start creates'
        : false;

let release: () => void = () => {};
let runtime: ProcessRuntime | undefined;
const dir = mkdtempSync(join(tmpdir(), 'skiff-pod-start-'));

before(async () => {
  if (!skip) release = await holdNetworkTestLock();
});

after(async () => {
  await runtime?.shutdown().catch(() => {});
  release();
  rmSync(dir, { recursive: true, force: true });
});

/** Our children whose program is skiff-shim: the node helper. */
function helperPid(): number {
  for (const task of readdirSync(`/proc/${process.pid}/task`)) {
    for (const child of readFileSync(`/proc/${process.pid}/task/${task}/children`, 'utf8').split(/\s+/).filter(Boolean)) {
      if (readFileSync(`/proc/${child}/comm`, 'utf8').trim() === 'skiff-shim') return Number(child);
    }
  }
  throw new Error('no node helper among our children');
}

function tracerOf(pid: number): number {
  return Number(/^TracerPid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
}

/** The processes (not threads) a trace shows being created, by the PID that created each. */
function processesCreated(trace: string): { creator: number; child: number }[] {
  const created: { creator: number; child: number }[] = [];
  const unfinished = new Map<number, string>();
  for (const line of trace.split('\n')) {
    const match = /^(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    const creator = Number(match[1]);
    let call = match[2];
    if (/^(clone3?|v?fork)\(.*<unfinished \.\.\.>$/.test(call)) {
      unfinished.set(creator, call);
      continue;
    }
    if (call.startsWith('<... ')) {
      const start = unfinished.get(creator);
      if (!start) continue;
      unfinished.delete(creator);
      call = start + call;
    }
    const result = /^(clone3?|v?fork)\(.*\)\s+=\s+(\d+)/.exec(call);
    if (!result || call.includes('CLONE_THREAD')) continue;
    created.push({ creator, child: Number(result[2]) });
  }
  return created;
}

describe('process runtime (root): what a pod start costs in processes', { skip }, () => {
  it(`${pods} pod starts create at most two processes each, none of them forked by the agent`, async () => {
    runtime = new ProcessRuntime({ logDir: join(dir, 'logs'), stateDir: join(dir, 'state'), hostIP: '127.0.0.1', podCIDR, stopOnShutdown: true });
    await runtime.recover();
    // One pod first, so what happens once per node (the bridge) is not counted.
    const warm = await runtime.runPodSandbox({ uid: 'warm-up', namespace: 'default', name: 'warm-up' });
    await runtime.startContainer(await runtime.createContainer(warm.id, { name: 'main', image: 'busybox', command: ['sleep', '600'] }));

    const traced = [process.pid, helperPid()];
    const traceFile = join(dir, 'trace');
    const strace = spawn('strace', ['-f', '-qq', '-e', 'trace=clone,clone3,fork,vfork', '-o', traceFile, ...traced.flatMap((pid) => ['-p', String(pid)])], { stdio: 'ignore' });
    const stopped = new Promise((resolve) => strace.once('exit', resolve));
    try {
      await eventually(() => traced.map(tracerOf), (tracers) => tracers.every((t) => t === strace.pid), 'strace attached');
      for (let i = 0; i < pods; i++) {
        const sandbox = await runtime.runPodSandbox({ uid: `pod-${i}`, namespace: 'default', name: `pod-${i}` });
        const id = await runtime.createContainer(sandbox.id, { name: 'main', image: 'busybox', command: ['sleep', '600'] });
        await runtime.startContainer(id);
        assert.equal((await runtime.containerStatus(id))?.state, 'running');
      }
    } finally {
      strace.kill('SIGINT');
      await stopped;
    }
    const created = processesCreated(readFileSync(traceFile, 'utf8'));
    const byAgent = created.filter((c) => c.creator === process.pid || readdirSync(`/proc/${process.pid}/task`).includes(String(c.creator)));
    assert.deepEqual(byAgent, [], 'the agent forks nothing on the start path');
    assert.ok(created.length <= 2 * pods, `at most ${2 * pods} processes for ${pods} pods, got ${created.length}: ${JSON.stringify(created)}`);
    assert.ok(created.length >= pods, `the trace saw the pod shims and containers (${created.length})`);
  });
});
