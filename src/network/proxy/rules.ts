/**
 * The service proxy's rules, as an nftables script (like kube-proxy's
 * nftables mode, much reduced): one table per node, replaced whole and
 * atomically on every change.
 *
 *   nat prerouting/output ─► services:
 *     ClusterIP:port            ─► DNAT to one ready endpoint, chosen at random (numgen)
 *     <this node>:nodePort      ─► the same (NodePort, LoadBalancer)
 *     <this node>:port          ─► the same (LoadBalancer, as k3s's ServiceLB)
 *   filter output/forward ─► no-endpoints: a service port without ready
 *     endpoints rejects at once (ICMP port unreachable), as upstream does
 *   internalTrafficPolicy / externalTrafficPolicy Local: the ClusterIP /
 *     the node's ports only reach endpoints on this node (dropped otherwise)
 *   sessionAffinity ClientIP: per endpoint, a set of the clients sent there
 *     (expiring after timeoutSeconds); known clients go back to theirs
 *   nat postrouting: DNATed traffic from pods is masqueraded, so replies
 *     come back through the node even when both pods share the bridge;
 *     and so is what pods send out of the cluster's pod range (the node's
 *     network, the internet), as the CNI bridge's ipMasq would — here, in
 *     skiff's own table, for both runtimes, and gone with the table
 */

export interface ProxyServicePort {
  name?: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  nodePort?: number;
  /** Endpoint IP and port, ready ones only; local: on this node. */
  endpoints: { ip: string; port: number; local?: boolean }[];
}

export interface ProxyService {
  namespace: string;
  name: string;
  type: string;
  clusterIP?: string;
  /** internalTrafficPolicy Local: the ClusterIP only reaches endpoints on this node. */
  internalLocal?: boolean;
  /** externalTrafficPolicy Local: NodePorts and load balancer ports only reach endpoints on this node. */
  externalLocal?: boolean;
  /** sessionAffinity ClientIP: a client keeps its endpoint for this many seconds. */
  affinitySeconds?: number;
  ports: ProxyServicePort[];
}

export interface RulesetOptions {
  table: string;
  /** The cluster's pod range: traffic from it that was DNATed, or leaves it, is masqueraded. */
  clusterCIDR: string;
}

function target(endpoints: { ip: string; port: number }[]): string {
  if (endpoints.length === 1) return `dnat ip to ${endpoints[0].ip}:${endpoints[0].port}`;
  const entries = endpoints.map((e, i) => `${i} : ${e.ip} . ${e.port}`).join(', ');
  return `dnat ip to numgen random mod ${endpoints.length} map { ${entries} }`;
}

/** The whole table, as one nft transaction (create if missing, delete, define). */
export function renderRuleset(services: ProxyService[], options: RulesetOptions): string {
  const nat: string[] = [];
  const reject: string[] = [];
  /** Chains and sets of services with ClientIP affinity. */
  const affinity: string[] = [];
  let affinityCount = 0;
  /**
   * With ClientIP affinity, each endpoint has a set of the clients sent to
   * it (entries expire after the timeout): a known client goes back to its
   * endpoint, a new one is placed at random and remembered.
   */
  const affinityTarget = (endpoints: { ip: string; port: number }[], seconds: number, proto: string): string => {
    const id = `aff-${affinityCount++}`;
    const choose: string[] = [];
    endpoints.forEach((endpoint, i) => {
      affinity.push(`  set ${id}-${i} {`, `    type ipv4_addr; flags dynamic,timeout; timeout ${seconds}s;`, `  }`);
      affinity.push(`  chain ${id}-${i} {`, `    update @${id}-${i} { ip saddr timeout ${seconds}s }`, `    meta l4proto ${proto} dnat ip to ${endpoint.ip}:${endpoint.port}`, `  }`);
      choose.push(`    ip saddr @${id}-${i} goto ${id}-${i}`);
    });
    const spread = endpoints.map((_, i) => `${i} : goto ${id}-${i}`).join(', ');
    affinity.push(`  chain ${id} {`, ...choose, `    numgen random mod ${endpoints.length} vmap { ${spread} }`, `  }`);
    return `goto ${id}`;
  };
  const sorted = [...services].sort((a, b) => `${a.namespace}/${a.name}`.localeCompare(`${b.namespace}/${b.name}`));
  for (const service of sorted) {
    for (const port of service.ports) {
      const proto = port.protocol.toLowerCase();
      const comment = `comment "${service.namespace}/${service.name}${port.name ? `:${port.name}` : ''}"`;
      const matches: { match: string; local: boolean }[] = [];
      if (service.clusterIP && service.clusterIP !== 'None') matches.push({ match: `ip daddr ${service.clusterIP} ${proto} dport ${port.port}`, local: !!service.internalLocal });
      if (port.nodePort && (service.type === 'NodePort' || service.type === 'LoadBalancer')) matches.push({ match: `fib daddr type local ${proto} dport ${port.nodePort}`, local: !!service.externalLocal });
      if (service.type === 'LoadBalancer') matches.push({ match: `fib daddr type local ${proto} dport ${port.port}`, local: !!service.externalLocal });
      for (const { match, local } of matches) {
        const endpoints = local ? port.endpoints.filter((e) => e.local) : port.endpoints;
        if (endpoints.length) nat.push(`${match} ${service.affinitySeconds ? affinityTarget(endpoints, service.affinitySeconds, proto) : target(endpoints)} ${comment}`);
        // A service without any ready endpoint refuses; a Local policy without a local one drops, as upstream.
        else if (local && port.endpoints.length) reject.push(`${match} drop ${comment}`);
        else reject.push(`${match} reject ${comment}`);
      }
    }
  }
  const table = options.table;
  return [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    ...affinity,
    `  chain services {`,
    ...nat.map((rule) => `    ${rule}`),
    `  }`,
    `  chain no-endpoints {`,
    ...reject.map((rule) => `    ${rule}`),
    `  }`,
    `  chain nat-prerouting {`,
    `    type nat hook prerouting priority -100; policy accept;`,
    `    jump services`,
    `  }`,
    `  chain nat-output {`,
    `    type nat hook output priority -100; policy accept;`,
    `    jump services`,
    `  }`,
    `  chain nat-postrouting {`,
    `    type nat hook postrouting priority 100; policy accept;`,
    `    ct status dnat ip saddr ${options.clusterCIDR} masquerade`,
    `    ip saddr ${options.clusterCIDR} ip daddr != ${options.clusterCIDR} masquerade`,
    `  }`,
    `  chain filter-output {`,
    `    type filter hook output priority 0; policy accept;`,
    `    jump no-endpoints`,
    `  }`,
    `  chain filter-forward {`,
    `    type filter hook forward priority 0; policy accept;`,
    `    jump no-endpoints`,
    `  }`,
    `}`,
    '',
  ].join('\n');
}
