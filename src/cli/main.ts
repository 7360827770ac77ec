#!/usr/bin/env node
/**
 * The `skiff` command. Parses arguments and wires components together; the
 * components themselves live in their own folders.
 *
 * Start time: this file imports nothing of skiff's statically. Each command
 * loads what it runs with `import()` once its arguments are parsed, so
 * `skiff version` reads one small module and `skiff up` loads the apiserver
 * first and the other components after the API serves (control-plane.ts).
 * test/start-path.test.ts keeps it so.
 */
import { parseArgs } from 'node:util';
import type { ProxyModeFlag } from '../network/proxy/mode.js';

/** A usage error (exit code 2): a UsageError of ./usage-error.ts by its name, since this file imports nothing of skiff's statically. */
function usageError(message: string): Error {
  const err = new Error(message);
  err.name = 'UsageError';
  return err;
}

/** The checks of flags.ts, loaded when a command needs them. */
const flags = () => import('./flags.js');

function ingressPorts(http: string | undefined, https: string | undefined): { http?: number; https?: number } {
  const parse = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw usageError(`--${flag} ${value}: a port number (0 turns the listener off)`);
    return port;
  };
  return { http: parse('ingress-http-port', http), https: parse('ingress-https-port', https) };
}

function isolationFlag(flag: string | undefined): 'auto' | 'none' | undefined {
  if (flag === undefined || flag === 'auto' || flag === 'none') return flag;
  throw usageError(`--isolation ${flag}: choose auto or none`);
}

async function proxyModeFlag(flag: string | undefined): Promise<ProxyModeFlag | undefined> {
  if (flag === undefined) return undefined;
  const { proxyModeFlags } = await import('../network/proxy/mode.js');
  if ((proxyModeFlags as readonly string[]).includes(flag)) return flag as ProxyModeFlag;
  throw usageError(`--proxy-mode ${flag}: choose ${proxyModeFlags.join(', ')}`);
}

function runtimeFlag(flag: string | undefined): 'process' | 'simulated' | 'containerd' | 'none' {
  if (flag === undefined || flag === 'none') return 'none';
  if (flag === 'simulated' || flag === 'process' || flag === 'containerd') return flag;
  throw usageError(`--runtime ${flag}: supported runtimes are process, containerd, simulated and none`);
}

/**
 * `--controllers a,-b,*` as a list, checked now so a typo fails at once
 * (the controllers are loaded for the check only when the flag is given).
 */
async function controllerList(flag: string | undefined): Promise<string[]> {
  if (flag === undefined) return ['*'];
  const list = flag.split(',').map((s) => s.trim()).filter(Boolean);
  const { selectControllers } = await import('../controllers/index.js');
  try {
    selectControllers(list);
  } catch (err) {
    throw usageError(`--controllers: ${(err as Error).message}`);
  }
  return list;
}

/** --log-format: json or text; undefined lets the terminal decide. */
function logFormatFlag(value: string | undefined): 'json' | 'text' | undefined {
  if (value === undefined || value === 'json' || value === 'text') return value;
  throw usageError(`--log-format ${value}: expected json or text`);
}

const usage = `skiff — Kubernetes, written in TypeScript

Usage:
  skiff up      [--data-dir DIR] [--port N] [--bind ADDR] [-v N]   all-in-one cluster
                [--cluster-cidr CIDR] [--pod-cidr CIDR]
  skiff server  [--data-dir DIR] [--port N] [--bind ADDR] [-v N]   control plane only
  skiff controller-manager [--kubeconfig FILE] [--controllers LIST] [-v N]
              [--allocate-node-cidrs --cluster-cidr CIDR [--node-cidr-mask-size N]]
              [--cluster-signing-cert-file F --cluster-signing-key-file F]
              [--cluster-signing-duration D] [--secure-port N]
                                                                   the built-in controllers alone,
                                                                   against any apiserver
  skiff scheduler [--kubeconfig FILE] [--config FILE] [--secure-port N] [-v N]
                                                                   the scheduler alone, against any apiserver
  skiff agent --server URL --token T [--name N] [--data-dir D] [--runtime process|containerd|simulated]
              [--isolation auto|none] [--registries FILE] [--pod-cidr CIDR] [--ca-cert-hash sha256:HEX]
              [--pod-logs-dir DIR] [--allowed-unsafe-sysctls LIST]
              [--proxy-mode auto|nftables|userspace]
                                                                   join this machine as a node
  skiff agent --simulate N [--name NAME] [--kubeconfig FILE]       N simulated nodes (no processes run)
  skiff images ls|pull|import|rm|prune [--data-dir DIR]         the node's images (see skiff images help)
  skiff kubectl [--data-dir DIR] ARGS...                           kubectl with the cluster's kubeconfig
  skiff status  [--data-dir DIR]                                   is the cluster healthy (exit 0 only then)
  skiff down    [--data-dir DIR]                                   stop it and end its pods; the data stays
  skiff reset   [--data-dir DIR] [--yes]                           down, then delete the data dir
  skiff version

Options:
  --data-dir DIR   where the cluster keeps its state (default: $SKIFF_DATA_DIR or ~/.skiff)
  --port N         HTTPS port of the API server (default: 6443)
  --bind ADDR      address to listen on (default: 127.0.0.1)
  --no-controllers do not run the built-in controllers
  --no-scheduler   do not run the scheduler
  --scheduler-config FILE
                   a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) for the scheduler
  --runtime process|containerd|simulated|none
                   skiff up: run a node agent for this machine with this runtime (default:
                   process). process: as root, each container runs from its image, isolated in
                   its own namespaces and cgroups; without root, only pods of the RuntimeClass
                   host run (their command on this machine's file system). containerd (root):
                   through the CRI, as the kubelet; skiff runs and configures containerd itself
                   unless --container-runtime-endpoint names one. simulated: pods run nowhere
                   but go Running and Ready, and Jobs' pods succeed after a second.
                   none: no node (pods stay Pending unless another node joins)
  --container-runtime-endpoint unix:///PATH
                   containerd runtime: the CRI socket of a containerd run by someone else
  --isolation auto|none
                   process runtime: namespaces, a pod IP and cgroup limits when root (auto, the
                   default), or plain processes on the host network (none)
  --registries FILE
                   process runtime: registry mirrors, rewrites and credentials for image pulls,
                   in k3s's registries.yaml format (default: DIR/registries.yaml when it exists)
  --pod-logs-dir DIR
                   process runtime: where containers' logs go, in the kubelet's layout
                   (DIR/<namespace>_<pod>_<uid>/<container>/<restarts>.log, with flat links in
                   DIR/../containers, as /var/log/pods and /var/log/containers; default
                   <data-dir>/logs/pods)
  --image-gc-high-threshold PERCENT, --image-gc-low-threshold PERCENT, --image-minimum-gc-age DURATION
                   process runtime: image garbage collection, as the kubelet's flags: above the
                   high threshold of the image file system's use (default 85), unused images go,
                   least recently used first, down to the low one (default 80); none younger
                   than the minimum age (default 2m0s)
  --log-format json|text
                   skiff up, server, agent: json writes the log as JSON lines on stderr; text
                   (the default on a terminal) shows short lines there — warnings, and every
                   event up to -v N — and writes the JSON lines to DIR/logs/skiff.log (10 MiB,
                   then .1). Without a terminal the default is json
  --allowed-unsafe-sysctls LIST
                   sysctls pods may set beside the safe ones, comma-separated, each a name or a
                   prefix ending in * (net.core.somaxconn,kernel.msg*); only namespaced ones
                   (kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*, net.*). A pod asking for
                   another is rejected (SysctlForbidden), as the kubelet does
  --ca-cert-hash sha256:HEX
                   skiff agent: the cluster CA's public key hash (printed by skiff up); the
                   server must present that CA before the join token is sent
  --ingress-http-port N, --ingress-https-port N
                   the Ingress controller's ports on the node (default 80 and 443 as root, 8080
                   and 8443 otherwise; 0 turns a listener off)
  --secure-port N  skiff scheduler, skiff controller-manager: where /metrics is served (default 10259 and
                   10257, on 127.0.0.1, with a self-signed certificate; 0: not at all)
  --metric-resolution DURATION
                   how often the apiserver scrapes the nodes for metrics.k8s.io (kubectl top,
                   autoscaling), as metrics-server's flag (default 15s)
  --horizontal-pod-autoscaler-sync-period D, --horizontal-pod-autoscaler-tolerance F,
  --horizontal-pod-autoscaler-downscale-stabilization D,
  --horizontal-pod-autoscaler-cpu-initialization-period D, --horizontal-pod-autoscaler-initial-readiness-delay D
                   the HPA controller, as kube-controller-manager's flags (defaults 15s, 0.1,
                   5m0s, 5m0s, 30s)
  --proxy-mode auto|nftables|userspace
                   the node's service proxy (default auto: nftables as root when the nft command
                   works, else userspace: relays in skiff, as root with the ClusterIPs bound on the
                   interface skiff-svc0, otherwise at their loopback twins 127.x.y.z)
  --cluster-cidr CIDR
                   skiff up/server: the cluster's pod range (default 10.42.0.0/16); the node IPAM
                   controller gives each node without a range the next free /24 of it
  --pod-cidr CIDR  process runtime as root: this node's pod range, a /24 (default: the one the
                   node IPAM controller gives the node; the agent waits for it)
  --allocate-node-cidrs, --cluster-cidr CIDR, --node-cidr-mask-size N
                   skiff controller-manager: give nodes pod ranges, as kube-controller-manager
  --controllers LIST
                   which controllers run, as kube-controller-manager's flag: '*' for all,
                   'name' to add one, '-name' to leave one out (default: '*'); e.g. '*,-cronjob'
  --max-requests-inflight N, --max-mutating-requests-inflight N, --request-timeout D,
  --min-request-timeout S
                   the API server's limits, as kube-apiserver's flags (docs/api-server.md)
  --authorization-mode LIST
                   the authorizers asked in order, from AlwaysAllow, AlwaysDeny, Node, RBAC
                   (default Node,RBAC; docs/security.md)
  --token-auth-file FILE
                   static bearer tokens, a CSV of token,user,uid,"group1,group2"
  --authentication-config FILE
                   an AuthenticationConfiguration (apiserver.config.k8s.io/v1beta1): JWT issuers
                   whose tokens authenticate users (OIDC), with claim mappings and CEL rules
  --enable-admission-plugins LIST, --disable-admission-plugins LIST
                   admission plugins to add to or take from the defaults (docs/security.md)
  --encryption-provider-config FILE
                   an EncryptionConfiguration (aesgcm, aescbc, secretbox, identity) for data at
                   rest (default: DIR/encryption-config.yaml, made on first start: Secrets, aescbc)
  --audit-policy-file FILE, --audit-log-path PATH|-, --audit-log-maxsize MB, --audit-log-maxbackup N,
  --audit-log-maxage DAYS, --audit-log-format json|legacy, --audit-log-mode blocking|batch|blocking-strict
                   the audit log, as kube-apiserver's flags (default: DIR/audit.log, every request at
                   the Metadata level, 100 MB files, five kept; --audit-log-path '' turns it off)
  --pod-security LEVEL[:VERSION]
                   the Pod Security Standard enforced in namespaces without pod-security labels:
                   privileged (the default, as upstream), baseline or restricted
  --admission-control-config-file FILE
                   an AdmissionConfiguration: PodSecurity's defaults and exemptions
                   (PodSecurityConfiguration), as kube-apiserver's flag
  --kubeconfig FILE
                   the cluster to control (default: $KUBECONFIG or ~/.kube/config)
  -v N             log verbosity (default: 0)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
    case 'server': {
      // The control plane is what these commands run: it also declares the apiserver's limit flags.
      const { runControlPlane, servingLimitFlags, servingLimitsFromFlags } = await import('./control-plane.js');
      const { imageGcFlags, imageGcPolicyFromFlags } = await import('./image-gc-flags.js');
      const { sysctlFlags, sysctlAllowlistFromFlags } = await import('./sysctl-flags.js');
      const { securityFlags, securitySettingsFromFlags } = await import('./security-flags.js');
      const { horizontalPodAutoscalerFlags, horizontalPodAutoscalerOptionsFromFlags, metricResolutionFlags, metricResolutionFromFlags } = await import('./autoscaling-flags.js');
      const { values } = parseArgs({
        args: rest,
        options: {
          'data-dir': { type: 'string' },
          port: { type: 'string' },
          bind: { type: 'string' },
          v: { type: 'string', short: 'v' },
          'no-controllers': { type: 'boolean' },
          controllers: { type: 'string' },
          'no-scheduler': { type: 'boolean' },
          'scheduler-config': { type: 'string' },
          runtime: { type: 'string' },
          isolation: { type: 'string' },
          registries: { type: 'string' },
          'pod-logs-dir': { type: 'string' },
          'container-runtime-endpoint': { type: 'string' },
          ...imageGcFlags,
          ...sysctlFlags,
          'log-format': { type: 'string' },
          'pod-cidr': { type: 'string' },
          'cluster-cidr': { type: 'string' },
          'ingress-http-port': { type: 'string' },
          'ingress-https-port': { type: 'string' },
          ...servingLimitFlags,
          ...securityFlags,
          ...metricResolutionFlags,
          ...horizontalPodAutoscalerFlags,
          'proxy-mode': { type: 'string' },
        },
        strict: true,
      });
      const { portFlag, podCIDRFlag, clusterCIDRFlag } = await flags();
      const port = portFlag('port', values.port, 6443);
      const podCIDR = podCIDRFlag(values['pod-cidr']);
      const clusterCIDR = clusterCIDRFlag(values['cluster-cidr']);
      const runtime = runtimeFlag(values.runtime ?? (command === 'up' ? 'process' : 'none'));
      const isolation = isolationFlag(values.isolation);
      const ingress = ingressPorts(values['ingress-http-port'], values['ingress-https-port']);
      const controllers = values['no-controllers'] ? false : await controllerList(values.controllers);
      const servingLimits = servingLimitsFromFlags(values);
      const security = securitySettingsFromFlags(values);
      const proxyMode = await proxyModeFlag(values['proxy-mode']);
      await runControlPlane({
        mode: command,
        dataDir: values['data-dir'],
        port,
        bind: values.bind ?? '127.0.0.1',
        verbosity: Number(values.v ?? 0),
        controllers,
        scheduler: !values['no-scheduler'],
        schedulerConfig: values['scheduler-config'],
        runtime,
        isolation,
        registries: values.registries,
        podLogsDir: values['pod-logs-dir'],
        containerRuntimeEndpoint: values['container-runtime-endpoint'],
        imageGc: imageGcPolicyFromFlags(values),
        sysctls: sysctlAllowlistFromFlags(values),
        logFormat: logFormatFlag(values['log-format']),
        podCIDR,
        clusterCIDR,
        ingressPorts: ingress,
        servingLimits,
        security,
        metricResolutionMs: metricResolutionFromFlags(values),
        horizontalPodAutoscaler: horizontalPodAutoscalerOptionsFromFlags(values),
        proxyMode,
      });
      return 0;
    }
    case 'controller-manager': {
      const { horizontalPodAutoscalerFlags, horizontalPodAutoscalerOptionsFromFlags } = await import('./autoscaling-flags.js');
      const { values } = parseArgs({
        args: rest,
        options: {
          ...horizontalPodAutoscalerFlags,
          'secure-port': { type: 'string' },
          kubeconfig: { type: 'string' },
          controllers: { type: 'string' },
          'allocate-node-cidrs': { type: 'boolean' },
          'cluster-cidr': { type: 'string' },
          'node-cidr-mask-size': { type: 'string' },
          'cluster-signing-cert-file': { type: 'string' },
          'cluster-signing-key-file': { type: 'string' },
          'cluster-signing-duration': { type: 'string' },
          v: { type: 'string', short: 'v' },
        },
        strict: true,
      });
      const controllers = await controllerList(values.controllers);
      const { nodeIpamFlags, durationFlag } = await flags();
      const nodeIPAM = nodeIpamFlags(values);
      const clusterSigningDurationMs = durationFlag('cluster-signing-duration', values['cluster-signing-duration']);
      const { runStandaloneControllerManager } = await import('./control-plane.js');
      await runStandaloneControllerManager({
        kubeconfig: values.kubeconfig,
        controllers,
        nodeIPAM,
        verbosity: Number(values.v ?? 0),
        clusterSigningCertFile: values['cluster-signing-cert-file'],
        clusterSigningKeyFile: values['cluster-signing-key-file'],
        clusterSigningDurationMs,
        horizontalPodAutoscaler: horizontalPodAutoscalerOptionsFromFlags(values),
        securePort: values['secure-port'] === undefined ? undefined : (await flags()).portFlag('secure-port', values['secure-port'], 10257),
      });
      return 0;
    }
    case 'scheduler': {
      const { values } = parseArgs({
        args: rest,
        options: { kubeconfig: { type: 'string' }, config: { type: 'string' }, 'secure-port': { type: 'string' }, v: { type: 'string', short: 'v' } },
        strict: true,
      });
      const securePort = values['secure-port'] === undefined ? undefined : (await flags()).portFlag('secure-port', values['secure-port'], 10259);
      const { runStandaloneScheduler } = await import('./control-plane.js');
      await runStandaloneScheduler({ kubeconfig: values.kubeconfig, config: values.config, verbosity: Number(values.v ?? 0), securePort });
      return 0;
    }
    case 'agent': {
      const { imageGcFlags, imageGcPolicyFromFlags } = await import('./image-gc-flags.js');
      const { sysctlFlags, sysctlAllowlistFromFlags } = await import('./sysctl-flags.js');
      const { values } = parseArgs({
        args: rest,
        options: {
          kubeconfig: { type: 'string' },
          simulate: { type: 'string' },
          server: { type: 'string' },
          token: { type: 'string' },
          name: { type: 'string' },
          'data-dir': { type: 'string' },
          runtime: { type: 'string' },
          isolation: { type: 'string' },
          registries: { type: 'string' },
          'pod-logs-dir': { type: 'string' },
          'container-runtime-endpoint': { type: 'string' },
          ...imageGcFlags,
          ...sysctlFlags,
          'log-format': { type: 'string' },
          'pod-cidr': { type: 'string' },
          'ca-cert-hash': { type: 'string' },
          'ingress-http-port': { type: 'string' },
          'ingress-https-port': { type: 'string' },
          'proxy-mode': { type: 'string' },
          v: { type: 'string', short: 'v' },
        },
        strict: true,
      });
      const verbosity = Number(values.v ?? 0);
      if (values.simulate !== undefined) {
        const count = Number(values.simulate);
        if (!Number.isInteger(count) || count < 1) throw usageError('--simulate needs a number of nodes (1 or more)');
        const { runSimulatedNodes } = await import('./control-plane.js');
        await runSimulatedNodes({ kubeconfig: values.kubeconfig, name: values.name ?? 'sim', count, verbosity });
        return 0;
      }
      if (!values.server) throw usageError('skiff agent needs --server URL (and --token T the first time), or --simulate N');
      const runtime = runtimeFlag(values.runtime ?? 'process');
      if (runtime === 'none') throw usageError('skiff agent needs a runtime: process, containerd or simulated');
      const podCIDR = (await flags()).podCIDRFlag(values['pod-cidr']);
      const isolation = isolationFlag(values.isolation);
      const ingress = ingressPorts(values['ingress-http-port'], values['ingress-https-port']);
      const proxyMode = await proxyModeFlag(values['proxy-mode']);
      const { runJoinedAgent } = await import('./control-plane.js');
      await runJoinedAgent({ server: values.server, token: values.token, name: values.name, dataDir: values['data-dir'], runtime, isolation, registries: values.registries, podLogsDir: values['pod-logs-dir'], containerRuntimeEndpoint: values['container-runtime-endpoint'], imageGc: imageGcPolicyFromFlags(values), sysctls: sysctlAllowlistFromFlags(values), logFormat: logFormatFlag(values['log-format']), podCIDR, caCertHash: values['ca-cert-hash'], ingressPorts: ingress, proxyMode, verbosity });
      return 0;
    }
    case 'images': {
      const { runImagesCommand } = await import('./images.js');
      return runImagesCommand(rest);
    }
    case 'kubectl': {
      const { runKubectl } = await import('./kubectl.js');
      return runKubectl(rest);
    }
    case 'status': {
      const { runStatus } = await import('./status.js');
      return runStatus(rest);
    }
    case 'down': {
      const { runDown } = await import('./down.js');
      return runDown(rest);
    }
    case 'reset': {
      const { runReset } = await import('./down.js');
      return runReset(rest);
    }
    case 'version':
    case '--version': {
      const { skiffVersion, versionInfo } = await import('../apiserver/version.js');
      const info = versionInfo();
      process.stdout.write(`skiff ${skiffVersion()} (Kubernetes ${info.gitVersion.split('+')[0]})\n`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(usage);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`skiff: unknown command "${command}"\n\n${usage}`);
      return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`skiff: ${err instanceof Error ? err.message : String(err)}\n`);
    void import('./usage-error.js').then(({ isUsageError }) => process.exit(isUsageError(err) ? 2 : 1));
  },
);
