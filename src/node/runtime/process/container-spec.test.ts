import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeContainerSpec } from './container-spec.js';

test('a container spec is NUL-separated key=value entries; any other byte may appear in a value', () => {
  const spec = encodeContainerSpec({
    argv: ['sh', '-c', 'echo "a=b"\nexit 0'],
    env: { GREETING: 'x=y\tz' },
    workingDir: '',
    cgroupProcs: ['/sys/fs/cgroup/skiff/p/c/cgroup.procs'],
    mounts: [{ hostPath: '/data dir', containerPath: '/srv', readOnly: true }],
    stdin: 'once',
    tty: false,
    pidNamespaceOf: 42,
  });
  assert.deepEqual(spec.toString().split('\0'), [
    'arg=sh',
    'arg=-c',
    'arg=echo "a=b"\nexit 0',
    'env=GREETING=x=y\tz',
    'cwd=/',
    'cgroup=/sys/fs/cgroup/skiff/p/c/cgroup.procs',
    'mount-ro=/data dir',
    'target=/srv',
    'stdin=once',
    'tty=0',
    'pid-namespace-of=42',
    '',
  ]);
});

test('a NUL byte in a command, variable or path is refused with a clear error', () => {
  assert.throws(
    () => encodeContainerSpec({ argv: ['echo', 'a\0b'], env: {}, workingDir: '/', cgroupProcs: [], mounts: [], stdin: 'none', tty: false }),
    /a NUL byte in "arg=a\\u0000b": a container's command, environment and paths cannot hold one/,
  );
});
