/**
 * NetworkPolicy as nftables rules, as pure functions. A pod selected by a
 * policy of its namespace is isolated for ingress (and for egress when the
 * policy says so, or has egress rules); an isolated pod may only receive
 * (send) what one of the policies selecting it allows:
 *
 *   peers  podSelector (its namespace), namespaceSelector (pods of those
 *          namespaces, narrowed by a podSelector beside it), ipBlock (cidr
 *          minus except); no peers = anyone
 *   ports  protocol + port (a number, or a named container port of the
 *          destination pod) up to endPort; no ports = any port
 *
 * Replies of allowed connections pass (conntrack), and so does traffic from
 * the node itself (probes, the kubelet's own reach). The chains hook IP
 * forwarding, where traffic through a Service is seen before it is
 * masqueraded; traffic between pods on one bridge reaches that hook too
 * through br_netfilter (bridge-nf-call-iptables), which the enforcer turns on.
 */
import type { NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../../api/networking/index.js';
import { labelSelectorMatches } from '../../machinery/labels.js';

export interface PolicyPod {
  namespace: string;
  name: string;
  ip: string;
  labels: Record<string, string>;
  /** Named container ports, for named policy ports. */
  ports: { name: string; port: number; protocol: string }[];
}

export interface PolicyInput {
  policies: NetworkPolicy[];
  pods: PolicyPod[];
  /** Namespace labels, by namespace name. */
  namespaces: Map<string, Record<string, string>>;
  /** Addresses of the node (the bridge gateway): always allowed. */
  nodeAddresses: string[];
}

function policyTypes(policy: NetworkPolicy): string[] {
  if (policy.spec?.policyTypes?.length) return policy.spec.policyTypes;
  return policy.spec?.egress ? ['Ingress', 'Egress'] : ['Ingress'];
}

function selects(policy: NetworkPolicy, pod: PolicyPod): boolean {
  return policy.metadata.namespace === pod.namespace && labelSelectorMatches(policy.spec?.podSelector ?? {}, pod.labels);
}

/** The nft match of the peers (for the other end's address); undefined = anyone. */
function peerMatch(peers: NetworkPolicyPeer[] | undefined, policyNamespace: string, input: PolicyInput, field: 'saddr' | 'daddr'): string[] | undefined {
  if (!peers?.length) return undefined;
  const matches: string[] = [];
  const ips = new Set<string>();
  for (const peer of peers) {
    if (peer.ipBlock) {
      const except = peer.ipBlock.except?.length ? ` ip ${field} != { ${peer.ipBlock.except.join(', ')} }` : '';
      matches.push(`ip ${field} ${peer.ipBlock.cidr}${except}`);
      continue;
    }
    for (const pod of input.pods) {
      const namespaceOk = peer.namespaceSelector ? labelSelectorMatches(peer.namespaceSelector, input.namespaces.get(pod.namespace) ?? {}) : pod.namespace === policyNamespace;
      const podOk = peer.podSelector ? labelSelectorMatches(peer.podSelector, pod.labels) : true;
      if (namespaceOk && podOk) ips.add(pod.ip);
    }
  }
  if (ips.size) matches.push(`ip ${field} { ${[...ips].sort().join(', ')} }`);
  return matches;
}

/** The nft port matches for the ports of a rule, for a given destination pod; undefined = any port. */
function portMatch(ports: NetworkPolicyPort[] | undefined, destination: PolicyPod | undefined): string[] | undefined {
  if (!ports?.length) return undefined;
  const matches: string[] = [];
  for (const port of ports) {
    const protocol = (port.protocol ?? 'TCP').toLowerCase();
    if (protocol !== 'tcp' && protocol !== 'udp') continue;
    if (port.port === undefined) {
      matches.push(`meta l4proto ${protocol}`);
      continue;
    }
    let number = typeof port.port === 'number' ? port.port : Number.NaN;
    if (typeof port.port === 'string') {
      number = /^\d+$/.test(port.port) ? Number(port.port) : (destination?.ports.find((p) => p.name === port.port && p.protocol.toLowerCase() === protocol)?.port ?? Number.NaN);
    }
    if (!Number.isInteger(number)) continue;
    matches.push(`${protocol} dport ${port.endPort && port.endPort > number ? `${number}-${port.endPort}` : number}`);
  }
  return matches;
}

/** Every allowed (peer, port) combination as rule bodies ("" = everything). */
function combine(peers: string[] | undefined, ports: string[] | undefined): string[] {
  const left = peers ?? [''];
  const right = ports ?? [''];
  return left.flatMap((peer) => right.map((port) => [peer, port].filter(Boolean).join(' ')));
}

/** The chains' bodies: one chain per isolated pod and direction, plus the dispatch. */
export function renderPolicyChains(input: PolicyInput): string[] {
  const lines: string[] = [];
  const dispatch: string[] = [];
  const chains: string[] = [];
  const podsByIp = [...input.pods].sort((a, b) => a.ip.localeCompare(b.ip));
  for (const pod of podsByIp) {
    const selecting = input.policies.filter((policy) => selects(policy, pod));
    const ingress = selecting.filter((policy) => policyTypes(policy).includes('Ingress'));
    const egress = selecting.filter((policy) => policyTypes(policy).includes('Egress'));
    const id = pod.ip.replace(/\./g, '-');
    if (ingress.length) {
      dispatch.push(`ip daddr ${pod.ip} jump ingress-${id}`);
      const body: string[] = [];
      for (const policy of ingress) {
        for (const rule of policy.spec?.ingress ?? []) {
          for (const allowed of combine(peerMatch(rule.from, policy.metadata.namespace!, input, 'saddr'), portMatch(rule.ports, pod))) body.push(`${allowed} return`.trim());
        }
      }
      chains.push(`  chain ingress-${id} {`, `    # ${pod.namespace}/${pod.name}`, ...body.map((rule) => `    ${rule}`), '    drop', '  }');
    }
    if (egress.length) {
      dispatch.push(`ip saddr ${pod.ip} jump egress-${id}`);
      const body: string[] = [];
      for (const policy of egress) {
        for (const rule of policy.spec?.egress ?? []) {
          const peers = peerMatch(rule.to, policy.metadata.namespace!, input, 'daddr');
          // Named ports of egress rules resolve per destination pod; numbers need no destination.
          const destinations = rule.ports?.some((p) => typeof p.port === 'string' && !/^\d+$/.test(p.port)) ? input.pods : [undefined];
          for (const destination of destinations) {
            const ports = portMatch(rule.ports, destination);
            const restricted = destination ? [`ip daddr ${destination.ip}`] : undefined;
            for (const allowed of combine(restricted ? restricted.map((r) => (peers ? peers.map((p) => `${p} ${r}`) : [r])).flat() : peers, ports)) body.push(`${allowed} return`.trim());
          }
        }
      }
      chains.push(`  chain egress-${id} {`, `    # ${pod.namespace}/${pod.name}`, ...body.map((rule) => `    ${rule}`), '    drop', '  }');
    }
  }
  lines.push('  chain policies {', '    ct state established,related accept');
  for (const address of input.nodeAddresses) lines.push(`    ip saddr ${address} accept`);
  lines.push(...dispatch.map((rule) => `    ${rule}`), '  }', ...chains);
  return lines;
}

/** The table, replaced in one transaction. */
export function renderPolicyRuleset(table: string, input: PolicyInput): string {
  return [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    ...renderPolicyChains(input),
    `  chain forward-hook {`,
    `    type filter hook forward priority 0; policy accept;`,
    `    jump policies`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}
