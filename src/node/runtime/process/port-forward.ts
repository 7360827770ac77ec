/**
 * One connection to a port of a pod on the process runtime, for kubectl
 * port-forward: `skiff-shim port-forward PID PORT` (shim/portforward.c)
 * joins the network namespace of the pod's shim and dials the port on the
 * pod's loopback, then copies bytes between its stdin/stdout and that
 * socket. As on containerd, a server that listens only on the pod's
 * 127.0.0.1 is reached. A process per connection, as the kubelet's
 * `nsenter … socat` once was: forwarded connections are few, and the
 * socket stays in the pod's namespace without the agent joining it.
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/** The helper's reason is one line; more is not kept. */
const maxReasonBytes = 4096;

/**
 * A Duplex joined to `port` inside the network namespace of process `pid`:
 * written bytes reach the pod's server, its answer is read; ending the
 * write side half-closes the connection. It emits 'error' with the
 * helper's reason when the port cannot be reached.
 */
export function openShimPortForward(binary: string, pid: number, port: number): Duplex {
  const child = spawn(binary, ['port-forward', String(pid), String(port)], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
  let reason = '';
  child.stderr.on('data', (chunk: Buffer) => {
    if (reason.length < maxReasonBytes) reason += chunk.toString('utf8').slice(0, maxReasonBytes - reason.length);
  });
  child.stdin.on('error', () => {});
  const stream = new Duplex({
    write(chunk: Buffer, _encoding, callback) {
      if (child.stdin.destroyed) return callback(new Error('the port-forward connection is closed'));
      child.stdin.write(chunk, (err) => callback(err ?? null));
    },
    final(callback) {
      child.stdin.end(callback);
    },
    read() {
      child.stdout.resume();
    },
    destroy(err, callback) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      callback(err);
    },
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!stream.push(chunk)) child.stdout.pause();
  });
  // The end is known once the helper has exited and its output is read ('close'), with its reason.
  child.on('close', (code) => {
    if (code !== 0 && code !== null) stream.destroy(new Error(reason.trim() || `skiff-shim port-forward ended with ${code}`));
    else stream.push(null);
  });
  child.on('error', (err) => stream.destroy(new Error(`cannot run skiff-shim port-forward: ${err.message}`)));
  return stream;
}
