/**
 * The CNI network containerd puts pods on: the same bridge, gateway and
 * address range as skiff's process runtime (src/node/runtime/process/network.ts),
 * so the service proxy, the cluster DNS on the bridge address and
 * NetworkPolicy (br_netfilter on that bridge) work for either runtime.
 *
 *   bridge skiff-<b>-<c> (gateway <podCIDR>.1, hairpin)
 *     └ host-local IPAM: the node's pod range, default route via the gateway
 *   portmap: hostPort mappings
 *
 * No ipMasq: the bridge plugin would run iptables several times per pod
 * (a cost on every pod start) and leave its rules behind when skiff stops;
 * the service proxy's nftables table masquerades what pods send out of the
 * pod range instead, for both runtimes (src/network/proxy/rules.ts).
 *
 * containerd runs the loopback plugin itself for every pod, so there is no
 * loopback config here. cniVersion 1.0.0: the newest the plugins 1.1.1 and
 * containerd 1.6's go-cni speak.
 */
import { BridgeNetwork } from '../../process/network.js';

export const CNI_CONFLIST_NAME = '10-skiff.conflist';
export const CNI_NETWORK_NAME = 'skiff';
export const CNI_VERSION = '1.0.0';

export interface CniConfigOptions {
  /** The node's pod range, e.g. 10.42.0.0/24. */
  podCIDR: string;
  /** The bridge's name (skiffBridgeFor gives the process runtime's). */
  bridge: string;
  mtu?: number;
  /** Where host-local keeps its leases (else /var/lib/cni/networks). */
  ipamDataDir?: string;
}

/** The process runtime's bridge and gateway for a pod range: one naming for both runtimes. */
export function skiffBridgeFor(podCIDR: string): { bridge: string; gateway: string } {
  const { bridge, gateway } = new BridgeNetwork(podCIDR);
  return { bridge, gateway };
}

/** An IPv4 range's network address and prefix length, checked. */
function parseIPv4Cidr(cidr: string): { network: number; prefixLength: number } {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(cidr);
  const octets = match?.slice(1, 5).map(Number) ?? [];
  const prefixLength = Number(match?.[5]);
  if (!match || octets.some((octet) => octet > 255) || prefixLength < 8 || prefixLength > 30) {
    throw new Error(`pod CIDR ${JSON.stringify(cidr)}: expected an IPv4 range from /8 to /30, such as 10.42.0.0/24`);
  }
  const address = octets.reduce((value, octet) => value * 256 + octet, 0);
  const size = 2 ** (32 - prefixLength);
  if (address % size !== 0) throw new Error(`pod CIDR ${cidr}: host bits are set (the range starts at ${formatIPv4(address - (address % size))})`);
  return { network: address, prefixLength };
}

function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function renderCniConfig(options: CniConfigOptions): string {
  const { network, prefixLength } = parseIPv4Cidr(options.podCIDR);
  // A Linux interface name: at most 15 bytes, no '/', ':' or white space.
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(options.bridge)) throw new Error(`bridge name ${JSON.stringify(options.bridge)}: not a valid interface name`);
  if (options.mtu !== undefined && (!Number.isInteger(options.mtu) || options.mtu < 576 || options.mtu > 65535)) {
    throw new Error(`MTU ${options.mtu}: expected an integer from 576 to 65535`);
  }
  const subnet = `${formatIPv4(network)}/${prefixLength}`;
  const conflist = {
    cniVersion: CNI_VERSION,
    name: CNI_NETWORK_NAME,
    plugins: [
      {
        type: 'bridge',
        bridge: options.bridge,
        isGateway: true,
        ipMasq: false,
        hairpinMode: true,
        ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet, gateway: formatIPv4(network + 1) }]],
          routes: [{ dst: '0.0.0.0/0' }],
          ...(options.ipamDataDir ? { dataDir: options.ipamDataDir } : {}),
        },
      },
      { type: 'portmap', capabilities: { portMappings: true } },
    ],
  };
  return `${JSON.stringify(conflist, null, 2)}\n`;
}
