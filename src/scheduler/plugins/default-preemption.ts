/**
 * DefaultPreemption (PostFilter): when no node fits a pod, find a node where
 * evicting some lower-priority pods would make it fit, evict them, and
 * nominate that node for the pod (it is scheduled there once they are gone).
 *
 *   1. Is the pod allowed to preempt (`preemptionPolicy: Never` is not)?
 *   2. Candidates: nodes that rejected the pod with a plain Unschedulable
 *      (an UnschedulableAndUnresolvable node cannot be helped by evictions).
 *   3. On each, remove every lower-priority pod and check the pod fits;
 *      then give back ("reprieve") as many of them as possible, most
 *      important first — those left are the victims.
 *   4. Pick the node whose victims matter least: lowest highest-priority
 *      victim, then lowest priority sum, then fewest victims, then the
 *      node whose most important victim started last.
 *   5. Delete the victims (each marked with a DisruptionTarget condition and
 *      a Preempted event) and nominate the node.
 * PodDisruptionBudgets weigh in: pods a budget protects are given back
 * first, and nodes needing fewer budget violations are preferred.
 */
import { podsResource, timestamp } from '../../client/index.js';
import type { Handle, NodeStatusMap, PostFilterPlugin } from '../framework/interface.js';
import { NodeInfo, PodInfo } from '../framework/node-info.js';
import { Status, error } from '../framework/status.js';
import type { Pod } from '../types.js';
import { reasonsHistogram } from '../messages.js';
import { selectorFromLabelSelector, type LabelSelector, type Selector } from '../../machinery/labels.js';
import type { KubeObject } from '../../machinery/object.js';
import { priorityOf } from './helpers.js';

export const name = 'DefaultPreemption';
export const reasonNotHelpful = 'Preemption is not helpful for scheduling';
export const reasonNoVictims = 'No preemption victims found for incoming pod';

export interface DefaultPreemptionArgs {
  minCandidateNodesPercentage?: number;
  minCandidateNodesAbsolute?: number;
}

interface Candidate {
  node: string;
  victims: Pod[];
  /** Victims whose eviction a PodDisruptionBudget does not allow. */
  pdbViolations: number;
}

interface Budget {
  namespace?: string;
  selector: Selector;
  allowed: number;
}


function startTime(pod: Pod): number {
  return Date.parse(pod.status?.startTime ?? pod.metadata.creationTimestamp ?? '') || 0;
}

/** Higher priority first; among equals, the one that started earlier (it has run longer). */
function moreImportant(a: Pod, b: Pod): number {
  const byPriority = priorityOf(b) - priorityOf(a);
  return byPriority !== 0 ? byPriority : startTime(a) - startTime(b);
}


export function defaultPreemption(args: DefaultPreemptionArgs | undefined, handle: Handle): PostFilterPlugin {
  const minPercentage = args?.minCandidateNodesPercentage ?? 10;
  const minAbsolute = args?.minCandidateNodesAbsolute ?? 100;

  /**
   * The victims on one node — or, when there are none to take or taking
   * them all would not help, the reason (which the message reports).
   */
  /** The disruption budgets, with how many more evictions each allows. */
  function budgets(): Budget[] {
    return (handle.workloads.disruptionBudgets.list() as (KubeObject & { spec?: { selector?: LabelSelector }; status?: { disruptionsAllowed?: number } })[]).map((pdb) => ({
      namespace: pdb.metadata.namespace,
      selector: selectorFromLabelSelector(pdb.spec?.selector),
      allowed: pdb.status?.disruptionsAllowed ?? 0,
    }));
  }

  /** Splits victims into those whose eviction some budget forbids and the others (upstream's filterPodsWithPDBViolation). */
  function splitByBudget(victims: Pod[]): { violating: Pod[]; fine: Pod[] } {
    const left = budgets();
    const violating: Pod[] = [];
    const fine: Pod[] = [];
    for (const victim of victims) {
      let violates = false;
      for (const budget of left) {
        if (budget.namespace !== victim.metadata.namespace || !budget.selector.matches(victim.metadata.labels ?? {})) continue;
        budget.allowed--;
        if (budget.allowed < 0) violates = true;
      }
      (violates ? violating : fine).push(victim);
    }
    return { violating, fine };
  }

  /**
   * The victims on one node — or, when there are none to take or taking
   * them all would not help, the reason (which the message reports).
   */
  function selectVictims(state: Parameters<PostFilterPlugin['postFilter']>[0], pod: Pod, original: NodeInfo): Candidate | Status {
    const nodeInfo = original.clone();
    const cycle = state.clone();
    const priority = priorityOf(pod);
    const lower = [...nodeInfo.pods.values()].filter((info) => priorityOf(info.pod) < priority).map((info) => info.pod);
    if (!lower.length) return new Status('UnschedulableAndUnresolvable', [reasonNoVictims]);
    const remove = (victim: Pod) => {
      nodeInfo.removePod(`${victim.metadata.namespace}/${victim.metadata.name}`);
      handle.runPreFilterExtensionRemovePod(cycle, pod, victim, nodeInfo);
    };
    const add = (victim: Pod) => {
      nodeInfo.addPod(new PodInfo(victim));
      handle.runPreFilterExtensionAddPod(cycle, pod, victim, nodeInfo);
    };
    for (const victim of lower) remove(victim);
    const fits = handle.runFilterPlugins(cycle, pod, nodeInfo);
    if (!fits.isSuccess()) return fits;
    // Give back what can be given back: pods a budget protects first, then the others, most important first.
    const { violating, fine } = splitByBudget(lower.sort(moreImportant));
    const victims: Pod[] = [];
    let pdbViolations = 0;
    for (const [group, protectedByBudget] of [[violating, true], [fine, false]] as const) {
      for (const candidate of group) {
        add(candidate);
        if (!handle.runFilterPlugins(cycle, pod, nodeInfo).isSuccess()) {
          remove(candidate);
          victims.push(candidate);
          if (protectedByBudget) pdbViolations++;
        }
      }
    }
    return victims.length ? { node: original.name, victims, pdbViolations } : new Status('UnschedulableAndUnresolvable', [reasonNoVictims]);
  }

  /** Upstream's pickOneNodeForPreemption: fewest budget violations, then the least important victims. */
  function pick(candidates: Candidate[]): Candidate {
    const highest = (c: Candidate) => Math.max(...c.victims.map(priorityOf));
    const sum = (c: Candidate) => c.victims.reduce((total, v) => total + priorityOf(v) + 2 ** 31, 0);
    const latestStartOfHighest = (c: Candidate) => {
      const top = highest(c);
      return Math.max(...c.victims.filter((v) => priorityOf(v) === top).map(startTime));
    };
    const criteria: ((c: Candidate) => number)[] = [(c) => c.pdbViolations, highest, sum, (c) => c.victims.length, (c) => -latestStartOfHighest(c)];
    let remaining = candidates;
    for (const criterion of criteria) {
      const best = Math.min(...remaining.map(criterion));
      remaining = remaining.filter((c) => criterion(c) === best);
      if (remaining.length === 1) break;
    }
    return remaining[0];
  }

  async function evict(victim: Pod, preemptor: Pod, node: string): Promise<void> {
    const pods = handle.client.resource<Pod>(podsResource);
    const condition = {
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'PreemptionByScheduler',
      message: `default-scheduler: preempting to accommodate a higher priority pod`,
      lastTransitionTime: timestamp(handle.now()),
    };
    try {
      await pods.patch(victim.metadata.namespace, victim.metadata.name!, { status: { conditions: [condition] } }, 'strategic', { subresource: 'status' });
      await pods.delete(victim.metadata.namespace, victim.metadata.name!, { preconditions: { uid: victim.metadata.uid } });
      handle.recorder.event(victim, 'Normal', 'Preempted', `Preempted by pod ${preemptor.metadata.uid} on node ${node}`);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 404 && code !== 409) throw err;
    }
  }

  return {
    name,
    async postFilter(state, pod, filtered: NodeStatusMap) {
      const numAllNodes = handle.snapshot.list().length;
      if ((pod.spec?.preemptionPolicy ?? 'PreemptLowerPriority') === 'Never') {
        return { status: new Status('Unschedulable', ['preemption: not eligible due to preemptionPolicy=Never']) };
      }
      // Victims on the nominated node are still terminating: wait for them rather than preempt again.
      const nominated = pod.status?.nominatedNodeName ? handle.snapshot.get(pod.status.nominatedNodeName) : undefined;
      if (nominated && [...nominated.pods.values()].some((info) => info.pod.metadata.deletionTimestamp && priorityOf(info.pod) < priorityOf(pod))) {
        return { status: new Status('Unschedulable', ['preemption: not eligible due to a terminating pod on the nominated node']) };
      }
      // Nodes where evictions could help, from a rotating offset so preemption does not always hit the same nodes.
      const potential = handle.snapshot.list().filter((node) => filtered.get(node.name)?.code === 'Unschedulable');
      const verdicts: NodeStatusMap = new Map();
      for (const node of handle.snapshot.list()) {
        if (filtered.get(node.name)?.code !== 'Unschedulable') verdicts.set(node.name, new Status('UnschedulableAndUnresolvable', [reasonNotHelpful]));
      }
      const wanted = Math.max(Math.trunc((potential.length * minPercentage) / 100), Math.min(minAbsolute, potential.length));
      const candidates: Candidate[] = [];
      for (const nodeInfo of potential) {
        const candidate = selectVictims(state, pod, nodeInfo);
        if (candidate instanceof Status) verdicts.set(nodeInfo.name, candidate);
        else candidates.push(candidate);
        if (candidates.length >= wanted) break;
      }
      if (!candidates.length) {
        return { status: new Status('Unschedulable', [`preemption: 0/${numAllNodes} nodes are available: ${reasonsHistogram(verdicts).join(', ')}`]) };
      }
      const chosen = pick(candidates);
      try {
        await Promise.all(chosen.victims.map((victim) => evict(victim, pod, chosen.node)));
      } catch (err) {
        return { status: error(`preempting victims on ${chosen.node}: ${(err as Error).message}`) };
      }
      return { nominatedNodeName: chosen.node, status: new Status('Success') };
    },
  };
}
