/**
 * A profile's framework, timed: each extension point as upstream's
 * frameworkImpl times it (scheduler_framework_extension_point_duration_seconds
 * — not Filter, which runs once per node), and each plugin call in the
 * sampled scheduling cycles (scheduler_plugin_execution_duration_seconds).
 * It runs exactly the plugins the plain framework would, in the same order.
 *
 *   plugins ─► one Proxy per plugin (its `this` stays the plugin) ─► timed extension-point methods
 *   DefaultPreemption's PostFilter ─► scheduler_preemption_attempts_total, victims (preemption.ts)
 */
import { CycleState, StateKey } from '../framework/cycle-state.js';
import { Framework, type ProfilePlugins } from '../framework/framework.js';
import type { NodeStatusMap, Plugin, PostFilterResult } from '../framework/interface.js';
import type { NodeInfo } from '../framework/node-info.js';
import { Status } from '../framework/status.js';
import type { Pod } from '../types.js';
import type { PreemptionMetrics } from './preemption.js';
import type { SchedulerMetrics } from './scheduler-metrics.js';

/** Whether this cycle's plugins are timed; written at PreFilter, copied with the state into preemption's what-ifs. */
const recordPluginMetrics = new StateKey<boolean>('metrics/recordPluginMetrics');

/** Plugin methods and the extension point upstream reports them under. */
const extensionPointOf: Record<string, string> = {
  preFilter: 'PreFilter',
  filter: 'Filter',
  addPod: 'PreFilterExtensionAddPod',
  removePod: 'PreFilterExtensionRemovePod',
  postFilter: 'PostFilter',
  preScore: 'PreScore',
  score: 'Score',
  normalizeScore: 'ScoreExtensionNormalize',
  reserve: 'Reserve',
  unreserve: 'Unreserve',
  permit: 'Permit',
  preBind: 'PreBind',
  bind: 'Bind',
  postBind: 'PostBind',
};

const preemptionPlugin = 'DefaultPreemption';

/** The status code of whatever a plugin answered: a Status, `{ status }`, a score, or nothing (success). */
function codeOf(answer: unknown): string {
  if (answer instanceof Status) return answer.code;
  const status = (answer as { status?: unknown } | undefined)?.status;
  return status instanceof Status ? status.code : 'Success';
}

const secondsSince = (started: number) => (performance.now() - started) / 1000;

export class InstrumentedFramework extends Framework {
  constructor(
    base: Framework,
    private readonly metrics: SchedulerMetrics,
  ) {
    super(base.schedulerName, timedPlugins(base.plugins, metrics, metrics.preemption), base.percentageOfNodesToScore);
    if (base.handle) this.handle = base.handle;
  }

  private record(extensionPoint: string, code: string, started: number): void {
    this.metrics.extensionPoint(extensionPoint, code, this.schedulerName, secondsSince(started));
  }

  override runPreFilterPlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]) {
    // The first extension point of a cycle decides whether its plugins are timed (upstream samples per cycle).
    if (state.read(recordPluginMetrics) === undefined) state.write(recordPluginMetrics, this.metrics.random() * 100 < this.metrics.pluginMetricsSamplePercent);
    const started = performance.now();
    const outcome = super.runPreFilterPlugins(state, pod, nodes);
    this.record('PreFilter', outcome.status.code, started);
    return outcome;
  }

  override async runPostFilterPlugins(state: CycleState, pod: Pod, filtered: NodeStatusMap): Promise<PostFilterResult> {
    const started = performance.now();
    const result = await super.runPostFilterPlugins(state, pod, filtered);
    this.record('PostFilter', result.status.code, started);
    return result;
  }

  override runPreScorePlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]): Status {
    const started = performance.now();
    const status = super.runPreScorePlugins(state, pod, nodes);
    this.record('PreScore', status.code, started);
    return status;
  }

  override runScorePlugins(state: CycleState, pod: Pod, nodes: NodeInfo[]) {
    const started = performance.now();
    const outcome = super.runScorePlugins(state, pod, nodes);
    this.record('Score', outcome.status.code, started);
    return outcome;
  }

  override async runReservePluginsReserve(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    const started = performance.now();
    const status = await super.runReservePluginsReserve(state, pod, nodeName);
    this.record('Reserve', status.code, started);
    return status;
  }

  override async runReservePluginsUnreserve(state: CycleState, pod: Pod, nodeName: string): Promise<void> {
    const started = performance.now();
    await super.runReservePluginsUnreserve(state, pod, nodeName);
    this.record('Unreserve', 'Success', started);
  }

  override runPermitPlugins(state: CycleState, pod: Pod, nodeName: string) {
    const started = performance.now();
    const outcome = super.runPermitPlugins(state, pod, nodeName);
    this.record('Permit', outcome.status.code, started);
    return outcome;
  }

  override async runPreBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    const started = performance.now();
    const status = await super.runPreBindPlugins(state, pod, nodeName);
    this.record('PreBind', status.code, started);
    return status;
  }

  override async runBindPlugins(state: CycleState, pod: Pod, nodeName: string): Promise<Status> {
    const started = performance.now();
    const status = await super.runBindPlugins(state, pod, nodeName);
    this.record('Bind', status.code, started);
    return status;
  }

  override runPostBindPlugins(state: CycleState, pod: Pod, nodeName: string): void {
    const started = performance.now();
    super.runPostBindPlugins(state, pod, nodeName);
    this.record('PostBind', 'Success', started);
  }
}

/** The profile's plugins, each behind one timing proxy shared by every extension point it serves. */
function timedPlugins(plugins: ProfilePlugins, metrics: SchedulerMetrics, preemption: PreemptionMetrics): ProfilePlugins {
  const proxies = new Map<Plugin, Plugin>();
  const timed = <P extends Plugin>(plugin: P): P => {
    let proxy = proxies.get(plugin);
    if (!proxy) proxies.set(plugin, (proxy = timedPlugin(plugin, metrics, preemption)));
    return proxy as P;
  };
  return {
    ...plugins,
    preFilter: plugins.preFilter.map(timed),
    filter: plugins.filter.map(timed),
    postFilter: plugins.postFilter.map(timed),
    preScore: plugins.preScore.map(timed),
    score: plugins.score.map(({ plugin, weight }) => ({ plugin: timed(plugin), weight })),
    reserve: plugins.reserve.map(timed),
    permit: plugins.permit.map(timed),
    preBind: plugins.preBind.map(timed),
    bind: plugins.bind.map(timed),
    postBind: plugins.postBind.map(timed),
  };
}

function timedPlugin<P extends Plugin>(plugin: P, metrics: SchedulerMetrics, preemption: PreemptionMetrics): P {
  // Wrapped methods are made once per method, not per call: Filter runs for every node.
  const wrapped = new Map<PropertyKey, { original: unknown; method: unknown }>();
  const wrap = (name: PropertyKey, original: (...args: unknown[]) => unknown) => {
    const extensionPoint = typeof name === 'string' ? extensionPointOf[name] : undefined;
    if (!extensionPoint) return original.bind(plugin);
    const timedCall = (...args: unknown[]) => {
      const state = args[0] as CycleState | undefined;
      if (!(state instanceof CycleState) || state.read(recordPluginMetrics) !== true) return original.apply(plugin, args);
      const started = performance.now();
      const record = (code: string) => metrics.plugin(plugin.name, extensionPoint, code, secondsSince(started));
      let answer: unknown;
      try {
        answer = original.apply(plugin, args);
      } catch (err) {
        record('Error');
        throw err;
      }
      if (answer instanceof Promise) {
        return answer.then(
          (settled) => (record(codeOf(settled)), settled),
          (err) => {
            record('Error');
            throw err;
          },
        );
      }
      record(codeOf(answer));
      return answer;
    };
    if (extensionPoint === 'PostFilter' && plugin.name === preemptionPlugin) return (...args: unknown[]) => preemption.during(() => timedCall(...args) as Promise<PostFilterResult>);
    return timedCall;
  };
  return new Proxy(plugin, {
    get(target, name) {
      const value = Reflect.get(target, name, target);
      if (typeof value !== 'function') return value;
      let entry = wrapped.get(name);
      if (!entry || entry.original !== value) wrapped.set(name, (entry = { original: value, method: wrap(name, value as (...args: unknown[]) => unknown) }));
      return entry.method;
    },
  });
}
