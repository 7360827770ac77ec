/**
 * leader_election_master_status as client-go reports it
 * (k8s.io/component-base/metrics/prometheus/clientgo/leaderelection):
 * 0 from the moment a candidate is created, 1 while it holds the Lease.
 */
import { Gauge, type Registry } from 'prom-client';
import type { LeaderElectionMetricsRecorder } from '../leader-election.js';

export class LeaderElectionMetrics implements LeaderElectionMetricsRecorder {
  private readonly status: Gauge<'name'>;

  constructor(registry: Registry) {
    this.status = new Gauge({
      name: 'leader_election_master_status',
      help: "[ALPHA] Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, 1 indicates master. 'name' is the string used to identify the lease. Please make sure to group by name.",
      labelNames: ['name'],
      registers: [registry],
    });
  }

  leaderOn(name: string): void {
    this.status.set({ name }, 1);
  }

  leaderOff(name: string): void {
    this.status.set({ name }, 0);
  }
}
