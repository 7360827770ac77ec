/**
 * The cost of security on the request path (issue 14): ConfigMap creates
 * against `skiff up --no-controllers` as the admin (system:masters, decided
 * before RBAC) with the audit log off and on (the default: Metadata level),
 * and as a user bound to `edit` in the namespace (reached by impersonation:
 * each request also authorizes the impersonation, then RBAC decides).
 */
import { measureCreates, startBenchCluster, type BenchCluster } from './cluster.js';
import { conditions, ms, percentile } from './stats.js';

const configMap = (name: string) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { key: 'value'.repeat(20) } });

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Three clusters per configuration (this machine's figures vary run to run): the medians of their figures. */
async function measure(label: string, args: string[], prepare?: (cluster: BenchCluster) => Promise<Record<string, string>>): Promise<number> {
  const runs: { p50: number; p99: number; perSecond: number; concurrent: number }[] = [];
  for (let run = 0; run < 3; run++) {
    const cluster = await startBenchCluster(undefined, false, ['--no-controllers', ...args]);
    try {
      const headers = prepare ? await prepare(cluster) : undefined;
      const result = await measureCreates(cluster, '/api/v1/namespaces/default/configmaps', configMap, 500, 2000, 32, headers);
      runs.push({ p50: percentile(result.times, 50), p99: percentile(result.times, 99), perSecond: result.perSecond, concurrent: result.concurrentPerSecond });
    } finally {
      await cluster.stop();
    }
  }
  const concurrent = median(runs.map((r) => r.concurrent));
  console.log(
    `${label} (median of 3): sequential p50 ${ms(median(runs.map((r) => r.p50)))}, p99 ${ms(median(runs.map((r) => r.p99)))}, ${median(runs.map((r) => r.perSecond)).toFixed(0)}/s; 32 clients ${concurrent.toFixed(0)}/s`,
  );
  return concurrent;
}

export async function run(): Promise<void> {
  console.log(`\n## security on the request path (${conditions()})`);
  const plain = await measure('admin, audit off', ['--audit-log-path=']);
  const audited = await measure('admin, audit on (Metadata, DIR/audit.log)', []);
  const rbac = await measure('user bound to edit (impersonated), audit on', [], async (cluster) => {
    const binding = {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'bench-edit', namespace: 'default' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'User', name: 'bench-user' }],
    };
    const res = await cluster.request('POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', binding);
    if (res.status !== 201) throw new Error(`rolebinding: ${res.status} ${res.body}`);
    return { 'Impersonate-User': 'bench-user' };
  });
  console.log(`concurrent creates relative to admin without audit: audit ${(audited / plain).toFixed(2)}×, RBAC user ${(rbac / plain).toFixed(2)}×`);
}
