import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerLogPath, linkContainerLog, logLayoutFor, logLayoutUnder, removePodLogs } from './container-logs.js';

const pod = { namespace: 'team', name: 'web-1', uid: 'u-1' };

describe('container logs in the kubelet layout', () => {
  it('names files and links as the kubelet does', () => {
    const layout = logLayoutFor('/var/log/pods');
    assert.deepEqual(layout, { podLogsDir: '/var/log/pods', containersDir: '/var/log/containers' });
    assert.equal(containerLogPath(layout, pod, 'app', 3), '/var/log/pods/team_web-1_u-1/app/3.log');
  });

  it('keeps the previous attempt and its link, removes older ones', () => {
    const layout = logLayoutUnder(mkdtempSync(join(tmpdir(), 'skiff-logs-')));
    for (const attempt of [0, 1, 2]) {
      linkContainerLog(layout, pod, 'app', `id${attempt}`, attempt);
      writeFileSync(containerLogPath(layout, pod, 'app', attempt), `attempt ${attempt}\n`);
      writeFileSync(`${containerLogPath(layout, pod, 'app', attempt)}.20261206-010101`, 'rotated\n');
    }
    assert.deepEqual(readdirSync(join(layout.podLogsDir, 'team_web-1_u-1', 'app')).sort(), ['1.log', '1.log.20261206-010101', '2.log', '2.log.20261206-010101']);
    const links = readdirSync(layout.containersDir).sort();
    assert.deepEqual(links, ['web-1_team_app-id1.log', 'web-1_team_app-id2.log']);
    assert.equal(readlinkSync(join(layout.containersDir, 'web-1_team_app-id2.log')), containerLogPath(layout, pod, 'app', 2));
  });

  it('removes a gone pod\'s directory and links, and no other pod\'s', () => {
    const layout = logLayoutUnder(mkdtempSync(join(tmpdir(), 'skiff-logs-')));
    const other = { namespace: 'team', name: 'web-10', uid: 'u-2' };
    linkContainerLog(layout, pod, 'app', 'a', 0);
    linkContainerLog(layout, other, 'app', 'b', 0);
    removePodLogs(layout, pod);
    assert.equal(existsSync(join(layout.podLogsDir, 'team_web-1_u-1')), false);
    assert.deepEqual(readdirSync(layout.containersDir), ['web-10_team_app-b.log']);
    removePodLogs(layout, pod);
  });
});
