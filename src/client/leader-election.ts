/**
 * Leader election on a coordination.k8s.io Lease, as client-go does it:
 * several copies of a controller manager may run; the one whose identity is
 * in the Lease's `holderIdentity` and keeps renewing it leads. A holder that
 * stops renewing for `leaseDurationSeconds` loses the Lease to the next
 * candidate. Every write is a compare-and-swap on the Lease's
 * resourceVersion, so two candidates can never both win.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { KubeObject } from '../machinery/object.js';
import { isStatusError } from '../machinery/status.js';
import type { Client } from './client.js';
import type { ResourceClient } from './resource-client.js';
import { microTime, sleep } from './time.js';

export interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

/** Where a candidate reports whether it leads (client-go's leader metric): off when created, on while leading. */
export interface LeaderElectionMetricsRecorder {
  leaderOn(name: string): void;
  leaderOff(name: string): void;
}

export interface LeaderElectionOptions {
  name: string;
  namespace?: string;
  identity?: string;
  leaseDurationMs?: number;
  /** A leader that cannot renew within this long steps down. */
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /**
   * Called when this candidate starts leading (a term); the signal aborts
   * when the term ends. A returned promise is awaited after that, before
   * `onStoppedLeading` and before campaigning again: a new term never
   * overlaps the end of the last one.
   */
  onStartedLeading(leading: AbortSignal): unknown;
  onStoppedLeading?(): void;
  onNewLeader?(identity: string): void;
  now?: () => Date;
  /** leader_election_master_status (see src/client/metrics/). */
  metrics?: LeaderElectionMetricsRecorder;
}

const leases = { group: 'coordination.k8s.io', version: 'v1', resource: 'leases', kind: 'Lease', namespaced: true };

/** metav1.MicroTime: RFC 3339 with microseconds. */
export class LeaderElector {
  readonly identity: string;
  private readonly leases: ResourceClient<Lease>;
  private readonly namespace: string;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => Date;
  private observedHolder = '';
  private lastRenew = 0;

  constructor(
    client: Client,
    private readonly options: LeaderElectionOptions,
  ) {
    this.leases = client.resource<Lease>(leases);
    this.identity = options.identity ?? `${hostname()}_${randomUUID()}`;
    this.namespace = options.namespace ?? 'kube-system';
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.now = options.now ?? (() => new Date());
    options.metrics?.leaderOff(options.name);
  }

  /** Campaigns, leads while it can, campaigns again; until the signal aborts (then releases the Lease). */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      // Campaign until we hold the Lease.
      while (!signal.aborted && !(await this.tryAcquireOrRenew())) await sleep(this.retryPeriodMs, signal);
      if (signal.aborted) break;
      const leading = new AbortController();
      this.options.metrics?.leaderOn(this.options.name);
      const term = Promise.resolve(this.options.onStartedLeading(leading.signal)).catch(() => {});
      // Renew until we fail to for longer than the renew deadline.
      while (!signal.aborted) {
        await sleep(this.retryPeriodMs, signal);
        if (signal.aborted) break;
        if (await this.tryAcquireOrRenew()) continue;
        if (this.now().getTime() - this.lastRenew > this.renewDeadlineMs) break;
      }
      leading.abort();
      this.options.metrics?.leaderOff(this.options.name);
      await term;
      this.options.onStoppedLeading?.();
      if (signal.aborted) {
        await this.release();
        break;
      }
    }
  }

  /** One attempt to take or keep the Lease; true when this candidate holds it now. */
  async tryAcquireOrRenew(): Promise<boolean> {
    const now = this.now();
    try {
      const lease = await this.leases.find(this.namespace, this.options.name);
      const spec = {
        holderIdentity: this.identity,
        leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
        acquireTime: microTime(now),
        renewTime: microTime(now),
        leaseTransitions: 0,
      };
      if (!lease) {
        await this.leases.create({ metadata: { name: this.options.name, namespace: this.namespace }, spec });
        this.becameHolder(now);
        return true;
      }
      const current = lease.spec ?? {};
      const holder = current.holderIdentity ?? '';
      if (holder !== this.observedHolder) {
        this.observedHolder = holder;
        if (holder) this.options.onNewLeader?.(holder);
      }
      const renewedAt = current.renewTime ? Date.parse(current.renewTime) : 0;
      const expires = renewedAt + (current.leaseDurationSeconds ?? 0) * 1000;
      if (holder && holder !== this.identity && expires > now.getTime()) return false;
      const next: Lease = {
        ...lease,
        spec: {
          ...spec,
          acquireTime: holder === this.identity ? current.acquireTime ?? spec.acquireTime : spec.acquireTime,
          leaseTransitions: (current.leaseTransitions ?? 0) + (holder === this.identity ? 0 : 1),
        },
      };
      await this.leases.update(next);
      this.becameHolder(now);
      return true;
    } catch (err) {
      // Conflict: someone else wrote the Lease first; AlreadyExists: created first. Either way, not ours now.
      if (isStatusError(err, 'Conflict') || isStatusError(err, 'AlreadyExists')) return false;
      return false;
    }
  }

  private becameHolder(now: Date): void {
    this.lastRenew = now.getTime();
    if (this.observedHolder !== this.identity) {
      this.observedHolder = this.identity;
      this.options.onNewLeader?.(this.identity);
    }
  }

  /** Gives the Lease up at once so another candidate need not wait for it to expire. */
  private async release(): Promise<void> {
    try {
      const lease = await this.leases.find(this.namespace, this.options.name);
      if (!lease || lease.spec?.holderIdentity !== this.identity) return;
      await this.leases.update({ ...lease, spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 } });
    } catch {
      // Best effort: the Lease expires by itself.
    }
  }
}
