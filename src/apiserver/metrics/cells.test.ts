/** Cells: what prom-client would expose for the same observations, published only at scrape. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { CounterCells, HistogramCells } from './cells.js';
import { promtool, promtoolCheck } from '../../client/metrics/testing.js';

describe('metric cells', () => {
  it('expose a histogram exactly as a prom-client Histogram does', async () => {
    const buckets = [1, 2.5, 10];
    const ours = new Registry();
    const theirs = new Registry();
    const cells = new HistogramCells(ours, 'sizes', 'Sizes.', ['kind'] as const, buckets);
    const histogram = new Histogram({ name: 'sizes', help: 'Sizes.', labelNames: ['kind'], buckets, registers: [theirs] });
    const observations: [string, number][] = [['Pod', 0.5], ['Pod', 1], ['Pod', 3], ['Pod', 11], ['Node', 2.5], ['Node', 100]];
    for (const [kind, value] of observations) {
      cells.cell({ kind }).observe(value);
      histogram.observe({ kind }, value);
    }
    assert.equal(await ours.metrics(), await theirs.metrics());
  });

  it('expose counters once they are non-zero, and the same cell for the same labels', async () => {
    const registry = new Registry();
    const cells = new CounterCells(registry, 'events_total', 'Events.', ['group', 'kind'] as const);
    const pods = cells.cell({ group: '', kind: 'Pod' });
    cells.cell({ group: 'apps', kind: 'Deployment' });
    assert.equal(cells.cell({ group: '', kind: 'Pod' }), pods);
    pods.value += 3;
    const text = await registry.metrics();
    assert.match(text, /^events_total\{group="",kind="Pod"\} 3$/m);
    assert.doesNotMatch(text, /Deployment/);
  });

  it('keep counting across scrapes and start again after a reset', async () => {
    const registry = new Registry();
    const cells = new CounterCells(registry, 'events_total', 'Events.', ['kind'] as const);
    const histogram = new HistogramCells(registry, 'sizes', 'Sizes.', ['kind'] as const, [1]);
    const cell = cells.cell({ kind: 'Pod' });
    cell.value++;
    histogram.cell({ kind: 'Pod' }).observe(2);
    await registry.metrics();
    cell.value++;
    assert.match(await registry.metrics(), /^events_total\{kind="Pod"\} 2$/m);
    registry.resetMetrics();
    assert.doesNotMatch(await registry.metrics(), /^sizes_count/m);
  });

  it('pass promtool', { skip: promtool ? false : 'needs promtool (Debian prometheus)' }, async () => {
    const registry = new Registry();
    new CounterCells(registry, 'events_total', 'Events.', ['kind'] as const).cell({ kind: 'Pod' }).value = 1;
    new HistogramCells(registry, 'sizes_bytes', 'Sizes.', ['kind'] as const, [1024, 2048]).cell({ kind: 'Pod' }).observe(1500);
    // A plain counter beside them, as in a real registry.
    new Counter({ name: 'other_total', help: 'Other.', registers: [registry] }).inc();
    const check = promtoolCheck(await registry.metrics());
    assert.equal(check.status, 0, check.output);
    assert.equal(check.output, '');
  });
});
