/**
 * Checks of the `skiff` flags that need more than a type: ports, the
 * cluster's and the node's pod ranges, the node IPAM flags of the
 * controller manager. Every one runs before anything starts, and a bad flag
 * is a `UsageError`: `skiff` says why and exits with code 2, as for a flag
 * it does not know.
 */
// The pure range helpers only (not the controllers' index): flags are checked before anything heavy loads.
import { clusterCIDRProblem, defaultClusterCIDR, defaultNodeCIDRMaskSize } from '../controllers/nodeipam/cidr-set.js';
import type { NodeIpamOptions } from '../controllers/nodeipam/controller.js';

import { parseGoDuration } from '../machinery/duration.js';
import { UsageError } from './usage-error.js';

export { isUsageError, UsageError } from './usage-error.js';

/** A TCP port (0: any free one). */
export function portFlag(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new UsageError(`--${flag} ${value}: a port number from 0 to 65535`);
  return port;
}

/** `--pod-cidr`: one node's pod range, which the process runtime needs as a /24 (pods get .2 to .254, the bridge .1). */
export function podCIDRFlag(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(value);
  const octets = match ? match.slice(1, 5).map(Number) : [];
  if (!match || octets.some((octet) => octet > 255)) throw new UsageError(`--pod-cidr ${value}: not an IPv4 CIDR; a node's pod range is a /24 such as 10.42.0.0/24`);
  if (match[5] !== '24') throw new UsageError(`--pod-cidr ${value}: a node's pod range must be a /24 such as 10.42.0.0/24 (the cluster's range is --cluster-cidr)`);
  if (octets[3] !== 0) throw new UsageError(`--pod-cidr ${value}: the range starts at ${octets.slice(0, 3).join('.')}.0/24`);
  return value;
}

/** `--cluster-cidr`: the cluster's pod range, cut into the nodes' /24s (default 10.42.0.0/16, as k3s). */
export function clusterCIDRFlag(value: string | undefined, nodeMaskSize = defaultNodeCIDRMaskSize): string {
  const cidr = value ?? defaultClusterCIDR;
  const problem = clusterCIDRProblem(cidr, nodeMaskSize);
  if (problem) throw new UsageError(`--cluster-cidr ${cidr}: ${problem}`);
  return cidr;
}

/**
 * The controller manager's node IPAM flags, as kube-controller-manager's:
 * ranges are given only with `--allocate-node-cidrs`, which needs `--cluster-cidr`.
 */
export function nodeIpamFlags(values: { 'allocate-node-cidrs'?: boolean; 'cluster-cidr'?: string; 'node-cidr-mask-size'?: string }): NodeIpamOptions | undefined {
  const maskText = values['node-cidr-mask-size'];
  const mask = maskText === undefined ? defaultNodeCIDRMaskSize : Number(maskText);
  if (!/^\d+$/.test(maskText ?? '24')) throw new UsageError(`--node-cidr-mask-size ${maskText}: a prefix length such as 24`);
  if (!values['allocate-node-cidrs']) return undefined;
  if (values['cluster-cidr'] === undefined) throw new UsageError('--allocate-node-cidrs needs --cluster-cidr');
  return { clusterCIDR: clusterCIDRFlag(values['cluster-cidr'], mask), nodeCIDRMaskSize: mask };
}

/** A Go duration flag (`8760h0m0s`, `30m`), in milliseconds. */
export function durationFlag(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  let ms: number;
  try {
    ms = parseGoDuration(value);
  } catch {
    ms = NaN;
  }
  if (!(ms > 0)) throw new UsageError(`--${flag} ${value}: a duration such as 8760h0m0s or 30m`);
  return ms;
}
