/** The shapes of Pods and Nodes the scheduler reads (a subset of core/v1). */
import type { KubeObject } from '../machinery/object.js';
import type { NodeSelectorTerm, Taint, Toleration } from '../api/core/index.js';
import type { LabelSelector } from '../machinery/labels.js';

export interface ResourceList {
  [name: string]: string;
}

export interface Container {
  name?: string;
  image?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
  ports?: { containerPort?: number; hostPort?: number; protocol?: string; hostIP?: string }[];
  restartPolicy?: string;
}

export interface PodAffinityTerm {
  labelSelector?: LabelSelector;
  namespaces?: string[];
  namespaceSelector?: LabelSelector;
  topologyKey: string;
  matchLabelKeys?: string[];
  mismatchLabelKeys?: string[];
}

export interface WeightedPodAffinityTerm {
  weight: number;
  podAffinityTerm: PodAffinityTerm;
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

export interface TopologySpreadConstraint {
  maxSkew: number;
  topologyKey: string;
  whenUnsatisfiable: 'DoNotSchedule' | 'ScheduleAnyway' | string;
  labelSelector?: LabelSelector;
  minDomains?: number;
  nodeAffinityPolicy?: 'Honor' | 'Ignore' | string;
  nodeTaintsPolicy?: 'Honor' | 'Ignore' | string;
  matchLabelKeys?: string[];
}

export interface PodSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  schedulerName?: string;
  priority?: number;
  priorityClassName?: string;
  preemptionPolicy?: string;
  containers?: Container[];
  initContainers?: Container[];
  overhead?: ResourceList;
  tolerations?: Toleration[];
  affinity?: {
    nodeAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms?: NodeSelectorTerm[] };
      preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
    };
    podAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
      preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
    };
    podAntiAffinity?: {
      requiredDuringSchedulingIgnoredDuringExecution?: PodAffinityTerm[];
      preferredDuringSchedulingIgnoredDuringExecution?: WeightedPodAffinityTerm[];
    };
  };
  topologySpreadConstraints?: TopologySpreadConstraint[];
  schedulingGates?: { name: string }[];
  volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[];
  terminationGracePeriodSeconds?: number;
}

export interface Pod extends KubeObject {
  spec?: PodSpec;
  status?: {
    phase?: string;
    nominatedNodeName?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string; lastProbeTime?: string | null }[];
    startTime?: string;
  } & Record<string, unknown>;
}

export interface Node extends KubeObject {
  spec?: { taints?: Taint[]; unschedulable?: boolean };
  status?: { allocatable?: ResourceList; capacity?: ResourceList; images?: { names?: string[]; sizeBytes?: number }[] } & Record<string, unknown>;
}
