/**
 * NetworkPolicy on a node: Pods, Namespaces and NetworkPolicies in,
 * nftables rules out (rules.ts), batched, applied when they change and
 * retried with backoff when applying fails, as the service proxy does. Pod-to-pod traffic on one bridge is only seen by
 * IP rules through br_netfilter, which the enforcer turns on (loading the
 * module when it can); without it, policies hold only for traffic that is
 * routed (through Services, or between nodes), and the log says so.
 */
import { spawnSync } from 'node:child_process';
import { NftTable } from '../nft.js';
import { BatchedWork, followInformers } from '../batched.js';
import { existsSync, writeFileSync } from 'node:fs';
import type { NetworkPolicy } from '../../api/networking/index.js';
import type { InformerFactory, SharedInformer } from '../../client/index.js';
import { namespacesResource, networkPoliciesResource, podsResource } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { renderPolicyRuleset, type PolicyPod } from './rules.js';
import { whenAborted } from '../../machinery/abort.js';

interface PodObject extends KubeObject {
  spec?: { hostNetwork?: boolean; containers?: { ports?: { name?: string; containerPort: number; protocol?: string }[] }[] };
  status?: { podIP?: string; phase?: string };
}

export interface PolicyEnforcerOptions {
  table: string;
  /** The node's own addresses on the pod network: never blocked. */
  nodeAddresses: string[];
  log?: (event: Record<string, unknown>) => void;
  /** Where the rules go (default: the nftables table named `table`); tests give a fake. */
  nftTable?: Pick<NftTable, 'apply' | 'remove'>;
}


/** Makes bridged IPv4 traffic pass the IP hooks; false when this machine cannot. */
function bridgeTrafficVisible(): boolean {
  const flag = '/proc/sys/net/bridge/bridge-nf-call-iptables';
  if (!existsSync(flag)) spawnSync('modprobe', ['br_netfilter'], { stdio: 'ignore', timeout: 5000 });
  try {
    writeFileSync(flag, '1');
    return true;
  } catch {
    return false;
  }
}

export class PolicyEnforcer {
  private readonly pods: SharedInformer<PodObject>;
  private readonly namespaces: SharedInformer<KubeObject>;
  private readonly policies: SharedInformer<NetworkPolicy>;
  private readonly table: Pick<NftTable, 'apply' | 'remove'>;
  private readonly work: BatchedWork;

  constructor(
    informers: InformerFactory,
    private readonly options: PolicyEnforcerOptions,
  ) {
    this.pods = informers.informerFor<PodObject>(podsResource);
    this.namespaces = informers.informerFor(namespacesResource);
    this.policies = informers.informerFor<NetworkPolicy>(networkPoliciesResource);
    this.table = options.nftTable ?? new NftTable(options.table);
    this.work = new BatchedWork(() => this.sync(), (err) => this.options.log?.({ msg: 'network policy rules failed', error: err.message }));
  }

  async start(signal: AbortSignal): Promise<void> {
    // (With a fake table — a test — the machine is left alone.)
    if (!this.options.nftTable && !bridgeTrafficVisible()) {
      this.options.log?.({ msg: 'NetworkPolicy is not enforced between pods on the same node: br_netfilter is not available' });
    }
    await followInformers([this.pods, this.namespaces, this.policies] as SharedInformer<KubeObject>[], this.work, signal);
    await this.work.now();
    whenAborted(signal, () => void this.stop());
  }

  private async sync(): Promise<void> {
    const pods: PolicyPod[] = this.pods.store
      .list()
      .filter((pod) => pod.status?.podIP && !pod.spec?.hostNetwork && pod.status.phase !== 'Succeeded' && pod.status.phase !== 'Failed')
      .map((pod) => ({
        namespace: pod.metadata.namespace!,
        name: pod.metadata.name!,
        ip: pod.status!.podIP!,
        labels: pod.metadata.labels ?? {},
        ports: (pod.spec?.containers ?? []).flatMap((c) => (c.ports ?? []).filter((p) => p.name).map((p) => ({ name: p.name!, port: p.containerPort, protocol: p.protocol ?? 'TCP' }))),
      }));
    const namespaces = new Map(this.namespaces.store.list().map((ns) => [ns.metadata.name!, ns.metadata.labels ?? {}]));
    await this.table.apply(renderPolicyRuleset(this.options.table, { policies: this.policies.store.list(), pods, namespaces, nodeAddresses: this.options.nodeAddresses }));
  }

  async stop(): Promise<void> {
    this.work.cancel();
    await this.table.remove();
  }
}
