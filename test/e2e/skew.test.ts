/**
 * Version skew: older and newer kubectl releases (`kubectl.1.27` …
 * `kubectl.1.33`, when the machine has them on its PATH) create, read and
 * delete objects against skiff, and exec, cp, attach and port-forward into
 * pods that really run — over SPDY/3.1 for the older ones (exec ≤ 1.29,
 * port-forward ≤ 1.30), over WebSocket for the newer. Skipped, with the
 * reason, when none is found.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, type Cluster, startHostProcessCluster, waitFor } from './harness.js';
import { exerciseStreaming } from './streaming.js';

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

const versions = [27, 28, 29, 30, 31, 33]
  .map((minor) => ({ minor, path: findOnPath(`kubectl.1.${minor}`) }))
  .filter((v): v is { minor: number; path: string } => v.path !== undefined);

describe('kubectl version skew', { skip: versions.length === 0 ? 'no kubectl.1.NN binaries on the PATH' : false }, () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  for (const { minor, path } of versions) {
    test(`kubectl 1.${minor}: create, get, describe, delete`, async () => {
      const k = (args: string[], input?: string) => cluster.kubectl(args, { binary: path, input });
      const name = `skew-${minor}`;
      await k(['create', 'namespace', name]);
      await k(['-n', name, 'create', 'deployment', 'web', '--image=nginx:1.27']);
      await k(['-n', name, 'apply', '-f', '-'], `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: fast\n`);
      const table = (await k(['-n', name, 'get', 'deploy,cm'])).stdout;
      // The controllers may already have acted: only the shape is fixed.
      assert.match(table, /^deployment\.apps\/web\s+[01]\/1\s+[01]\s+[01]\s+\S+$/m);
      assert.match(table, /^configmap\/settings\s+1\s+\S+$/m);
      assert.match((await k(['-n', name, 'describe', 'deployment', 'web'])).stdout, /^StrategyType:\s+RollingUpdate$/m);
      await k(['delete', 'namespace', name, '--wait=false']);
    });
  }
});

describe('kubectl version skew: exec, cp, attach, port-forward', { skip: versions.length === 0 ? 'no kubectl.1.NN binaries on the PATH' : false }, () => {
  let cluster: Cluster;
  before(async () => {
    // The process runtime, so pods run; as `nobody` when the tests run as root (no network lock needed).
    cluster = await startHostProcessCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  for (const { minor, path } of versions) {
    test(`kubectl 1.${minor}: exec, cp, attach, port-forward`, async () => {
      await exerciseStreaming(cluster, `stream-${minor}`, { binary: path });
      // kubectl top reads metrics.k8s.io, served by the apiserver from the node's resource metrics.
      await waitFor(async () => /^\S+\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%/m.test((await cluster.kubectl(['top', 'nodes', '--no-headers'], { binary: path, allowFailure: true })).stdout), { message: `kubectl 1.${minor} top nodes` });
    });
  }
});
