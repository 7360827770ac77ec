import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCronSchedule } from '../../api/batch/index.js';
import { compareJobsByStart, missedRuns, rfc3339In } from './controller.js';

test('missed runs: the most recent scheduled time not yet run, and how many were missed', () => {
  const hourly = parseCronSchedule('@hourly');
  const result = missedRuns(hourly, new Date('2026-01-01T00:30:00Z'), new Date('2026-01-01T03:10:00Z'));
  assert.equal(result.mostRecent?.toISOString(), '2026-01-01T03:00:00.000Z');
  assert.equal(result.count, 3);
  assert.equal(missedRuns(hourly, new Date('2026-01-01T00:30:00Z'), new Date('2026-01-01T00:59:00Z')).mostRecent, undefined);
  // In a time zone: 09:00 in Tokyo is 00:00 UTC.
  const nineDaily = parseCronSchedule('0 9 * * *');
  assert.equal(missedRuns(nineDaily, new Date('2026-01-01T00:00:00Z'), new Date('2026-01-02T01:00:00Z'), 'Asia/Tokyo').mostRecent?.toISOString(), '2026-01-02T00:00:00.000Z');
});

test('the scheduled-timestamp annotation is RFC 3339 in the CronJob time zone', () => {
  const t = new Date('2026-07-01T12:00:00Z');
  assert.equal(rfc3339In(t, undefined), '2026-07-01T12:00:00Z');
  assert.equal(rfc3339In(t, 'Europe/Paris'), '2026-07-01T14:00:00+02:00');
  assert.equal(rfc3339In(t, 'America/New_York'), '2026-07-01T08:00:00-04:00');
});

test('Jobs are trimmed oldest first by start time; the same second goes by name (schedule order); not started last', () => {
  const job = (name: string, startTime?: string) => ({ metadata: { name }, status: startTime ? { startTime } : {} }) as Parameters<typeof compareJobsByStart>[0];
  const sorted = [job('tick-3'), job('tick-2', '2026-12-01T10:00:01Z'), job('tick-1', '2026-12-01T10:00:01Z'), job('tick-0', '2026-12-01T09:59:00Z')].sort(compareJobsByStart);
  assert.deepEqual(
    sorted.map((j) => j.metadata.name),
    ['tick-0', 'tick-1', 'tick-2', 'tick-3'],
  );
});
