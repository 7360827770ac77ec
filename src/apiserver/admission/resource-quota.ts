/**
 * ResourceQuota, as upstream's admission plugin (validating phase): a
 * create — or an update that can grow usage (a service's type, a claim's
 * storage) — of a namespaced object is checked against the namespace's
 * ResourceQuotas (resource-quota-check.ts), and the quotas it concerns are
 * charged at once: their `status.used` is written with a compare-and-swap,
 * so two requests cannot both take the last of a quota. A lost swap reads
 * that quota again and checks anew, a few times, as upstream's evaluator
 * does. Dry runs are checked but charge nothing.
 *
 * Requests in one namespace are checked one after another (upstream queues
 * them per namespace), so this apiserver's own writes never race each
 * other; the swap guards against other apiservers and the controller.
 */
import { isPlainObject, type KubeObject } from '../../machinery/object.js';
import { errors, isStatusError, type StatusError } from '../../machinery/status.js';
import type { AdmissionAttributes, AdmissionPlugin } from './chain.js';
import { lookupFailure } from './forbidden.js';
import { checkRequest, type ResourceQuota } from './resource-quota-check.js';
import { quotaEvaluatorFor, type QuotaEvaluator } from './resource-quota-evaluators.js';

type MaybePromise<T> = T | Promise<T>;

export interface ResourceQuotaDependencies {
  /** The namespace's ResourceQuotas (from the watch cache, consistent with storage). */
  listQuotas(namespace: string): MaybePromise<KubeObject[]>;
  /** One quota read afresh after a lost swap; undefined when it is gone. */
  getQuota(namespace: string, name: string): MaybePromise<KubeObject | undefined>;
  /**
   * Writes `status.used` of the quota as read (its resourceVersion), as one
   * compare-and-swap: 'conflict' when the quota changed since.
   */
  updateQuotaStatus(quota: KubeObject, used: Record<string, string>): Promise<'ok' | 'conflict'>;
}

export interface ResourceQuotaOptions {
  /** Fresh reads and checks after lost swaps (upstream: 3). */
  retries?: number;
  /** How long a request may wait for its namespace's turn and its check (upstream: 10 s). */
  evaluationTimeoutMs?: number;
}

/**
 * Runs jobs one at a time per key, in arrival order. A job that overruns its
 * time lets the next one start (a hung lookup must not stop the namespace);
 * the swap still keeps a late write from double-spending a quota.
 */
class PerNamespaceQueue {
  private readonly tails = new Map<string, Promise<void>>();

  run<T>(key: string, job: () => Promise<T>, overrun: Promise<unknown>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(job);
    const tail = Promise.race([result, overrun]).then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/** Upstream's event kinds quota never looks at. */
const ignoredResources = new Set(['events']);

function evaluatorOf(a: AdmissionAttributes): QuotaEvaluator | undefined {
  if (a.subresource || !a.namespace || !a.type.namespaced || !a.object) return undefined;
  if (a.type.group === '' && ignoredResources.has(a.type.resource)) return undefined;
  const evaluator = quotaEvaluatorFor(a.type.group, a.type.resource);
  return evaluator.handles(a.operation) ? evaluator : undefined;
}

const lostSwap = (quota: KubeObject): StatusError => errors.staleResourceVersion('', 'resourcequotas', quota.metadata.name ?? '');

export function resourceQuotaPlugin(deps: ResourceQuotaDependencies, options: ResourceQuotaOptions = {}): AdmissionPlugin {
  const retries = options.retries ?? 3;
  const timeoutMs = options.evaluationTimeoutMs ?? 10_000;
  const queue = new PerNamespaceQueue();

  const read = async <T>(a: AdmissionAttributes, lookup: () => MaybePromise<T>): Promise<T> => {
    try {
      return await lookup();
    } catch (err) {
      throw lookupFailure(a, err);
    }
  };
  const quotasIn = (objects: (KubeObject | undefined)[], namespace: string) =>
    objects.filter((q): q is ResourceQuota => isPlainObject(q) && isPlainObject(q.metadata) && q.metadata.namespace === namespace);

  async function evaluate(a: AdmissionAttributes, evaluator: QuotaEvaluator, abandoned: () => boolean): Promise<void> {
    const namespace = a.namespace!;
    let quotas = quotasIn(await read(a, () => deps.listQuotas(namespace)), namespace);
    for (let attempt = 0; quotas.length > 0 && !abandoned(); attempt++) {
      const changes = checkRequest(quotas, a, evaluator);
      if (a.dryRun || changes.size === 0) return;
      const lost: string[] = [];
      let lastError: unknown;
      for (const [index, used] of changes) {
        const quota = quotas[index];
        const outcome = await deps.updateQuotaStatus(quota, used).catch((err: unknown) => err);
        if (outcome === 'ok') continue;
        lost.push(quota.metadata.name ?? '');
        lastError = outcome === 'conflict' ? lostSwap(quota) : outcome;
      }
      if (lost.length === 0) return;
      if (attempt >= retries) throw isStatusError(lastError) ? lastError : errors.internal(lastError instanceof Error ? lastError.message : String(lastError));
      // Only the quotas whose swap was lost are checked again; the others are charged.
      quotas = quotasIn(await Promise.all(lost.map((name) => read(a, () => deps.getQuota(namespace, name)))), namespace);
    }
  }

  return {
    name: 'ResourceQuota',
    async validate(a) {
      const evaluator = evaluatorOf(a);
      if (!evaluator) return;
      let abandoned = false;
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abandoned = true;
          reject(errors.internal('resource quota evaluation timed out'));
        }, timeoutMs);
      });
      try {
        // A namespace without quotas has nothing to check: no queue (most creates in most clusters).
        const quotas = await Promise.race([read(a, () => deps.listQuotas(a.namespace!)), timedOut]);
        if (quotasIn(quotas, a.namespace!).length === 0) return;
        const job = queue.run(a.namespace!, () => (abandoned ? Promise.resolve() : evaluate(a, evaluator, () => abandoned)), timedOut);
        await Promise.race([job, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
