/**
 * Custom resources and server-side apply through a real `skiff up`
 * (apiserver alone): creates of a custom resource whose schema has a dozen
 * fields and two CEL rules, beside the same number of ConfigMaps (p50, p99,
 * creates/s, sequential and 32 clients); then a 100-field object written
 * again and again by server-side apply (one value changed each time) versus
 * by a plain update (PUT).
 */
import { measureCreates, startBenchCluster, type BenchCluster } from './cluster.js';
import { ms, percentile } from './stats.js';

const definition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.bench.example.com' },
  spec: {
    group: 'bench.example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['size', 'maxSize'],
                properties: {
                  size: { type: 'integer', minimum: 0 },
                  maxSize: { type: 'integer', maximum: 1000 },
                  color: { type: 'string', enum: ['red', 'green', 'blue'] },
                  name: { type: 'string', maxLength: 63, pattern: '^[a-z0-9-]+$' },
                  labels: { type: 'object', additionalProperties: { type: 'string' } },
                  parts: { type: 'array', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['name'], items: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, count: { type: 'integer', default: 1 } } } },
                },
                'x-kubernetes-validations': [
                  { rule: 'self.size <= self.maxSize', message: 'size must not exceed maxSize' },
                  { rule: 'self.parts.all(p, p.count > 0)', message: 'every part needs a positive count' },
                ],
              },
            },
          },
        },
      },
    ],
  },
};

const widget = (name: string) => ({
  apiVersion: 'bench.example.com/v1',
  kind: 'Widget',
  metadata: { name, labels: { bench: 'true' } },
  spec: { size: 3, maxSize: 10, color: 'green', name: 'a-widget', labels: { team: 'bench' }, parts: [{ name: 'a', count: 2 }, { name: 'b' }] },
});
const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels: { bench: 'true' } }, data: { key: 'value'.repeat(20) } });

/** What the crd-naming controller writes; the apiserver alone serves the kind once it is there. */
async function establish(cluster: BenchCluster): Promise<void> {
  const created = await cluster.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', definition);
  if (created.status !== 201) throw new Error(`CRD create failed: ${created.status} ${created.body}`);
  const crd = JSON.parse(created.body);
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  crd.status = {
    ...crd.status,
    acceptedNames: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
    conditions: [
      { type: 'NamesAccepted', status: 'True', reason: 'NoConflicts', message: 'no conflicts found', lastTransitionTime: now },
      { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted', lastTransitionTime: now },
    ],
  };
  const updated = await cluster.request('PUT', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.bench.example.com/status', crd);
  if (updated.status !== 200) throw new Error(`CRD status failed: ${updated.status} ${updated.body}`);
  for (let attempt = 0; (await cluster.request('GET', '/apis/bench.example.com/v1/namespaces/default/widgets')).status !== 200; attempt++) {
    if (attempt > 200) throw new Error('widgets were not served');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function creates(cluster: BenchCluster, what: string, base: string, make: (name: string) => unknown): Promise<void> {
  const { sequential, times, perSecond, concurrent, workers, concurrentPerSecond } = await measureCreates(cluster, base, make);
  console.log(`${what}: sequential (${sequential}) p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))}, ${perSecond.toFixed(0)} creates/s; ${workers} clients (${concurrent}) ${concurrentPerSecond.toFixed(0)} creates/s`);
}

/** p50 and p99 of writing a 100-key ConfigMap `rounds` times, one value changed each time. */
async function rewrites(cluster: BenchCluster, how: 'apply' | 'update', rounds: number): Promise<string> {
  const name = `hundred-${how}`;
  const path = `/api/v1/namespaces/default/configmaps/${name}`;
  const data = (round: number) => Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field${i}`, i === 0 ? `round-${round}` : `value-${i}`]));
  const body = (round: number) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: data(round) });
  const first = await cluster.request('PATCH', `${path}?fieldManager=bench`, body(-1), 'application/apply-patch+yaml');
  if (first.status !== 201) throw new Error(`first apply failed: ${first.status} ${first.body}`);
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const t = performance.now();
    const res = how === 'apply' ? await cluster.request('PATCH', `${path}?fieldManager=bench`, body(round), 'application/apply-patch+yaml') : await cluster.request('PUT', path, body(round));
    if (res.status !== 200) throw new Error(`${how} failed: ${res.status} ${res.body}`);
    times.push(performance.now() - t);
  }
  return `p50 ${ms(percentile(times, 50))}, p99 ${ms(percentile(times, 99))}`;
}

export async function run(): Promise<void> {
  const cluster = await startBenchCluster(undefined, false, ['--no-controllers']);
  try {
    console.log('custom resources and server-side apply, apiserver alone (--no-controllers):');
    // Warm-up, unmeasured: the first requests pay for the JIT.
    for (let i = 0; i < 300; i++) await cluster.request('POST', '/api/v1/namespaces/default/configmaps', configMap(`warm-${i}`));
    await creates(cluster, 'ConfigMap create', '/api/v1/namespaces/default/configmaps', configMap);
    await establish(cluster);
    await creates(cluster, 'custom resource create (schema, 2 CEL rules)', '/apis/bench.example.com/v1/namespaces/default/widgets', widget);
    const rounds = 300;
    console.log(`100-field ConfigMap rewritten ${rounds} times: update (PUT) ${await rewrites(cluster, 'update', rounds)}; server-side apply ${await rewrites(cluster, 'apply', rounds)}`);
  } finally {
    await cluster.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
