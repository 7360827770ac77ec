import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFramework, loadSchedulerConfiguration } from './config.js';
import type { Handle } from './framework/interface.js';

const handle = { snapshot: { list: () => [] } } as unknown as Handle;

test("the default profile has upstream's plugins and score weights", () => {
  const framework = buildFramework({}, {}, handle);
  assert.equal(framework.schedulerName, 'default-scheduler');
  assert.deepEqual(
    framework.plugins.score.map(({ plugin, weight }) => `${plugin.name}:${weight}`),
    ['TaintToleration:3', 'NodeAffinity:2', 'NodeResourcesFit:1', 'PodTopologySpread:2', 'InterPodAffinity:2', 'NodeResourcesBalancedAllocation:1', 'ImageLocality:1'],
  );
  assert.deepEqual(framework.plugins.filter.map((p) => p.name), [
    'NodeUnschedulable', 'NodeName', 'TaintToleration', 'NodeAffinity', 'NodePorts', 'NodeResourcesFit', 'VolumeBinding', 'PodTopologySpread', 'InterPodAffinity',
  ]);
  assert.deepEqual(framework.plugins.postFilter.map((p) => p.name), ['DefaultPreemption']);
  assert.equal(framework.plugins.queueSort?.name, 'PrioritySort');
});

test('profiles disable and re-weight plugins per extension point and through multiPoint', () => {
  const framework = buildFramework(
    {
      schedulerName: 'custom',
      plugins: {
        multiPoint: { disabled: [{ name: 'ImageLocality' }] },
        score: { disabled: [{ name: '*' }], enabled: [{ name: 'NodeResourcesFit', weight: 5 }] },
        postFilter: { disabled: [{ name: 'DefaultPreemption' }] },
      },
    },
    {},
    handle,
  );
  assert.deepEqual(framework.plugins.score.map(({ plugin, weight }) => `${plugin.name}:${weight}`), ['NodeResourcesFit:5']);
  assert.equal(framework.plugins.postFilter.length, 0);
  assert.ok(!framework.plugins.all.some((p) => p.name === 'ImageLocality'));
  assert.throws(() => buildFramework({ plugins: { filter: { enabled: [{ name: 'NoSuchPlugin' }] } } }, {}, handle), /unknown plugin "NoSuchPlugin"/);
  assert.throws(() => buildFramework({ plugins: { bind: { enabled: [{ name: 'PrioritySort' }] } } }, {}, handle), /does not extend bind/);
});

test('configuration files must be KubeSchedulerConfiguration', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-sched-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- schedulerName: a\n- schedulerName: b\n');
  assert.deepEqual(loadSchedulerConfiguration(good).profiles?.map((p) => p.schedulerName), ['a', 'b']);
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'apiVersion: v1\nkind: ConfigMap\n');
  assert.throws(() => loadSchedulerConfiguration(bad), /not a KubeSchedulerConfiguration/);
});
