/**
 * A pod's resolver settings, as the kubelet derives them from dnsPolicy and
 * dnsConfig:
 *
 *   ClusterFirst (the default)  the cluster DNS, with search domains
 *                               <ns>.svc.<zone>, svc.<zone>, <zone> and
 *                               ndots:5 — unless the pod is on the host
 *                               network, which then gets the machine's
 *   ClusterFirstWithHostNet     the cluster DNS even on the host network
 *   Default                     the machine's resolver settings
 *   None                        only what dnsConfig says
 *
 * dnsConfig adds nameservers and search domains and sets options.
 * Undefined means "the machine's /etc/resolv.conf".
 */
export interface ClusterDnsSettings {
  nameservers: string[];
  zone: string;
}

export interface PodDnsSpec {
  dnsPolicy?: string;
  hostNetwork?: boolean;
  dnsConfig?: { nameservers?: string[]; searches?: string[]; options?: { name: string; value?: string }[] };
}

export interface ResolverConfig {
  nameservers: string[];
  searches: string[];
  options: string[];
}

export function podResolverConfig(namespace: string, spec: PodDnsSpec, cluster: ClusterDnsSettings | undefined): ResolverConfig | undefined {
  const policy = spec.dnsPolicy ?? 'ClusterFirst';
  let base: ResolverConfig | undefined;
  const useCluster = cluster && (policy === 'ClusterFirstWithHostNet' || (policy === 'ClusterFirst' && !spec.hostNetwork));
  if (useCluster) {
    base = {
      nameservers: [...cluster.nameservers],
      searches: [`${namespace}.svc.${cluster.zone}`, `svc.${cluster.zone}`, cluster.zone],
      options: ['ndots:5'],
    };
  } else if (policy === 'None') {
    base = { nameservers: [], searches: [], options: [] };
  }
  const extra = spec.dnsConfig;
  if (!extra) return base;
  if (!base) {
    // Default (or ClusterFirst without a cluster DNS) with dnsConfig: only what dnsConfig adds is known here.
    if (!extra.nameservers?.length) return undefined;
    base = { nameservers: [], searches: [], options: [] };
  }
  const options = new Map(base.options.map((o) => [o.split(':')[0], o]));
  for (const option of extra.options ?? []) options.set(option.name, option.value !== undefined ? `${option.name}:${option.value}` : option.name);
  return {
    nameservers: [...new Set([...base.nameservers, ...(extra.nameservers ?? [])])].slice(0, 3),
    searches: [...new Set([...base.searches, ...(extra.searches ?? [])])].slice(0, 32),
    options: [...options.values()],
  };
}
