#!/usr/bin/env node
/**
 * The `skiff` command. Parses arguments and wires components together; the
 * components themselves live in their own folders.
 */
import { parseArgs } from 'node:util';
import { skiffVersion, versionInfo } from '../apiserver/version.js';
import { selectControllers } from '../controllers/index.js';
import { proxyModeFlags, type ProxyModeFlag } from '../network/index.js';
import { runControlPlane, runJoinedAgent, runSimulatedNodes, runStandaloneControllerManager, runStandaloneScheduler, servingLimitFlags, servingLimitsFromFlags } from './control-plane.js';
import { parseGoDuration } from '../api/batch/cron.js';

function ingressPorts(http: string | undefined, https: string | undefined): { http?: number; https?: number } {
  const parse = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--${flag} ${value}: a port number (0 turns the listener off)`);
    return port;
  };
  return { http: parse('ingress-http-port', http), https: parse('ingress-https-port', https) };
}

function isolationFlag(flag: string | undefined): 'auto' | 'none' | undefined {
  if (flag === undefined || flag === 'auto' || flag === 'none') return flag;
  throw new Error(`--isolation ${flag}: choose auto or none`);
}

function proxyModeFlag(flag: string | undefined): ProxyModeFlag | undefined {
  if (flag === undefined || (proxyModeFlags as readonly string[]).includes(flag)) return flag as ProxyModeFlag | undefined;
  throw new Error(`--proxy-mode ${flag}: choose ${proxyModeFlags.join(', ')}`);
}

function runtimeFlag(flag: string | undefined): 'process' | 'simulated' | 'none' {
  if (flag === undefined || flag === 'none') return 'none';
  if (flag === 'simulated' || flag === 'process') return flag;
  throw new Error(`--runtime ${flag}: supported runtimes are process, simulated and none`);
}

/** `--controllers a,-b,*` as a list, checked now so a typo fails at once. */
function controllerList(flag: string | undefined): string[] {
  const list = (flag ?? '*').split(',').map((s) => s.trim()).filter(Boolean);
  selectControllers(list);
  return list;
}

const usage = `skiff — Kubernetes, written in TypeScript

Usage:
  skiff up      [--data-dir DIR] [--port N] [--bind ADDR] [-v N]   all-in-one cluster
  skiff server  [--data-dir DIR] [--port N] [--bind ADDR] [-v N]   control plane only
  skiff controller-manager [--kubeconfig FILE] [--controllers LIST] [-v N]
                           [--cluster-signing-cert-file F --cluster-signing-key-file F]
                           [--cluster-signing-duration D]
                                                                   the built-in controllers alone,
                                                                   against any apiserver
  skiff scheduler [--kubeconfig FILE] [--config FILE] [-v N]       the scheduler alone, against any apiserver
  skiff agent --server URL --token T [--name N] [--data-dir D] [--runtime process|simulated]
              [--isolation auto|none] [--pod-cidr CIDR] [--ca-cert-hash sha256:HEX]
              [--proxy-mode auto|nftables|userspace]
                                                                   join this machine as a node
  skiff agent --simulate N [--name NAME] [--kubeconfig FILE]       N simulated nodes (no processes run)
  skiff version

Options:
  --data-dir DIR   where the cluster keeps its state (default: $SKIFF_DATA_DIR or ~/.skiff)
  --port N         HTTPS port of the API server (default: 6443)
  --bind ADDR      address to listen on (default: 127.0.0.1)
  --no-controllers do not run the built-in controllers
  --no-scheduler   do not run the scheduler
  --scheduler-config FILE
                   a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) for the scheduler
  --runtime process|simulated|none
                   skiff up: run a node agent for this machine with this runtime (default:
                   process). process: each container's command runs as a supervised process,
                   isolated in its own namespaces and cgroups when run as root. simulated: pods
                   run nowhere but go Running and Ready, and Jobs' pods succeed after a second.
                   none: no node (pods stay Pending unless another node joins)
  --isolation auto|none
                   process runtime: namespaces, a pod IP and cgroup limits when root (auto, the
                   default), or plain processes on the host network (none)
  --ca-cert-hash sha256:HEX
                   skiff agent: the cluster CA's public key hash (printed by skiff up); the
                   server must present that CA before the join token is sent
  --ingress-http-port N, --ingress-https-port N
                   the Ingress controller's ports on the node (default 80 and 443 as root, 8080
                   and 8443 otherwise; 0 turns a listener off)
  --proxy-mode auto|nftables|userspace
                   the node's service proxy (default auto: nftables as root when the nft command
                   works, else userspace: relays in skiff, as root with the ClusterIPs bound on the
                   interface skiff-svc0, otherwise at their loopback twins 127.x.y.z)
  --pod-cidr CIDR  process runtime as root: the node's pod range, a /24 (default: 10.42.0.0/24
                   for skiff up, 10.42.1.0/24 for skiff agent)
  --controllers LIST
                   which controllers run, as kube-controller-manager's flag: '*' for all,
                   'name' to add one, '-name' to leave one out (default: '*'); e.g. '*,-cronjob'
  --max-requests-inflight N, --max-mutating-requests-inflight N, --request-timeout D,
  --min-request-timeout S
                   the API server's limits, as kube-apiserver's flags (docs/api-server.md)
  --kubeconfig FILE
                   the cluster to control (default: $KUBECONFIG or ~/.kube/config)
  -v N             log verbosity (default: 0)
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up':
    case 'server': {
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
          'pod-cidr': { type: 'string' },
          'ingress-http-port': { type: 'string' },
          'ingress-https-port': { type: 'string' },
          ...servingLimitFlags,
          'proxy-mode': { type: 'string' },
        },
        strict: true,
      });
      const port = values.port === undefined ? 6443 : Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid --port ${values.port}`);
      await runControlPlane({
        mode: command,
        dataDir: values['data-dir'],
        port,
        bind: values.bind ?? '127.0.0.1',
        verbosity: Number(values.v ?? 0),
        controllers: values['no-controllers'] ? false : controllerList(values.controllers),
        scheduler: !values['no-scheduler'],
        schedulerConfig: values['scheduler-config'],
        runtime: runtimeFlag(values.runtime ?? (command === 'up' ? 'process' : 'none')),
        isolation: isolationFlag(values.isolation),
        podCIDR: values['pod-cidr'],
        ingressPorts: ingressPorts(values['ingress-http-port'], values['ingress-https-port']),
        servingLimits: servingLimitsFromFlags(values),
        proxyMode: proxyModeFlag(values['proxy-mode']),
      });
      return 0;
    }
    case 'controller-manager': {
      const { values } = parseArgs({
        args: rest,
        options: {
          kubeconfig: { type: 'string' },
          controllers: { type: 'string' },
          v: { type: 'string', short: 'v' },
          'cluster-signing-cert-file': { type: 'string' },
          'cluster-signing-key-file': { type: 'string' },
          'cluster-signing-duration': { type: 'string' },
        },
        strict: true,
      });
      await runStandaloneControllerManager({
        kubeconfig: values.kubeconfig,
        controllers: controllerList(values.controllers),
        verbosity: Number(values.v ?? 0),
        clusterSigningCertFile: values['cluster-signing-cert-file'],
        clusterSigningKeyFile: values['cluster-signing-key-file'],
        clusterSigningDurationMs: values['cluster-signing-duration'] ? parseGoDuration(values['cluster-signing-duration']) : undefined,
      });
      return 0;
    }
    case 'scheduler': {
      const { values } = parseArgs({
        args: rest,
        options: { kubeconfig: { type: 'string' }, config: { type: 'string' }, v: { type: 'string', short: 'v' } },
        strict: true,
      });
      await runStandaloneScheduler({ kubeconfig: values.kubeconfig, config: values.config, verbosity: Number(values.v ?? 0) });
      return 0;
    }
    case 'agent': {
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
        if (!Number.isInteger(count) || count < 1) throw new Error('--simulate needs a number of nodes (1 or more)');
        await runSimulatedNodes({ kubeconfig: values.kubeconfig, name: values.name ?? 'sim', count, verbosity });
        return 0;
      }
      if (!values.server) throw new Error('skiff agent needs --server URL (and --token T the first time), or --simulate N');
      const runtime = runtimeFlag(values.runtime ?? 'process');
      if (runtime === 'none') throw new Error('skiff agent needs a runtime: process or simulated');
      await runJoinedAgent({ server: values.server, token: values.token, name: values.name, dataDir: values['data-dir'], runtime, isolation: isolationFlag(values.isolation), podCIDR: values['pod-cidr'], caCertHash: values['ca-cert-hash'], ingressPorts: ingressPorts(values['ingress-http-port'], values['ingress-https-port']), proxyMode: proxyModeFlag(values['proxy-mode']), verbosity });
      return 0;
    }
    case 'version':
    case '--version': {
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
    process.exit(1);
  },
);
