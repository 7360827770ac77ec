/** Builders for scheduler tests: nodes, pods and NodeInfos in a line each. */
import { CycleState } from './framework/cycle-state.js';
import { NodeInfo, PodInfo } from './framework/node-info.js';
import type { Container, Node, Pod, PodSpec } from './types.js';
import type { Taint } from '../api/core/index.js';

export interface NodeOptions {
  cpu?: string;
  memory?: string;
  pods?: string;
  labels?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  extra?: Record<string, string>;
  images?: { names: string[]; sizeBytes: number }[];
}

export function makeNode(name: string, options: NodeOptions = {}): Node {
  const allocatable = { cpu: options.cpu ?? '4', memory: options.memory ?? '8Gi', pods: options.pods ?? '110', ...options.extra };
  return {
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...options.labels } },
    spec: { taints: options.taints, unschedulable: options.unschedulable },
    status: { allocatable, capacity: allocatable, images: options.images },
  };
}

export function makePod(name: string, spec: Partial<PodSpec> = {}, requests?: Record<string, string>, labels?: Record<string, string>): Pod {
  const container: Container = { name: 'main', image: 'nginx', resources: requests ? { requests } : undefined };
  return { metadata: { name, namespace: 'default', uid: `uid-${name}`, labels }, spec: { containers: [container], ...spec } };
}

export function makeNodeInfo(node: Node, pods: Pod[] = []): NodeInfo {
  const info = new NodeInfo(node);
  for (const pod of pods) info.addPod(new PodInfo({ ...pod, spec: { ...pod.spec, nodeName: node.metadata.name } }));
  return info;
}

export function newState(): CycleState {
  return new CycleState();
}
