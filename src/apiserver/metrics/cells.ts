/**
 * Counters and histograms that hot paths record into as plain numbers. A
 * recorder holds its cell (one per label set, made once), so an event costs
 * an addition; prom-client sees the cells only when scraped. (prom-client's
 * own `labels(...)` children hash their label values on every call.)
 */
import { Counter, Gauge, type Metric, type Registry } from 'prom-client';

/** One counter series: add to `value`. */
export interface CounterCell {
  value: number;
}

/** The key of a label set: its values in the family's label order. */
function keyOf<L extends string>(labelNames: readonly L[], labels: Record<L, string>): string {
  return labelNames.map((name) => labels[name]).join('\u0000');
}

/**
 * A counter family whose series are cells. Label sets come from the API's
 * own resource types (built-in kinds and CRDs), so their number is bounded
 * by what the cluster serves. A series appears once it is non-zero, as a
 * client-go counter appears at its first increment.
 */
export class CounterCells<L extends string> {
  private readonly cells = new Map<string, { labels: Record<L, string> } & CounterCell>();

  constructor(registry: Registry, name: string, help: string, private readonly labelNames: readonly L[]) {
    const cells = this.cells;
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        this.reset();
        for (const cell of cells.values()) if (cell.value > 0) this.inc(cell.labels, cell.value);
      },
    });
  }

  cell(labels: Record<L, string>): CounterCell {
    const key = keyOf(this.labelNames, labels);
    let cell = this.cells.get(key);
    if (!cell) {
      cell = { labels: { ...labels }, value: 0 };
      this.cells.set(key, cell);
    }
    return cell;
  }
}

/** One histogram series: `observe` finds the bucket and adds. */
export class HistogramCell {
  /** Per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(private readonly bounds: readonly number[]) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(value: number): void {
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]) i++;
    this.counts[i]++;
    this.sum += value;
    this.count++;
  }

  clear(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}

/**
 * A histogram family whose series are cells. It is registered as a metric
 * that answers prom-client's `get()` with the `_bucket`/`_sum`/`_count`
 * samples a prom-client Histogram would give.
 */
export class HistogramCells<L extends string> {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly cells = new Map<string, { labels: Record<L, string>; cell: HistogramCell }>();

  constructor(
    registry: Registry,
    readonly name: string,
    readonly help: string,
    private readonly labelNames: readonly L[],
    private readonly buckets: readonly number[],
  ) {
    registry.registerMetric(this as unknown as Metric);
  }

  cell(labels: Record<L, string>): HistogramCell {
    const key = keyOf(this.labelNames, labels);
    let entry = this.cells.get(key);
    if (!entry) {
      entry = { labels: { ...labels }, cell: new HistogramCell(this.buckets) };
      this.cells.set(key, entry);
    }
    return entry.cell;
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: { labels: Record<string, string | number>; value: number; metricName: string }[] }> {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, cell } of this.cells.values()) {
      if (cell.count === 0) continue;
      let cumulative = 0;
      this.buckets.forEach((bound, i) => {
        cumulative += cell.counts[i];
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: cell.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { ...labels }, value: cell.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { ...labels }, value: cell.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** What `registry.resetMetrics()` calls. */
  reset(): void {
    for (const { cell } of this.cells.values()) cell.clear();
  }
}

/** A gauge family read at scrape time from `read` (series: label set → value). */
export function gaugeFromSource<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], read: () => Iterable<[Record<L, string>, number]> | Promise<Iterable<[Record<L, string>, number]>>): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const series = await read();
      this.reset();
      for (const [labels, value] of series) this.set(labels, value);
    },
  });
}
