/**
 * The apiserver's /metrics with kubectl 1.32 (issue 15, first part):
 * upstream's metric names, readable by admins and system:monitoring, refused
 * to others by RBAC.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startCluster, type Cluster } from './harness.js';

const promtool = ['/usr/bin/promtool', '/usr/local/bin/promtool'].find((path) => spawnSync(path, ['--version']).status === 0);

describe('apiserver /metrics', () => {
  let cluster: Cluster;
  before(async () => {
    cluster = await startCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  test('counts requests with upstream names and labels; RBAC decides who reads them', async () => {
    await cluster.kubectl(['create', 'configmap', 'counted', '--from-literal=a=b']);
    const text = (await cluster.kubectl(['get', '--raw', '/metrics'])).stdout;
    assert.match(text, /^# TYPE apiserver_request_total counter$/m);
    assert.match(text, /^apiserver_request_total\{verb="POST",dry_run="",group="",version="v1",resource="configmaps",subresource="",scope="namespace",component="apiserver",code="201"\} [1-9]\d*$/m);
    assert.match(text, /^# TYPE apiserver_request_duration_seconds histogram$/m);
    assert.match(text, /^apiserver_storage_objects\{resource="configmaps"\} [1-9]\d*$/m);
    assert.match(text, /^apiserver_current_inflight_requests\{request_kind="mutating"\} \d+$/m);
    // A user in system:monitoring may read it (upstream's role of that name); another may not.
    assert.equal((await cluster.kubectl(['get', '--raw', '/metrics', '--as=prometheus', '--as-group=system:monitoring'], { allowFailure: true })).code, 0);
    const refused = await cluster.kubectl(['get', '--raw', '/metrics', '--as=alice'], { allowFailure: true });
    assert.match(refused.stderr, /forbidden: User "alice" cannot get path "\/metrics"/);
  });

  test('promtool finds nothing to say about the exposition', { skip: promtool ? false : 'needs promtool (Debian prometheus)' }, async () => {
    const text = (await cluster.kubectl(['get', '--raw', '/metrics'])).stdout;
    const check = spawnSync(promtool!, ['check', 'metrics'], { input: text, encoding: 'utf8' });
    assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '');
  });
});
