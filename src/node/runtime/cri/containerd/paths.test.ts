import { test } from 'node:test';
import assert from 'node:assert/strict';
import { containerdPaths, SocketPathTooLongError, UNIX_SOCKET_PATH_MAX } from './paths.js';

test('as root the state and socket go under /run/skiff-<key>, the rest under the data dir', () => {
  const paths = containerdPaths('/var/lib/skiff/' + 'deep/'.repeat(30), { isRoot: true });
  assert.match(paths.state, /^\/run\/skiff-[0-9a-f]{16}\/containerd$/);
  assert.equal(paths.socket, `${paths.state}/containerd.sock`);
  assert.ok(Buffer.byteLength(`${paths.socket}.ttrpc`) <= UNIX_SOCKET_PATH_MAX);
  assert.ok(paths.root.startsWith('/var/lib/skiff/deep/') && paths.root.endsWith('/containerd/root'));
  assert.equal(paths.pidFile, `${paths.state}/containerd.pid`);
  // The same data dir always gets the same state dir.
  assert.equal(containerdPaths('/var/lib/skiff/' + 'deep/'.repeat(30), { isRoot: true }).state, paths.state);
});

test('otherwise the state stays in the data dir when the socket fits, and a clear error when it does not', () => {
  assert.equal(containerdPaths('/srv/skiff', { isRoot: false }).socket, '/srv/skiff/containerd/state/containerd.sock');
  assert.throws(() => containerdPaths('/srv/' + 'x'.repeat(80), { isRoot: false }), (err: Error) => err instanceof SocketPathTooLongError && /108|107 bytes/.test(err.message));
});
