/**
 * A pod's own /etc files, kept in its sandbox directory and bind-mounted
 * over the machine's in its containers (when isolated): hosts (naming the
 * pod's IP), hostname, and resolv.conf (the cluster DNS, or the machine's).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PodSandboxConfig } from '../runtime.js';
import { readText } from './host.js';

/** Writes hosts, hostname and resolv.conf for a pod into its sandbox directory. */
export function writePodFiles(dir: string, pod: { hostname: string; ip: string; hostNetwork: boolean }, config: PodSandboxConfig): void {
  const own = pod.hostNetwork ? '' : `${pod.ip}\t${pod.hostname}\n`;
  writeFileSync(join(dir, 'hosts'), `# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n${own}`);
  writeFileSync(join(dir, 'hostname'), `${pod.hostname}\n`);
  writeFileSync(join(dir, 'resolv.conf'), resolvConf(config));
}

/** The pod's /etc/resolv.conf: the cluster DNS when the pod uses it, else the machine's (dnsPolicy Default). */
function resolvConf(config: PodSandboxConfig): string {
  const dns = config.dns;
  if (dns?.nameservers?.length) {
    return [
      ...(dns.searches?.length ? [`search ${dns.searches.join(' ')}`] : []),
      ...dns.nameservers.map((ns) => `nameserver ${ns}`),
      ...(dns.options?.length ? [`options ${dns.options.join(' ')}`] : []),
      '',
    ].join('\n');
  }
  return readText('/etc/resolv.conf') + '\n';
}
