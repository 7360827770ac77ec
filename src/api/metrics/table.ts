/**
 * `kubectl get nodes.metrics.k8s.io` / `podmetrics`: metrics-server's columns —
 * Name, one per resource (cpu, memory: a pod's summed over its containers)
 * and Window.
 */
import type { TableColumn, TableConvertor } from '../resource.js';
import { sumQuantities } from './format.js';
import type { NodeMetrics, PodMetrics } from './types.js';

const columns: TableColumn[] = [
  { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource' },
  { name: 'cpu', type: 'string', format: 'quantity', description: '' },
  { name: 'memory', type: 'string', format: 'quantity', description: '' },
  { name: 'Window', type: 'string', format: 'duration', description: '' },
];

export const nodeMetricsTable: TableConvertor<NodeMetrics> = {
  columns,
  cells: (metrics) => [metrics.metadata.name ?? '', metrics.usage?.cpu ?? '0', metrics.usage?.memory ?? '0', metrics.window],
};

export const podMetricsTable: TableConvertor<PodMetrics> = {
  columns,
  cells: (metrics) => {
    const containers = metrics.containers ?? [];
    return [
      metrics.metadata.name ?? '',
      sumQuantities(containers.map((c) => c.usage.cpu), 'DecimalSI'),
      sumQuantities(containers.map((c) => c.usage.memory), 'BinarySI'),
      metrics.window,
    ];
  },
};
