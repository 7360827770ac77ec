/**
 * ClusterIP and NodePort allocation for Services. Upstream keeps allocation
 * bitmaps in storage; skiff rebuilds the allocated sets from the stored
 * Services when the apiserver starts, so nothing is handed out twice across
 * restarts, and allocates in memory (one apiserver per store for now).
 */
import type { KubeObject } from '../machinery/object.js';
import { errors, field, type FieldErrorLike } from '../machinery/status.js';
import type { StorageHooks } from './context.js';

export interface ServiceNetworkOptions {
  /** IPv4 CIDR of service ClusterIPs (k3s's default 10.43.0.0/16). */
  serviceCidr: string;
  nodePortRange: { base: number; size: number };
}

export const defaultServiceNetwork: ServiceNetworkOptions = {
  serviceCidr: '10.43.0.0/16',
  nodePortRange: { base: 30000, size: 2768 },
};

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  nodePort?: number;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  clusterIPs?: string[];
  ports?: ServicePort[];
  ipFamilies?: string[];
  ipFamilyPolicy?: string;
  healthCheckNodePort?: number;
  externalTrafficPolicy?: string;
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

function intToIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function needsNodePorts(spec: ServiceSpec): boolean {
  return spec.type === 'NodePort' || spec.type === 'LoadBalancer';
}

function needsClusterIP(spec: ServiceSpec): boolean {
  return spec.type !== 'ExternalName' && spec.clusterIP !== 'None';
}

export class ServiceAllocator {
  private readonly ips = new Set<number>();
  private readonly nodePorts = new Set<number>();
  private readonly first: number;
  private readonly size: number;
  /** Lower addresses are left for services that ask for a specific IP, as upstream's static band. */
  private readonly staticBand: number;

  constructor(private readonly options: ServiceNetworkOptions = defaultServiceNetwork) {
    const [base, bits] = options.serviceCidr.split('/');
    const network = ipToInt(base)!;
    this.size = 2 ** (32 - Number(bits));
    this.first = network;
    this.staticBand = Math.min(Math.max(16, Math.floor(this.size / 16)), 256);
  }

  /** Marks what existing Services hold (on start). */
  restore(services: KubeObject[]): void {
    for (const service of services) {
      const spec = (service.spec ?? {}) as ServiceSpec;
      const ip = spec.clusterIP ? ipToInt(spec.clusterIP) : undefined;
      if (ip !== undefined) this.ips.add(ip);
      for (const port of spec.ports ?? []) if (port.nodePort) this.nodePorts.add(port.nodePort);
      if (spec.healthCheckNodePort) this.nodePorts.add(spec.healthCheckNodePort);
    }
  }

  private inRange(ip: number): boolean {
    // The network address and the broadcast address are never handed out.
    return ip > this.first && ip < this.first + this.size - 1;
  }

  private pickIp(): number {
    const dynamicSize = this.size - 2 - this.staticBand;
    const start = Math.floor(Math.random() * dynamicSize);
    for (let i = 0; i < this.size - 2; i++) {
      // Dynamic band first (above the static band), then the static band.
      const offset = i < dynamicSize ? this.staticBand + 1 + ((start + i) % dynamicSize) : 1 + (i - dynamicSize);
      const ip = this.first + offset;
      if (!this.ips.has(ip)) return ip;
    }
    throw errors.internal('failed to allocate a serviceIP: range is full');
  }

  private pickNodePort(): number {
    const { base, size } = this.options.nodePortRange;
    const start = Math.floor(Math.random() * size);
    for (let i = 0; i < size; i++) {
      const port = base + ((start + i) % size);
      if (!this.nodePorts.has(port)) return port;
    }
    throw errors.internal('failed to allocate a nodePort: range is full');
  }

  /**
   * Fills in clusterIP(s) and nodePorts a service lacks and claims the ones it names.
   * Returns an undo that releases what this call claimed.
   */
  allocate(service: KubeObject, old: KubeObject | undefined, dryRun: boolean): () => void {
    const spec = (service.spec ??= {}) as ServiceSpec;
    const oldSpec = (old?.spec ?? {}) as ServiceSpec;
    const claimedIps: number[] = [];
    const claimedPorts: number[] = [];
    const errs: FieldErrorLike[] = [];
    const undo = () => {
      for (const ip of claimedIps) this.ips.delete(ip);
      for (const port of claimedPorts) this.nodePorts.delete(port);
    };

    // Updates keep what was allocated when the client leaves it out (upstream patches it in).
    if (old && !spec.clusterIP && oldSpec.clusterIP && spec.type !== 'ExternalName') {
      spec.clusterIP = oldSpec.clusterIP;
      spec.clusterIPs = oldSpec.clusterIPs;
    }
    if (old && needsNodePorts(spec)) {
      for (const port of spec.ports ?? []) {
        if (port.nodePort) continue;
        const previous = (oldSpec.ports ?? []).find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
        if (previous?.nodePort) port.nodePort = previous.nodePort;
      }
    }

    if (needsClusterIP(spec)) {
      if (!spec.clusterIP || spec.clusterIP === '') {
        const ip = this.pickIp();
        spec.clusterIP = intToIp(ip);
        if (!dryRun) {
          this.ips.add(ip);
          claimedIps.push(ip);
        }
      } else if (spec.clusterIP !== oldSpec.clusterIP) {
        const ip = ipToInt(spec.clusterIP);
        if (ip === undefined) {
          errs.push(field.invalid('spec.clusterIP', spec.clusterIP, 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'));
        } else if (!this.inRange(ip)) {
          errs.push(field.invalid('spec.clusterIPs', [spec.clusterIP], `failed to allocate IP ${spec.clusterIP}: the provided IP (${spec.clusterIP}) is not in the valid range. The range of valid IPs is ${this.options.serviceCidr}`));
        } else if (this.ips.has(ip)) {
          errs.push(field.invalid('spec.clusterIPs', [spec.clusterIP], `failed to allocate IP ${spec.clusterIP}: provided IP is already allocated`));
        } else if (!dryRun) {
          this.ips.add(ip);
          claimedIps.push(ip);
        }
      }
      spec.clusterIPs = [spec.clusterIP!];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    } else if (spec.clusterIP === 'None') {
      spec.clusterIPs = ['None'];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
    }

    if (needsNodePorts(spec)) {
      const oldPorts = new Set((oldSpec.ports ?? []).map((p) => p.nodePort).filter(Boolean));
      (spec.ports ?? []).forEach((port, i) => {
        if (!port.nodePort) {
          const chosen = this.pickNodePort();
          port.nodePort = chosen;
          if (!dryRun) {
            this.nodePorts.add(chosen);
            claimedPorts.push(chosen);
          }
          return;
        }
        if (oldPorts.has(port.nodePort)) return;
        const { base, size } = this.options.nodePortRange;
        if (port.nodePort < base || port.nodePort >= base + size) {
          errs.push(field.invalid(`spec.ports[${i}].nodePort`, port.nodePort, `provided port is not in the valid range. The range of valid ports is ${base}-${base + size - 1}`));
        } else if (this.nodePorts.has(port.nodePort) || claimedPorts.includes(port.nodePort)) {
          errs.push(field.invalid(`spec.ports[${i}].nodePort`, port.nodePort, 'provided port is already allocated'));
        } else if (!dryRun) {
          this.nodePorts.add(port.nodePort);
          claimedPorts.push(port.nodePort);
        }
      });
    } else {
      for (const port of spec.ports ?? []) delete port.nodePort;
    }

    if (errs.length > 0) {
      undo();
      throw errors.invalid('', 'Service', service.metadata.name ?? '', errs);
    }
    return undo;
  }

  /** Releases what a deleted service held, or what an update stopped using. */
  release(service: KubeObject, keep?: KubeObject): void {
    const spec = (service.spec ?? {}) as ServiceSpec;
    const kept = (keep?.spec ?? {}) as ServiceSpec;
    const ip = spec.clusterIP ? ipToInt(spec.clusterIP) : undefined;
    if (ip !== undefined && spec.clusterIP !== kept.clusterIP) this.ips.delete(ip);
    const keptPorts = new Set((kept.ports ?? []).map((p) => p.nodePort));
    for (const port of spec.ports ?? []) if (port.nodePort && !keptPorts.has(port.nodePort)) this.nodePorts.delete(port.nodePort);
  }

  hooks(): StorageHooks {
    return {
      beforeCreate: (service, dryRun) => this.allocate(service, undefined, dryRun),
      beforeUpdate: (service, old, dryRun) => {
        const undo = this.allocate(service, old, dryRun);
        // Ports the update stops using go back to the pool once it is stored; releasing
        // early is harmless because the write is about to happen in this same turn.
        if (!dryRun) this.release(old, service);
        return () => {
          undo();
          if (!dryRun) this.restore([old]);
        };
      },
      afterDelete: (service) => this.release(service),
    };
  }
}
