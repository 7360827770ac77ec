/**
 * The node ranges of a cluster range: `--cluster-cidr` (10.42.0.0/16) cut
 * into blocks of `--node-cidr-mask-size` bits (/24), each given to one node
 * as its `spec.podCIDR`. Like upstream's cidrset, but IPv4 only and always
 * the lowest free block, so a deleted node's range is the next one given.
 */
import { parseCIDR, type ParsedCIDR } from '../../api/common/net.js';

/** The cluster's pod range and each node's share of it when no flag says otherwise (k3s's). */
export const defaultClusterCIDR = '10.42.0.0/16';
export const defaultNodeCIDRMaskSize = 24;

function formatIPv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** Why a cluster range and mask size do not go together, or undefined when they do. */
export function clusterCIDRProblem(clusterCIDR: string, nodeMaskSize: number): string | undefined {
  const parsed = parseCIDR(clusterCIDR);
  if (!parsed || parsed.family !== 4) return `${clusterCIDR} is not an IPv4 CIDR such as 10.42.0.0/16`;
  if (!Number.isInteger(nodeMaskSize) || nodeMaskSize < parsed.prefix || nodeMaskSize > 30) {
    return `a node mask size of ${nodeMaskSize} does not fit ${clusterCIDR}: it must lie between ${parsed.prefix} and 30`;
  }
  return undefined;
}

export class CidrSet {
  private readonly cluster: ParsedCIDR;
  private readonly blockBits: bigint;
  private readonly used = new Set<bigint>();
  /** How many node ranges the cluster range holds. */
  readonly size: number;

  constructor(
    readonly clusterCIDR: string,
    readonly nodeMaskSize: number,
  ) {
    const problem = clusterCIDRProblem(clusterCIDR, nodeMaskSize);
    if (problem) throw new Error(problem);
    this.cluster = parseCIDR(clusterCIDR)!;
    this.blockBits = BigInt(32 - nodeMaskSize);
    this.size = 2 ** (nodeMaskSize - this.cluster.prefix);
  }

  /** The block index of a node range, or undefined when it is not one of this set's blocks. */
  private indexOf(cidr: string): number | undefined {
    const parsed = parseCIDR(cidr);
    if (!parsed || parsed.family !== 4 || parsed.prefix !== this.nodeMaskSize) return undefined;
    if (!cidr.startsWith(`${formatIPv4(parsed.network)}/`)) return undefined;
    const outerBits = BigInt(32 - this.cluster.prefix);
    if (parsed.network >> outerBits !== this.cluster.network >> outerBits) return undefined;
    return Number((parsed.network - this.cluster.network) >> this.blockBits);
  }

  /** Marks a range as taken (a node has it); false when it is not a block of this cluster range. */
  occupy(cidr: string): boolean {
    const index = this.indexOf(cidr);
    if (index === undefined) return false;
    this.used.add(BigInt(index));
    return true;
  }

  release(cidr: string): void {
    const index = this.indexOf(cidr);
    if (index !== undefined) this.used.delete(BigInt(index));
  }

  /** Takes the lowest free range, or undefined when all are taken. */
  allocateNext(): string | undefined {
    for (let index = 0n; index < BigInt(this.size); index++) {
      if (this.used.has(index)) continue;
      this.used.add(index);
      return `${formatIPv4(this.cluster.network + (index << this.blockBits))}/${this.nodeMaskSize}`;
    }
    return undefined;
  }
}
