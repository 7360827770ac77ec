/**
 * The scheduler's configuration, in the shape of upstream's
 * `KubeSchedulerConfiguration` (kubescheduler.config.k8s.io/v1): profiles,
 * each with a schedulerName, plugins enabled or disabled per extension point
 * (or for all of them through `multiPoint`), score weights, and per-plugin
 * args in `pluginConfig`.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Framework, type ProfilePlugins } from './framework/framework.js';
import type { Handle, Plugin, PluginFactory } from './framework/interface.js';
import { defaultPlugins, inTreeRegistry } from './registry.js';

export interface PluginRef {
  name: string;
  weight?: number;
}

export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: PluginRef[];
}

export const extensionPoints = ['preEnqueue', 'queueSort', 'preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind', 'postBind'] as const;
export type ExtensionPoint = (typeof extensionPoints)[number];

export interface ProfileConfig {
  schedulerName?: string;
  percentageOfNodesToScore?: number;
  plugins?: Partial<Record<ExtensionPoint | 'multiPoint', PluginSet>>;
  pluginConfig?: { name: string; args?: Record<string, unknown> }[];
}

export interface SchedulerConfiguration {
  apiVersion?: string;
  kind?: string;
  percentageOfNodesToScore?: number;
  podInitialBackoffSeconds?: number;
  podMaxBackoffSeconds?: number;
  profiles?: ProfileConfig[];
}

export const defaultSchedulerName = 'default-scheduler';

/** Reads and checks a configuration file (YAML or JSON). */
export function loadSchedulerConfiguration(path: string): SchedulerConfiguration {
  const config = parse(readFileSync(path, 'utf8')) as SchedulerConfiguration;
  if (config?.kind !== 'KubeSchedulerConfiguration' || !/^kubescheduler\.config\.k8s\.io\/v1(beta\d)?$/.test(config.apiVersion ?? '')) {
    throw new Error(`${path}: not a KubeSchedulerConfiguration (apiVersion kubescheduler.config.k8s.io/v1)`);
  }
  return config;
}

/** Which method a plugin needs to take part in an extension point. */
const methodOf: Record<ExtensionPoint, string> = {
  preEnqueue: 'preEnqueue',
  queueSort: 'less',
  preFilter: 'preFilter',
  filter: 'filter',
  postFilter: 'postFilter',
  preScore: 'preScore',
  score: 'score',
  reserve: 'reserve',
  permit: 'permit',
  preBind: 'preBind',
  bind: 'bind',
  postBind: 'postBind',
};

/** Builds one profile's framework: plugins instantiated once, sorted into extension points. */
export function buildFramework(profile: ProfileConfig, global: SchedulerConfiguration, handle: Handle, registry: Record<string, PluginFactory> = inTreeRegistry): Framework {
  const multiPoint = profile.plugins?.multiPoint ?? {};
  const disabledAll = (set: PluginSet | undefined) => (set?.disabled ?? []).some((p) => p.name === '*');
  const disabledNames = (set: PluginSet | undefined) => new Set((set?.disabled ?? []).map((p) => p.name));
  // The multi-point list: defaults (unless disabled), then what the profile adds.
  let base: PluginRef[] = disabledAll(multiPoint) ? [] : defaultPlugins.filter((p) => !disabledNames(multiPoint).has(p.name));
  for (const added of multiPoint.enabled ?? []) {
    base = base.filter((p) => p.name !== added.name);
    base.push(added);
  }
  const args = new Map((profile.pluginConfig ?? []).map((c) => [c.name, c.args]));
  const instances = new Map<string, Plugin>();
  const instance = (name: string): Plugin => {
    let plugin = instances.get(name);
    if (!plugin) {
      const factory = registry[name];
      if (!factory) throw new Error(`profile "${profile.schedulerName ?? defaultSchedulerName}": unknown plugin "${name}"`);
      instances.set(name, (plugin = factory(args.get(name), handle)));
    }
    return plugin;
  };
  const plugins: ProfilePlugins = { preEnqueue: [], preFilter: [], filter: [], postFilter: [], preScore: [], score: [], reserve: [], permit: [], preBind: [], bind: [], postBind: [], all: [] };
  for (const point of extensionPoints) {
    const specific = profile.plugins?.[point];
    const method = methodOf[point];
    // Multi-point plugins that implement this point, minus the point's own disables, plus its own enables.
    let refs: PluginRef[] = disabledAll(specific) ? [] : base.filter((p) => !disabledNames(specific).has(p.name) && typeof (instance(p.name) as unknown as Record<string, unknown>)[method] === 'function');
    for (const added of specific?.enabled ?? []) {
      refs = refs.filter((p) => p.name !== added.name);
      refs.push(added);
    }
    for (const ref of refs) {
      const plugin = instance(ref.name);
      if (typeof (plugin as unknown as Record<string, unknown>)[method] !== 'function') throw new Error(`plugin "${ref.name}" does not extend ${point}`);
      if (point === 'queueSort') plugins.queueSort = plugin as ProfilePlugins['queueSort'];
      else if (point === 'score') plugins.score.push({ plugin: plugin as ProfilePlugins['score'][number]['plugin'], weight: ref.weight || base.find((p) => p.name === ref.name)?.weight || 1 });
      else (plugins[point] as Plugin[]).push(plugin);
    }
  }
  plugins.all = [...instances.values()];
  if (!plugins.queueSort) throw new Error(`profile "${profile.schedulerName ?? defaultSchedulerName}" has no queueSort plugin`);
  if (!plugins.bind.length) throw new Error(`profile "${profile.schedulerName ?? defaultSchedulerName}" has no bind plugin`);
  return new Framework(profile.schedulerName ?? defaultSchedulerName, plugins, profile.percentageOfNodesToScore ?? global.percentageOfNodesToScore);
}
