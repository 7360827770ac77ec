/**
 * The controller manager's metrics in one registry: every controller's work
 * queue (named as kube-controller-manager names it), leader election, the
 * REST client (once the client reports to it) and the process.
 *
 *   new ControllerManagerMetrics() ─► Manager({ metrics }) ─► each term's Controllers' WorkQueues
 *                                                         └─► LeaderElector
 *   registry.metrics() ─► the text a /metrics handler serves
 */
import { Registry } from 'prom-client';
import { LeaderElectionMetrics } from './leader-election-metrics.js';
import { registerProcessMetrics } from './process-metrics.js';
import { RestClientMetrics } from './rest-client-metrics.js';
import { WorkQueueMetrics } from './workqueue-metrics.js';

/**
 * kube-controller-manager's queue names where they differ from the
 * controller's name (the others are the same: replicaset, deployment, …).
 */
export const upstreamQueueNames: Record<string, string> = {
  endpoints: 'endpoint',
  endpointslice: 'endpoint_slice',
  resourcequota: 'resourcequota_primary',
  'ttl-after-finished': 'ttl_jobs_to_delete',
  'root-ca-cert-publisher': 'root_ca_cert_publisher',
  'clusterrole-aggregation': 'ClusterRoleAggregator',
  'node-lifecycle': 'node_lifecycle_controller',
  'pvc-protection': 'pvcprotection',
  'pv-protection': 'pvprotection',
  csrapproving: 'certificate',
  csrsigning: 'certificate',
};

export interface ControllerManagerMetricsOptions {
  /** process_* and nodejs_* families (default true; false when another registry of the process has them). */
  processMetrics?: boolean;
  /** Milliseconds now, for the work queues' durations (tests move it). */
  now?: () => number;
}

export class ControllerManagerMetrics {
  readonly registry = new Registry();
  /** Give to ManagerOptions.metrics; each controller's queue reports here. */
  readonly workQueues: WorkQueueMetrics;
  readonly leaderElection: LeaderElectionMetrics;
  /** For the REST client's metrics hook (see the README: rest.ts does not report yet). */
  readonly restClient: RestClientMetrics;

  constructor(options: ControllerManagerMetricsOptions = {}) {
    this.workQueues = new WorkQueueMetrics(this.registry, { now: options.now, rename: upstreamQueueNames });
    this.leaderElection = new LeaderElectionMetrics(this.registry);
    this.restClient = new RestClientMetrics(this.registry);
    if (options.processMetrics ?? true) registerProcessMetrics(this.registry);
  }
}
