/**
 * pods/eviction: a delete that asks the pod's PodDisruptionBudget first, as
 * kube-apiserver's eviction REST does.
 *
 *   - a pod that is not running (Pending, Succeeded, Failed) or already being
 *     deleted has disrupted nothing it can still disrupt: it is deleted at once;
 *   - otherwise the one PDB selecting it must allow a disruption: its
 *     `disruptionsAllowed` is decremented and the pod recorded in
 *     `disruptedPods` in one compare-and-swap of the PDB's status (so two
 *     evictions racing for the last allowed disruption cannot both win), and
 *     the pod is deleted; no disruption left → 429 TooManyRequests, which
 *     `kubectl drain` waits on and retries;
 *   - a running but not ready pod may go without spending the budget when the
 *     budget's `unhealthyPodEvictionPolicy` is AlwaysAllow, or (IfHealthyBudget,
 *     the default) when the application is healthy enough anyway;
 *   - the pod gets the DisruptionTarget condition before it is deleted.
 * A dry run (`dryRun: ["All"]` in the Eviction's deleteOptions or the query)
 * checks all this and changes nothing.
 */
import { admissionReporting } from '../admission/reporting.js';
import type { KubeObject } from '../../machinery/object.js';
import { isPlainObject } from '../../machinery/object.js';
import { labelSelectorMatches, type LabelSelector } from '../../machinery/labels.js';
import { errors, isStatusError, StatusError } from '../../machinery/status.js';
import type { RequestContext } from '../context.js';
import { timestamp } from '../context.js';
import { readBody, sendJson } from '../http.js';
import { parseBody } from './decode.js';
import { deleteObject, validateDeleteOptions, type DeleteOptions } from './delete.js';

interface Pod extends KubeObject {
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: string | null }[] };
}

interface PodDisruptionBudget extends KubeObject {
  spec?: { selector?: LabelSelector; unhealthyPodEvictionPolicy?: 'IfHealthyBudget' | 'AlwaysAllow' };
  status?: {
    observedGeneration?: number;
    disruptionsAllowed?: number;
    currentHealthy?: number;
    desiredHealthy?: number;
    disruptedPods?: Record<string, string>;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; observedGeneration?: number }[];
  };
}

/** Upstream refuses evictions once this many are recorded but not yet confirmed by the disruption controller. */
const maxDisruptedPods = 2000;
/** How often a PDB status write that lost a race is tried again (upstream: 20 steps). */
const maxBudgetAttempts = 20;

const violatesBudget = "Cannot evict pod as it would violate the pod's disruption budget.";

function budgetError(cause: string): StatusError {
  const err = errors.tooManyRequests(violatesBudget, 0);
  err.status.details = { ...err.status.details, causes: [{ reason: 'DisruptionBudget', message: cause }] };
  return err;
}

function isReady(pod: Pod): boolean {
  return pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/** Pods that no longer run (or are going anyway) cannot be disrupted further: no budget applies. */
function canIgnoreBudget(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return phase === 'Succeeded' || phase === 'Failed' || phase === 'Pending' || pod.metadata.deletionTimestamp !== undefined;
}

/** The eviction's delete options, with a dry run from the query folded in (they must agree when both are given). */
function evictionDeleteOptions(ctx: RequestContext, eviction: Record<string, unknown>): DeleteOptions {
  const fromBody = eviction.deleteOptions;
  if (fromBody !== undefined && fromBody !== null && !isPlainObject(fromBody)) throw errors.badRequest('deleteOptions must be an object');
  const options: DeleteOptions = structuredClone((fromBody ?? {}) as DeleteOptions);
  const queryDryRun = ctx.url.searchParams.getAll('dryRun');
  if (queryDryRun.length > 0) {
    if (options.dryRun?.length && JSON.stringify(options.dryRun) !== JSON.stringify(queryDryRun)) {
      throw errors.badRequest(`DryRun in DeleteOptions (${JSON.stringify(options.dryRun)}) does not match DryRun in CreateOptions (${JSON.stringify(queryDryRun)})`);
    }
    options.dryRun = queryDryRun;
  }
  validateDeleteOptions(options);
  return options;
}

export async function handleEviction(ctx: RequestContext): Promise<void> {
  const { value } = parseBody(await readBody(ctx.req), ctx.req.headers['content-type']);
  if (!isPlainObject(value)) throw errors.badRequest('Eviction must be an object');
  const podName = ctx.info.name!;
  const namespace = ctx.info.namespace!;
  const evictionName = (value.metadata as { name?: string } | undefined)?.name;
  if (evictionName !== undefined && evictionName !== podName) throw errors.badRequest('name in URL does not match name in Eviction object');
  const options = evictionDeleteOptions(ctx, value);
  const dryRun = options.dryRun?.includes('All') ?? false;
  const callerNamedVersion = Boolean(options.preconditions?.resourceVersion);

  const { object: pod, revision } = (await ctx.storage.get(namespace, podName)) as { object: Pod; revision: number };
  // An eviction is a create of the pods/eviction subresource: admission sees it (NodeRestriction lets a node evict only its pods).
  const attributes = { operation: 'CREATE' as const, type: ctx.type, subresource: 'eviction', namespace, name: podName, object: value as KubeObject, oldObject: pod, user: ctx.user, dryRun, ...admissionReporting(ctx) };
  await ctx.server.admission.admit(attributes);
  await ctx.server.admission.validate(attributes);
  if (canIgnoreBudget(pod)) {
    // Terminal or deleting pods go without a budget; a still-running one only if it is the version we looked at.
    const enforceVersion = pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed' && !pod.metadata.deletionTimestamp;
    await markAndDelete(ctx, podName, enforceVersion && !callerNamedVersion ? withVersion(options, revision) : options, dryRun);
    return answerSuccess(ctx);
  }

  const budgets = await budgetsSelecting(ctx, pod);
  if (budgets.length > 1) {
    sendJson(ctx.res, 500, {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
      code: 500,
    });
    return;
  }
  let deleteOptions = options;
  let pinnedToVersion = false;
  if (budgets.length === 1) {
    const budget = budgets[0];
    const status = budget.object.status ?? {};
    const unhealthyMayGo =
      !isReady(pod) &&
      (budget.object.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow' || ((status.currentHealthy ?? 0) >= (status.desiredHealthy ?? 0) && (status.desiredHealthy ?? 0) > 0));
    if (unhealthyMayGo) {
      // An unready pod does not count as healthy: deleting it spends nothing, as long as it stays unready.
      deleteOptions = callerNamedVersion ? options : withVersion(options, revision);
      pinnedToVersion = !callerNamedVersion;
    } else {
      await spendDisruption(ctx, budget.object.metadata.name!, namespace, podName, dryRun);
    }
  }
  try {
    await markAndDelete(ctx, podName, deleteOptions, dryRun);
  } catch (err) {
    // The pod changed (it may have become ready) since it was found unready: let the client try again.
    if (pinnedToVersion && isStatusError(err, 'Conflict')) throw budgetError(`The disruption budget ${budgets[0].object.metadata.name} is still being processed by the server.`);
    throw err;
  }
  answerSuccess(ctx);
}

function answerSuccess(ctx: RequestContext): void {
  sendJson(ctx.res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
}

function withVersion(options: DeleteOptions, revision: number): DeleteOptions {
  return { ...options, preconditions: { ...options.preconditions, resourceVersion: String(revision) } };
}

/** The PDBs of the pod's namespace whose selector picks the pod (a missing selector picks none, as in policy/v1). */
async function budgetsSelecting(ctx: RequestContext, pod: Pod): Promise<{ object: PodDisruptionBudget; revision: number }[]> {
  const type = ctx.server.registry.find('policy', 'v1', 'poddisruptionbudgets');
  if (!type) return [];
  const storage = ctx.server.storageFor(type);
  const cache = await storage.cache();
  await cache.sync();
  return cache
    .list(storage.keyPrefixFor(pod.metadata.namespace))
    .map((entry) => ({ object: storage.view(entry) as PodDisruptionBudget, revision: entry.revision }))
    .filter(({ object }) => object.spec?.selector !== undefined && labelSelectorMatches(object.spec.selector, pod.metadata.labels));
}

/**
 * Takes one disruption from the budget: checks it allows one, decrements it and
 * records the pod in `disruptedPods`, in one compare-and-swap of the PDB, re-read
 * and re-checked whenever another writer got there first.
 */
async function spendDisruption(ctx: RequestContext, budgetName: string, namespace: string, podName: string, dryRun: boolean): Promise<void> {
  const type = ctx.server.registry.find('policy', 'v1', 'poddisruptionbudgets')!;
  const storage = ctx.server.storageFor(type);
  for (let attempt = 0; attempt < maxBudgetAttempts; attempt++) {
    const { object, revision } = (await storage.get(namespace, budgetName)) as { object: PodDisruptionBudget; revision: number };
    const status = (object.status ??= {});
    if ((status.observedGeneration ?? 0) < (object.metadata.generation ?? 0)) {
      throw budgetError(`The disruption budget ${budgetName} is still being processed by the server.`);
    }
    const allowed = status.disruptionsAllowed ?? 0;
    if (allowed < 0) throw errors.forbidden('policy', 'poddisruptionbudget', budgetName, 'pdb disruptions allowed is negative');
    if (Object.keys(status.disruptedPods ?? {}).length >= maxDisruptedPods) {
      throw errors.forbidden('policy', 'poddisruptionbudget', budgetName, 'DisruptedPods map too big - too many evictions not confirmed by PDB controller');
    }
    if (allowed === 0) {
      throw budgetError(`The disruption budget ${budgetName} needs ${status.desiredHealthy ?? 0} healthy pods and has ${status.currentHealthy ?? 0} currently`);
    }
    if (dryRun) return;
    const now = ctx.server.clock.now();
    status.disruptionsAllowed = allowed - 1;
    if (status.disruptionsAllowed === 0) markNoDisruptionAllowed(object, timestamp(now));
    status.disruptedPods = { ...status.disruptedPods, [podName]: timestamp(now) };
    try {
      await storage.update(object, revision);
      return;
    } catch (err) {
      if (!isStatusError(err, 'Conflict')) throw err;
    }
  }
  throw errors.timeout(`couldn't update PodDisruptionBudget "${budgetName}" due to conflicts`);
}

function markNoDisruptionAllowed(budget: PodDisruptionBudget, now: string): void {
  const conditions = (budget.status!.conditions ??= []);
  const previous = conditions.find((c) => c.type === 'DisruptionAllowed');
  const condition = {
    type: 'DisruptionAllowed',
    status: 'False',
    reason: 'InsufficientPods',
    message: '',
    observedGeneration: budget.status!.observedGeneration,
    lastTransitionTime: previous?.status === 'False' ? previous.lastTransitionTime : now,
  };
  if (previous) Object.assign(previous, condition);
  else conditions.push(condition);
}

/** Adds the DisruptionTarget condition (not in a dry run), then deletes with the given options. */
async function markAndDelete(ctx: RequestContext, podName: string, options: DeleteOptions, dryRun: boolean): Promise<void> {
  const namespace = ctx.info.namespace!;
  let deleteOptions = options;
  if (!dryRun) {
    const { object: pod, revision } = (await ctx.storage.get(namespace, podName)) as { object: Pod; revision: number };
    const wanted = options.preconditions ?? {};
    if (wanted.uid && wanted.uid !== pod.metadata.uid) {
      throw errors.conflict('', 'pods', podName, `Precondition failed: UID in precondition: ${wanted.uid}, UID in object meta: ${pod.metadata.uid}`);
    }
    if (wanted.resourceVersion && wanted.resourceVersion !== String(revision)) {
      throw errors.conflict('', 'pods', podName, `Precondition failed: ResourceVersion in precondition: ${wanted.resourceVersion}, ResourceVersion in object meta: ${revision}`);
    }
    const conditions = ((pod.status ??= {}).conditions ??= []);
    const target = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting', lastProbeTime: null, lastTransitionTime: timestamp(ctx.server.clock.now()) };
    const index = conditions.findIndex((c) => c.type === 'DisruptionTarget');
    if (index < 0 || conditions[index].status !== 'True' || conditions[index].reason !== target.reason) {
      if (index >= 0) conditions[index] = target;
      else conditions.push(target);
      const { revision: updated } = await ctx.storage.update(pod, revision);
      // The condition is our own write: a version the caller pinned moves along with it.
      if (wanted.resourceVersion) deleteOptions = { ...options, preconditions: { ...wanted, resourceVersion: String(updated) } };
    }
  }
  await deleteObject(ctx, namespace, podName, deleteOptions);
}
