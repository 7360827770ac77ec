/**
 * The Prometheus text format (0.0.4) as the Go client writes it, for the
 * expositions prom-client cannot make: samples with timestamps
 * (/metrics/resource, /metrics/cadvisor). Families come sorted by name,
 * labels by name, samples by their label values, and numbers are written
 * as Go's strconv.FormatFloat(v, 'g', -1, 64) writes them (1.253376e+07),
 * so a scraper sees what a kubelet would send.
 */

export const textContentType = 'text/plain; version=0.0.4; charset=utf-8';

export interface Sample {
  labels?: Record<string, string>;
  value: number;
  /** Milliseconds since the epoch; omitted when undefined. */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge';
  samples: Sample[];
}

/** A number as Go's shortest 'g' format writes it: exponent form below 1e-4 and from 1e+06 on. */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  // The common case, whole numbers below a million, reads the same in both languages.
  if (Number.isInteger(value) && Math.abs(value) < 1e6) return String(value);
  const [mantissa, exponentText] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  // In this range JavaScript's shortest decimal form is Go's too.
  return String(value);
}

export function escapeLabelValue(value: string): string {
  if (!/[\\\n"]/.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(help: string): string {
  return help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** The families in the text format; a family without samples is left out, as the Go client's Gather does. */
export function renderFamilies(families: MetricFamily[]): string {
  let out = '';
  for (const family of [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (family.samples.length === 0) continue;
    out += `# HELP ${family.name} ${escapeHelp(family.help)}\n# TYPE ${family.name} ${family.type}\n`;
    const names = [...new Set(family.samples.flatMap((s) => Object.keys(s.labels ?? {})))].sort();
    // Each sample's sort key (its label values in label-name order) and line, made once.
    const lines = family.samples.map((sample) => {
      const labels = sample.labels ?? {};
      const present = names.filter((name) => name in labels);
      const series = present.length ? `${family.name}{${present.map((name) => `${name}="${escapeLabelValue(labels[name])}"`).join(',')}}` : family.name;
      const timestamp = sample.timestampMs === undefined ? '' : ` ${Math.trunc(sample.timestampMs)}`;
      return { key: names.map((name) => labels[name] ?? ''), at: sample.timestampMs ?? 0, line: `${series} ${formatGoFloat(sample.value)}${timestamp}\n` };
    });
    lines.sort((a, b) => {
      for (let i = 0; i < a.key.length; i++) if (a.key[i] !== b.key[i]) return a.key[i] < b.key[i] ? -1 : 1;
      return a.at - b.at;
    });
    for (const { line } of lines) out += line;
  }
  return out;
}
