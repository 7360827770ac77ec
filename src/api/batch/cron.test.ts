import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cronScheduleError, nextRun, parseCronSchedule } from './cron.js';

const next = (schedule: string, after: string, tz = 'UTC') => nextRun(parseCronSchedule(schedule), new Date(after), tz)?.toISOString();

describe('cron schedules', () => {
  it('accepts standard forms', () => {
    for (const good of ['* * * * *', '*/5 * * * *', '0 9-17 * * MON-FRI', '15,45 */2 1 jan,jul ?', '@hourly', '@every 1h30m', '5/10 * * * *']) {
      assert.equal(cronScheduleError(good), undefined, good);
    }
  });
  it('rejects bad ones with a reason', () => {
    for (const bad of ['* * * *', '60 * * * *', '* * * * 7', 'a * * * *', '5-1 * * * *', '@often', 'TZ=UTC * * * * *', '*/0 * * * *']) {
      assert.ok(cronScheduleError(bad), bad);
    }
    assert.match(cronScheduleError('CRON_TZ=Europe/Paris 0 * * * *')!, /use timeZone field instead/);
  });
  it('computes the next run', () => {
    assert.equal(next('*/15 * * * *', '2024-03-01T10:07:30Z'), '2024-03-01T10:15:00.000Z');
    assert.equal(next('0 0 * * *', '2024-03-01T00:00:00Z'), '2024-03-02T00:00:00.000Z');
    assert.equal(next('0 9 * * MON', '2024-03-01T10:00:00Z'), '2024-03-04T09:00:00.000Z'); // 1 March 2024 is a Friday
    assert.equal(next('0 0 31 * *', '2024-04-01T00:00:00Z'), '2024-05-31T00:00:00.000Z');
    assert.equal(next('0 0 29 2 *', '2024-03-01T00:00:00Z'), '2028-02-29T00:00:00.000Z');
  });
  it('ORs day of month and day of week when both are restricted', () => {
    assert.equal(next('0 0 15 * FRI', '2024-03-02T00:00:00Z'), '2024-03-08T00:00:00.000Z');
  });
  it('honours a time zone, also across a daylight saving change', () => {
    assert.equal(next('0 9 * * *', '2024-07-01T00:00:00Z', 'Europe/Paris'), '2024-07-01T07:00:00.000Z');
    assert.equal(next('0 9 * * *', '2024-01-01T00:00:00Z', 'Europe/Paris'), '2024-01-01T08:00:00.000Z');
    // 02:30 does not exist on 31 March 2024 in Paris: skipped to the next day.
    assert.equal(next('30 2 * * *', '2024-03-31T00:00:00Z', 'Europe/Paris'), '2024-04-01T00:30:00.000Z');
  });
  it('runs @every intervals from the previous time', () => {
    assert.equal(next('@every 90s', '2024-03-01T10:00:00Z'), '2024-03-01T10:01:30.000Z');
  });
});
