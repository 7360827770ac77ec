/**
 * A node agent's `/metrics/resource` (Prometheus text) as metrics-server
 * decodes it: one point for the node and one per container, each with its
 * cumulative CPU (nanocore-seconds), working-set memory (bytes), start time
 * and timestamp. Lines that are not a sample of the five families used —
 * comments, other families, junk — are skipped, never fatal.
 *
 * TODO: when src/node/metrics/resource-metrics.ts exports parseResourceMetrics,
 * read its samples here instead of parseSample.
 */

/** One measurement; times in milliseconds since the epoch (0: unknown). */
export interface MetricsPoint {
  startTimeMs: number;
  timestampMs: number;
  /** Cumulative CPU since start, in nanocore-seconds (core-seconds × 10⁹, truncated). */
  cpuNanoseconds: number;
  memoryBytes: number;
}

/** What one node's scrape gave: its own point (when complete) and its pods' containers by `namespace/name`. */
export interface NodeBatch {
  node?: MetricsPoint;
  pods: Map<string, Map<string, MetricsPoint>>;
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

const wanted = new Set([
  'node_cpu_usage_seconds_total',
  'node_memory_working_set_bytes',
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  'container_start_time_seconds',
]);

const labelNameRe = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const valueRe = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Whether the character code may be in a metric name (digits not first). */
function isNameCode(code: number, first: boolean): boolean {
  return (code >= 97 && code <= 122) || (code >= 65 && code <= 90) || code === 95 || code === 58 || (!first && code >= 48 && code <= 57);
}

/** A sample line of one of the families used, or undefined for anything else (scanned by hand: 10 MiB must stay cheap). */
export function parseSample(line: string): Sample | undefined {
  let at = 0;
  while (at < line.length && isNameCode(line.charCodeAt(at), at === 0)) at++;
  if (at === 0) return undefined;
  const name = line.slice(0, at);
  if (!wanted.has(name)) return undefined;
  let labels: Record<string, string> = {};
  if (line[at] === '{') {
    const parsed = parseLabels(line, at + 1);
    if (!parsed) return undefined;
    labels = parsed.labels;
    at = parsed.end;
  }
  if (line[at] !== ' ' && line[at] !== '\t') return undefined;
  const fields = line.slice(at).trim().split(/[ \t]+/);
  if (fields.length > 2 || !valueRe.test(fields[0])) return undefined;
  const value = Number(fields[0]);
  let timestampMs: number | undefined;
  if (fields.length === 2) {
    if (!/^\d{1,16}$/.test(fields[1])) return undefined;
    timestampMs = Number(fields[1]);
  }
  return { name, labels, value, timestampMs };
}

/** `name="value",…}` from `start`; the labels and the index after `}`, or undefined when malformed. */
function parseLabels(line: string, start: number): { labels: Record<string, string>; end: number } | undefined {
  const labels: Record<string, string> = {};
  let at = start;
  const skipSpaces = () => {
    while (line[at] === ' ' || line[at] === '\t') at++;
  };
  for (;;) {
    skipSpaces();
    if (line[at] === '}') return { labels, end: at + 1 };
    const equals = line.indexOf('=', at);
    if (equals < 0) return undefined;
    const labelName = line.slice(at, equals).trim();
    if (!labelNameRe.test(labelName)) return undefined;
    at = equals + 1;
    skipSpaces();
    if (line[at] !== '"') return undefined;
    // The closing quote is the first one not escaped; values rarely hold escapes, so look for them only when present.
    let close = line.indexOf('"', at + 1);
    let escaped = false;
    while (close >= 0) {
      let backslashes = 0;
      while (line[close - 1 - backslashes] === '\\') backslashes++;
      if (backslashes % 2 === 0) break;
      escaped = true;
      close = line.indexOf('"', close + 1);
    }
    if (close < 0) return undefined;
    const raw = line.slice(at + 1, close);
    labels[labelName] = escaped || raw.includes('\\') ? raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)) : raw;
    at = close + 1;
    skipSpaces();
    if (line[at] === ',') at++;
    else if (line[at] !== '}') return undefined;
  }
}

const emptyPoint = (): MetricsPoint => ({ startTimeMs: 0, timestampMs: 0, cpuNanoseconds: 0, memoryBytes: 0 });

/**
 * The batch of one node's exposition. Samples without a timestamp take
 * `scrapeTimeMs` (when the request was sent). As metrics-server: a node
 * point lacking a timestamp, CPU or memory is left out, and so is a pod one
 * of whose containers lacks CPU or memory.
 */
export function decodeResourceMetrics(text: string, scrapeTimeMs: number): NodeBatch {
  const node = emptyPoint();
  const pods = new Map<string, Map<string, MetricsPoint>>();
  // Which points had a cpu and a memory sample: a sample of 0 is a measurement (a process that ran under one
  // /proc tick), unlike metrics-server, which reads 0 as missing.
  const measured = { cpu: new WeakSet<MetricsPoint>(), memory: new WeakSet<MetricsPoint>() };
  for (const line of text.split('\n')) {
    const sample = parseSample(line.trim());
    if (!sample || !Number.isFinite(sample.value) || sample.value < 0) continue;
    const timestampMs = sample.timestampMs ?? scrapeTimeMs;
    switch (sample.name) {
      case 'node_cpu_usage_seconds_total':
        node.cpuNanoseconds = Math.trunc(sample.value * 1e9);
        node.timestampMs = timestampMs;
        continue;
      case 'node_memory_working_set_bytes':
        node.memoryBytes = Math.trunc(sample.value);
        node.timestampMs = timestampMs;
        continue;
    }
    const { namespace, pod, container } = sample.labels;
    if (!namespace || !pod || !container) continue;
    const key = `${namespace}/${pod}`;
    let containers = pods.get(key);
    if (!containers) pods.set(key, (containers = new Map()));
    let point = containers.get(container);
    if (!point) containers.set(container, (point = emptyPoint()));
    if (sample.name === 'container_start_time_seconds') {
      point.startTimeMs = sample.value * 1000;
    } else if (sample.name === 'container_cpu_usage_seconds_total') {
      point.cpuNanoseconds = Math.trunc(sample.value * 1e9);
      point.timestampMs = timestampMs;
      measured.cpu.add(point);
    } else {
      point.memoryBytes = Math.trunc(sample.value);
      point.timestampMs = timestampMs;
      measured.memory.add(point);
    }
  }
  const batch: NodeBatch = { pods: new Map() };
  if (node.timestampMs !== 0 && node.cpuNanoseconds !== 0 && node.memoryBytes !== 0) batch.node = node;
  for (const [key, containers] of pods) {
    const complete = completeContainers(containers, measured);
    if (complete) batch.pods.set(key, complete);
  }
  return batch;
}

/** The containers that have any metric; undefined when one has some but not CPU and memory both. */
function completeContainers(containers: Map<string, MetricsPoint>, measured: { cpu: WeakSet<MetricsPoint>; memory: WeakSet<MetricsPoint> }): Map<string, MetricsPoint> | undefined {
  const complete = new Map<string, MetricsPoint>();
  for (const [name, point] of containers) {
    if (point.startTimeMs === 0 && point.timestampMs === 0 && point.cpuNanoseconds === 0 && point.memoryBytes === 0) continue;
    if (!measured.cpu.has(point) || !measured.memory.has(point)) return undefined;
    complete.set(name, point);
  }
  return complete;
}
