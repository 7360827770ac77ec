/**
 * One scheduling profile at run time: its plugins, instantiated once and
 * sorted into the extension points they take part in, and the functions
 * that run each extension point the way upstream's frameworkImpl does —
 * stopping at the first rejection, recording which plugin said what, and
 * weighting and summing scores.
 */
import type { CycleState } from './cycle-state.js';
import type {
  BindPlugin,
  EnqueueExtensions,
  FilterPlugin,
  Handle,
  NodeScore,
  NodeStatusMap,
  PermitPlugin,
  Plugin,
  PostBindPlugin,
  PostFilterPlugin,
  PostFilterResult,
  PreBindPlugin,
  PreEnqueuePlugin,
  PreFilterPlugin,
  PreFilterResult,
  PreScorePlugin,
  QueueSortPlugin,
  ReservePlugin,
  ScorePlugin,
} from './interface.js';
import { maxNodeScore } from './interface.js';
import type { NodeInfo } from './node-info.js';
import { Status, error, success, unresolvable, type MaybeStatus } from './status.js';
import type { Pod } from '../types.js';

export interface ProfilePlugins {
  queueSort?: QueueSortPlugin;
  preEnqueue: PreEnqueuePlugin[];
  preFilter: PreFilterPlugin[];
  filter: FilterPlugin[];
  postFilter: PostFilterPlugin[];
  preScore: PreScorePlugin[];
  score: { plugin: ScorePlugin; weight: number }[];
  reserve: ReservePlugin[];
  permit: PermitPlugin[];
  preBind: PreBindPlugin[];
  bind: BindPlugin[];
  postBind: PostBindPlugin[];
  all: Plugin[];
}

function asStatus(status: MaybeStatus, plugin: string): Status {
  if (!status) return success();
  if (!status.isSuccess()) status.plugin ??= plugin;
  return status;
}

export class Framework {
  handle!: Handle;

  constructor(
    readonly schedulerName: string,
    readonly plugins: ProfilePlugins,
    readonly percentageOfNodesToScore: number | undefined,
  ) {}

  /** The plugins that say which cluster events can help a pod they rejected. */
  enqueueExtensions(): EnqueueExtensions[] {
    return this.plugins.all.filter((p): p is EnqueueExtensions => typeof (p as EnqueueExtensions).eventsToRegister === 'function');
  }

  runPreEnqueuePlugins(pod: Pod): Status {
    for (const plugin of this.plugins.preEnqueue) {
      const status = asStatus(plugin.preEnqueue(pod), plugin.name);
      if (!status.isSuccess()) return status;
    }
    return success();
  }

  /** PreFilter: the first rejection wins; node-name results from several plugins intersect. */
  runPreFilterPlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]): { result?: PreFilterResult; status: Status } {
    let result: PreFilterResult | undefined;
    for (const plugin of this.plugins.preFilter) {
      const answer = plugin.preFilter(state, pod, nodes);
      const { result: pluginResult, status } = answer instanceof Status || !answer ? { result: undefined, status: answer ?? undefined } : answer;
      const checked = asStatus(status, plugin.name);
      if (checked.code === 'Skip') {
        state.skipFilterPlugins.add(plugin.name);
        continue;
      }
      if (!checked.isSuccess()) return { status: checked };
      if (pluginResult?.nodeNames) {
        result = { nodeNames: result?.nodeNames ? new Set([...result.nodeNames].filter((n) => pluginResult.nodeNames!.has(n))) : pluginResult.nodeNames };
        if (result.nodeNames!.size === 0) {
          return { status: unresolvable('node(s) didn\'t satisfy plugin(s) [' + plugin.name + ']').withPlugin(plugin.name) };
        }
      }
    }
    return { result, status: success() };
  }

  runPreFilterExtensionAddPod(state: CycleState, podToSchedule: Pod, podToAdd: Pod, nodeInfo: NodeInfo): Status {
    for (const plugin of this.plugins.preFilter) {
      if (!plugin.addPod || state.skipFilterPlugins.has(plugin.name)) continue;
      const status = asStatus(plugin.addPod(state, podToSchedule, podToAdd, nodeInfo), plugin.name);
      if (!status.isSuccess()) return status;
    }
    return success();
  }

  runPreFilterExtensionRemovePod(state: CycleState, podToSchedule: Pod, podToRemove: Pod, nodeInfo: NodeInfo): Status {
    for (const plugin of this.plugins.preFilter) {
      if (!plugin.removePod || state.skipFilterPlugins.has(plugin.name)) continue;
      const status = asStatus(plugin.removePod(state, podToSchedule, podToRemove, nodeInfo), plugin.name);
      if (!status.isSuccess()) return status;
    }
    return success();
  }

  /** Filter on one node: the first plugin that rejects decides (its reasons are the node's). */
  runFilterPlugins(state: CycleState, pod: Pod, nodeInfo: NodeInfo): Status {
    for (const plugin of this.plugins.filter) {
      if (state.skipFilterPlugins.has(plugin.name)) continue;
      const status = plugin.filter(state, pod, nodeInfo);
      if (status && !status.isSuccess()) {
        status.plugin ??= plugin.name;
        return status;
      }
    }
    return success();
  }

  async runPostFilterPlugins(state: CycleState, pod: Pod, filtered: NodeStatusMap): Promise<PostFilterResult> {
    let last: PostFilterResult = { status: unresolvable() };
    for (const plugin of this.plugins.postFilter) {
      const result = await plugin.postFilter(state, pod, filtered);
      result.status.plugin ??= plugin.name;
      if (result.status.isSuccess() || result.status.code === 'Error') return result;
      last = result;
    }
    return last;
  }

  runPreScorePlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status {
    for (const plugin of this.plugins.preScore) {
      const status = asStatus(plugin.preScore(state, pod, nodes), plugin.name);
      if (status.code === 'Skip') {
        state.skipScorePlugins.add(plugin.name);
        continue;
      }
      if (!status.isSuccess()) return status;
    }
    return success();
  }

  /** Scores every node with every Score plugin, normalizes, weights and sums. */
  runScorePlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]): { scores: NodeScore[]; status: Status } {
    const totals = nodes.map((node) => ({ name: node.name, score: 0 }));
    for (const { plugin, weight } of this.plugins.score) {
      if (state.skipScorePlugins.has(plugin.name)) continue;
      const scores: NodeScore[] = new Array(nodes.length);
      for (let i = 0; i < nodes.length; i++) {
        const score = plugin.score(state, pod, nodes[i]);
        if (score instanceof Status) return { scores: [], status: score.withPlugin(plugin.name) };
        scores[i] = { name: nodes[i].name, score };
      }
      if (plugin.normalizeScore) {
        const status = asStatus(plugin.normalizeScore(state, pod, scores), plugin.name);
        if (!status.isSuccess()) return { scores: [], status };
      }
      for (let i = 0; i < scores.length; i++) {
        const score = scores[i].score;
        if (score > maxNodeScore || score < 0) return { scores: [], status: error(`plugin ${plugin.name} returns an invalid score ${score}`) };
        totals[i].score += score * weight;
      }
    }
    return { scores: totals, status: success() };
  }

  async runReservePluginsReserve(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const plugin of this.plugins.reserve) {
      const status = asStatus(await plugin.reserve(state, pod, nodeName), plugin.name);
      if (!status.isSuccess()) return status;
    }
    return success();
  }

  /** Unreserve runs in reverse order, for every Reserve plugin (they must cope with never having reserved). */
  async runReservePluginsUnreserve(state: CycleState, pod: Pod, nodeName: string): Promise<void> {
    for (const plugin of [...this.plugins.reserve].reverse()) await plugin.unreserve(state, pod, nodeName);
  }

  /** Permit: a rejection wins; otherwise the longest Wait, if any plugin waits. */
  runPermitPlugins(state: CycleState, pod: Pod, nodeName: string): { status: Status; timeoutMs: number; waitingOn: string[] } {
    let waitMs = 0;
    const waitingOn: string[] = [];
    for (const plugin of this.plugins.permit) {
      const answer = plugin.permit(state, pod, nodeName);
      const { status, timeoutMs } = answer instanceof Status || !answer ? { status: answer ?? undefined, timeoutMs: 0 } : answer;
      const checked = asStatus(status, plugin.name);
      if (checked.code === 'Wait') {
        waitMs = Math.max(waitMs, Math.min(timeoutMs ?? 0, 15 * 60_000));
        waitingOn.push(plugin.name);
      } else if (!checked.isSuccess()) return { status: checked, timeoutMs: 0, waitingOn: [] };
    }
    return { status: waitingOn.length ? new Status('Wait') : success(), timeoutMs: waitMs, waitingOn };
  }

  async runPreBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const plugin of this.plugins.preBind) {
      const status = asStatus(await plugin.preBind(state, pod, nodeName), plugin.name);
      if (!status.isSuccess()) return status;
    }
    return success();
  }

  async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    for (const plugin of this.plugins.bind) {
      const status = asStatus(await plugin.bind(state, pod, nodeName), plugin.name);
      if (status.code === 'Skip') continue;
      return status;
    }
    return error('no bind plugin bound the pod');
  }

  runPostBindPlugins(state: CycleState, pod: Pod, nodeName: string): void {
    for (const plugin of this.plugins.postBind) plugin.postBind(state, pod, nodeName);
  }
}
