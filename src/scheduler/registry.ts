/**
 * The in-tree plugins by name, and the default profile: which plugins run
 * and with what score weight when the configuration says nothing — the
 * same list and weights as kube-scheduler v1.32's default "multiPoint" set.
 */
import type { PluginFactory } from './framework/interface.js';
import { balancedAllocation, name as balancedAllocationName } from './plugins/balanced-allocation.js';
import { defaultBinder, name as defaultBinderName } from './plugins/default-binder.js';
import { defaultPreemption, name as defaultPreemptionName, type DefaultPreemptionArgs } from './plugins/default-preemption.js';
import { imageLocality, name as imageLocalityName } from './plugins/image-locality.js';
import { interPodAffinity, name as interPodAffinityName, type InterPodAffinityArgs } from './plugins/inter-pod-affinity.js';
import { podTopologySpread, name as podTopologySpreadName, type PodTopologySpreadArgs } from './plugins/pod-topology-spread.js';
import { nodeAffinity, name as nodeAffinityName } from './plugins/node-affinity.js';
import { nodeName, name as nodeNameName } from './plugins/node-name.js';
import { nodePorts, name as nodePortsName } from './plugins/node-ports.js';
import { nodeResourcesFit, name as nodeResourcesFitName, type NodeResourcesFitArgs } from './plugins/node-resources-fit.js';
import { nodeUnschedulable, name as nodeUnschedulableName } from './plugins/node-unschedulable.js';
import { prioritySort, name as prioritySortName } from './plugins/priority-sort.js';
import { schedulingGates, name as schedulingGatesName } from './plugins/scheduling-gates.js';
import { taintToleration, name as taintTolerationName } from './plugins/taint-toleration.js';
import { volumeBinding, name as volumeBindingName } from './plugins/volume-binding.js';

export const inTreeRegistry: Record<string, PluginFactory> = {
  [prioritySortName]: () => prioritySort(),
  [schedulingGatesName]: () => schedulingGates(),
  [nodeUnschedulableName]: () => nodeUnschedulable(),
  [nodeNameName]: () => nodeName(),
  [taintTolerationName]: () => taintToleration(),
  [nodeAffinityName]: () => nodeAffinity(),
  [nodePortsName]: () => nodePorts(),
  [nodeResourcesFitName]: (args) => nodeResourcesFit(args as NodeResourcesFitArgs),
  [balancedAllocationName]: (args) => balancedAllocation(args as { resources?: { name: string; weight?: number }[] }),
  [imageLocalityName]: (args, handle) => imageLocality(args, handle),
  [interPodAffinityName]: (args, handle) => interPodAffinity(args as InterPodAffinityArgs, handle),
  [podTopologySpreadName]: (args, handle) => podTopologySpread(args as PodTopologySpreadArgs, handle),
  [defaultBinderName]: (args, handle) => defaultBinder(args, handle),
  [volumeBindingName]: (args, handle) => volumeBinding(args, handle),
  [defaultPreemptionName]: (args, handle) => defaultPreemption(args as DefaultPreemptionArgs, handle),
};

/** The default plugins in order, with their score weights (0: not a scorer). */
export const defaultPlugins: { name: string; weight: number }[] = [
  { name: schedulingGatesName, weight: 0 },
  { name: prioritySortName, weight: 0 },
  { name: nodeUnschedulableName, weight: 0 },
  { name: nodeNameName, weight: 0 },
  { name: taintTolerationName, weight: 3 },
  { name: nodeAffinityName, weight: 2 },
  { name: nodePortsName, weight: 0 },
  { name: nodeResourcesFitName, weight: 1 },
  { name: volumeBindingName, weight: 0 },
  { name: podTopologySpreadName, weight: 2 },
  { name: interPodAffinityName, weight: 2 },
  { name: defaultPreemptionName, weight: 0 },
  { name: balancedAllocationName, weight: 1 },
  { name: imageLocalityName, weight: 1 },
  { name: defaultBinderName, weight: 0 },
];
