/**
 * The streaming subresources as a user meets them — exec (output, exit
 * code, stdin), cp both ways, attach (with and without stdin), and
 * port-forward with an HTTP request through it — run by one kubectl
 * against a cluster whose pods really run (the process runtime). Shared by
 * the SPDY test (kubectl 1.32 told to use SPDY) and the version-skew test
 * (each older kubectl found).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, onHost, waitFor, type Cluster } from './harness.js';

export interface StreamingClient {
  /** Another kubectl binary; default the pinned one. */
  binary?: string;
  /** E.g. the variables that make kubectl 1.32 speak SPDY. */
  env?: Record<string, string>;
}

/** kubectl ≥ 1.30 speaks WebSocket unless told not to: these make it fall back to SPDY/3.1. */
export const spdyOnly = { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false', KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' };

/** Every streaming subresource, used in namespace `namespace` (created here). */
export async function exerciseStreaming(cluster: Cluster, namespace: string, client: StreamingClient = {}): Promise<void> {
  const k = (args: string[], options: { input?: string; allowFailure?: boolean } = {}) => cluster.kubectl(['-n', namespace, ...args], { ...options, binary: client.binary, env: client.env });
  const stream = (args: string[]) => cluster.kubectlStream(['-n', namespace, ...args], { binary: client.binary, env: client.env });
  await cluster.kubectl(['create', 'namespace', namespace]);

  // exec: output, the exit code, stdin.
  await k(['run', 'box', '--image=busybox', onHost, '--command', '--', 'sleep', '3600']);
  await k(['wait', '--for=condition=Ready', 'pod/box', '--timeout=60s']);
  assert.equal((await k(['exec', 'box', '--', 'sh', '-c', 'echo out; echo err >&2'])).stdout, 'out\n');
  const both = await k(['exec', 'box', '--', 'sh', '-c', 'echo err >&2']);
  assert.equal(both.stderr, 'err\n');
  const failed = await k(['exec', 'box', '--', 'sh', '-c', 'exit 3'], { allowFailure: true });
  assert.equal(failed.code, 3);
  assert.match(failed.stderr, /command terminated with exit code 3/);
  assert.equal((await k(['exec', '-i', 'box', '--', 'cat'], { input: 'piped input\n' })).stdout, 'piped input\n');

  // cp is tar over exec: with the process runtime (host files) the files are the node's.
  const dir = mkdtempSync(join(tmpdir(), 'skiff-cp-'));
  chmodSync(dir, 0o777);
  try {
    const content = 'copied content\n'.repeat(5000);
    writeFileSync(join(dir, 'in.txt'), content);
    await k(['cp', join(dir, 'in.txt'), `box:${join(dir, 'there.txt')}`]);
    assert.equal(readFileSync(join(dir, 'there.txt'), 'utf8'), content);
    await k(['cp', `box:${join(dir, 'there.txt')}`, join(dir, 'back.txt')]);
    assert.equal(readFileSync(join(dir, 'back.txt'), 'utf8'), content);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // attach with stdin (kubectl run -i), then to a running container's output.
  const run = await k(['run', 'catter', '--image=busybox', onHost, '--restart=Never', '-i', '--command', '--', 'cat'], { input: 'line from stdin\n' });
  assert.equal(run.stdout, 'line from stdin\n');
  await k(['run', 'ticker', '--image=busybox', onHost, '--command', '--', 'sh', '-c', 'i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.2; done']);
  await k(['wait', '--for=condition=Ready', 'pod/ticker', '--timeout=60s']);
  const attached = stream(['attach', 'ticker']);
  try {
    await attached.stdout.waitForLine(/^tick \d+$/, { message: 'output through kubectl attach' });
  } finally {
    await attached.stop();
  }

  // port-forward: an HTTP request through it.
  const podPort = await freePort();
  const localPort = await freePort();
  await k(['run', 'web', '--image=node', onHost, '--command', '--', process.execPath, '-e', `require('http').createServer((q, s) => s.end('through the forward')).listen(${podPort})`]);
  await k(['wait', '--for=condition=Ready', 'pod/web', '--timeout=60s']);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${podPort}/`).then((r) => r.ok, () => false)), { message: 'the pod serves' });
  const forward = stream(['port-forward', 'pod/web', `${localPort}:${podPort}`]);
  try {
    await forward.stdout.waitForLine(/^Forwarding from 127\.0\.0\.1:/, { message: 'kubectl port-forward listening' });
    for (let i = 0; i < 2; i++) {
      const response = await fetch(`http://127.0.0.1:${localPort}/`, { headers: { connection: 'close' } });
      assert.equal(await response.text(), 'through the forward');
    }
  } finally {
    await forward.stop();
  }
  await cluster.kubectl(['delete', 'namespace', namespace, '--wait=false']);
}
