/**
 * Starts the control plane: PKI, storage, the API registry, the apiserver,
 * bootstrap objects and the admin kubeconfig; then the controllers, the
 * scheduler and a node agent; stops it all on SIGTERM/SIGINT.
 *
 * Start time: only what serves the API is imported statically. The
 * controllers, the scheduler, the node agent and the network are loaded with
 * `import()` when a command runs them — for `skiff up` after the ready line.
 * (The bootstrap objects come from small leaf modules; `import type` costs
 * nothing at run time.) test/start-path.test.ts keeps it so.
 */
import type { HorizontalPodAutoscalerOptions } from '../controllers/podautoscaler/controller.js';
import { randomBytes } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { logLayoutFor, type ContainerLogLayout } from '../node/container-logs.js';
import { hostRuntimeClass } from '../node/runtime-classes.js';
import { ApiServer, ServiceAllocator, bootstrapCluster, raiseDescriptorLimit, type ServingLimits } from '../apiserver/index.js';
import type { ImageGcPolicy } from '../node/image-gc.js';
import type { SysctlAllowlist } from '../node/sysctls.js';
import { parseGoDuration } from '../machinery/duration.js';
import { ensureClientCertificate, ensureClusterPki, issueClientCertificate, issueServingCertificate, type CertificateAndKey } from '../apiserver/pki/index.js';
import type { NodeCredentials } from '../apiserver/join.js';
import { documentRoutes } from '../apiserver/documents.js';
import { builtinRegistry } from '../api/index.js';
import { systemPriorityClasses } from '../api/scheduling/index.js';
import { openSqliteStore } from '../storage/index.js';
import { defaultAuditLogSettings, openAuditLog } from '../apiserver/audit/options.js';
import { EncryptedStore, ensureEncryptionConfiguration, loadEncryptionConfigurationFile } from '../storage/encryption/index.js';
import { writeKubeconfig } from '../client/kubeconfig.js';
import { configFromKubeconfig } from '../client/config.js';
import { Client } from '../client/client.js';
import { RotatingClientCertificate } from '../client/rotating-certificate.js';
import { InformerFactory } from '../client/informer-factory.js';
import { podsResource } from '../client/builtin-resources.js';
import type { ClientConfig } from '../client/config.js';
import { caCertHash, discoverPinnedCA } from '../node/ca-pin.js';
import { ServiceAccountTokens } from '../apiserver/serviceaccount-tokens.js';
import { kubeDnsService } from '../network/dns/kube-dns.js';
import { skiffIngressClass } from '../network/ingress/ingress-class.js';
import type { ProxyModeFlag } from '../network/index.js';
import type { ClusterDnsSettings } from '../node/dns-config.js';
import { localPathStorageClass } from '../node/local-path.js';
import type { Runtime } from '../node/runtime/runtime.js';
import type { NodeRuntimeOptions, RuntimeKind } from '../node/runtime/index.js';
import type { NodeIdentity } from '../node/node-status.js';
import type { ClusterSigner, NodeIpamOptions } from '../controllers/index.js';
import { createCommandLogger, createLogger, type LogFormat } from '../util/log.js';
import { lockDataDir } from './data-dir-lock.js';
import { UsageError } from './usage-error.js';
import type { SecuritySettings } from './security-flags.js';
import { bootstrapTokenSecret, isBootstrapToken } from '../apiserver/authenticators/bootstrap-tokens.js';
import { LOCAL_PATH_PROVISIONERS_GROUP } from '../api/rbac/bootstrap-policy/skiff-roles.js';
import { whenAborted } from '../machinery/abort.js';
import { resolveDataDir } from './data-dir.js';
import { ingressAnnotation, proxyModeAnnotation } from './node-annotations.js';
import { recordNodeNetwork } from './node-leftovers.js';

export interface ControlPlaneOptions {
  mode: 'up' | 'server';
  /** metrics-server's --metric-resolution: how often metrics.k8s.io scrapes the node agents (default 15 s). */
  metricResolutionMs?: number;
  /** kube-controller-manager's --horizontal-pod-autoscaler-* flags. */
  horizontalPodAutoscaler?: HorizontalPodAutoscalerOptions;
  dataDir?: string;
  port: number;
  bind: string;
  verbosity: number;
  /** Which built-in controllers run (`--controllers`), or false for none (default: all). */
  controllers?: string[] | false;
  /** Run the scheduler (default true), with this KubeSchedulerConfiguration file if given. */
  scheduler?: boolean;
  schedulerConfig?: string;
  /** The local node agent's runtime (`skiff up` only); none: no agent. */
  runtime?: RuntimeKind | 'none';
  /** The process runtime's isolation: auto (namespaces and cgroups when root) or none. */
  isolation?: 'auto' | 'none';
  /** The node's registries file (k3s's registries.yaml format; default DIR/registries.yaml when it exists). */
  registries?: string;
  /** Where containers' logs go (--pod-logs-dir; default DIR/logs/pods), links in its sibling `containers`. */
  podLogsDir?: string;
  /** containerd runtime: the CRI socket of a containerd run by someone else (--container-runtime-endpoint). */
  containerRuntimeEndpoint?: string;
  /** Image garbage collection's thresholds (--image-gc-*); default the kubelet's. */
  imageGc?: ImageGcPolicy;
  /** The sysctls pods may set (the safe ones plus --allowed-unsafe-sysctls). */
  sysctls?: SysctlAllowlist;
  /** --log-format: json (stderr), text (a terminal's lines, JSON in DIR/logs/skiff.log); default text on a terminal. */
  logFormat?: LogFormat;
  /** The local node's pod range (a /24); default: the one the node IPAM controller gives it. */
  podCIDR?: string;
  /** The cluster's pod range (`--cluster-cidr`, default 10.42.0.0/16): the nodes' /24s are cut from it. */
  clusterCIDR?: string;
  /** The Ingress controller's ports (0: off); default 80 and 443 as root, 8080 and 8443 otherwise. */
  ingressPorts?: { http?: number; https?: number };
  /** The apiserver's limits (--max-requests-inflight, --request-timeout, …). */
  servingLimits?: ServingLimits;
  /** The apiserver's security settings (--authorization-mode, …). */
  security?: SecuritySettings;
  /** The service proxy (`--proxy-mode`): auto (nftables as root with nft, else user space), nftables or userspace. */
  proxyMode?: ProxyModeFlag;
}

/** The apiserver's limit flags of `skiff up` / `skiff server`, named and defaulted as kube-apiserver's. */
export const servingLimitFlags = {
  'max-requests-inflight': { type: 'string' },
  'max-mutating-requests-inflight': { type: 'string' },
  'request-timeout': { type: 'string' },
  'min-request-timeout': { type: 'string' },
} as const;

export function servingLimitsFromFlags(values: Partial<Record<keyof typeof servingLimitFlags, string>>): ServingLimits {
  const count = (flag: string, value: string | undefined) => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} ${value}: a whole number, 0 or more`);
    return n;
  };
  let requestTimeoutMs: number | undefined;
  if (values['request-timeout'] !== undefined) {
    try {
      requestTimeoutMs = parseGoDuration(values['request-timeout']);
    } catch {
      requestTimeoutMs = NaN;
    }
    if (!(requestTimeoutMs > 0)) throw new UsageError(`--request-timeout ${values['request-timeout']}: a duration such as 1m0s or 30s`);
  }
  return {
    maxRequestsInFlight: count('max-requests-inflight', values['max-requests-inflight']),
    maxMutatingRequestsInFlight: count('max-mutating-requests-inflight', values['max-mutating-requests-inflight']),
    requestTimeoutMs,
    minRequestTimeoutSeconds: count('min-request-timeout', values['min-request-timeout']),
  };
}

/**
 * The token agents join with: made on first start in upstream's bootstrap
 * token format (`abcdef.0123456789abcdef`, also stored as a bootstrap token
 * Secret), kept in the data dir (readable by its owner only). Data dirs from
 * before keep their older token.
 */
export function ensureJoinToken(dataDir: string): string {
  const path = join(dataDir, 'join-token');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const pick = (length: number) => [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
  const token = `${pick(6)}.${pick(16)}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return token;
}

/** Who a node's network components (service proxy, DNS, ingress, policies) are: upstream's kube-proxy user. */
const networkUser = 'system:kube-proxy';

/** Who a node's local-path provisioner is (bound to skiff:local-volume-provisioner through its group). */
const provisionerIdentity = (node: string) => ({ commonName: `system:skiff:local-path-provisioner:${node}`, organizations: [LOCAL_PATH_PROVISIONERS_GROUP] });

/** A joining node's credentials: client certificates for system:node:<name> and its network components, and a serving certificate. */
async function issueNodeCredentials(pki: Awaited<ReturnType<typeof ensureClusterPki>>, name: string, addresses: string[]): Promise<NodeCredentials> {
  const [client, serving, proxy, provisioner] = await Promise.all([
    issueClientCertificate(pki, { commonName: `system:node:${name}`, organizations: ['system:nodes'] }),
    issueServingCertificate(pki, name, [name, ...addresses]),
    issueClientCertificate(pki, { commonName: networkUser }),
    issueClientCertificate(pki, provisionerIdentity(name)),
  ]);
  return {
    caPem: pki.caCertPem,
    certPem: client.certPem,
    keyPem: client.keyPem,
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    proxyCertPem: proxy.certPem,
    proxyKeyPem: proxy.keyPem,
    provisionerCertPem: provisioner.certPem,
    provisionerKeyPem: provisioner.keyPem,
  };
}

/** What startNodeRuntime needs, from the node's flags (`skiff up` and `skiff agent` alike) and what the caller knows. */
function nodeRuntimeOptions(
  flags: { isolation?: 'auto' | 'none'; registries?: string; containerRuntimeEndpoint?: string },
  node: { dataDir: string; address: string; podCIDR?: string; name: string; logs: ContainerLogLayout; stopOnShutdown: boolean; signal: AbortSignal; log: (event: Record<string, unknown>) => void },
): NodeRuntimeOptions {
  return {
    dataDir: node.dataDir,
    address: node.address,
    podCIDR: node.podCIDR,
    isolation: flags.isolation,
    registries: flags.registries,
    logDir: dirname(node.logs.podLogsDir),
    nodeName: node.name,
    containerRuntimeEndpoint: flags.containerRuntimeEndpoint,
    stopOnShutdown: node.stopOnShutdown,
    signal: node.signal,
    log: node.log,
  };
}

/** Where the node's container logs go: --pod-logs-dir, or DIR/logs/pods; the flat links beside it. */
function podLogLayout(dataDir: string, podLogsDir: string | undefined): ContainerLogLayout {
  return logLayoutFor(podLogsDir ? resolve(podLogsDir) : join(dataDir, 'logs', 'pods'));
}

export { resolveDataDir };

export async function runControlPlane(options: ControlPlaneOptions): Promise<void> {
  const started = performance.now();
  const dataDir = resolveDataDir(options.dataDir);
  mkdirSync(join(dataDir, 'db'), { recursive: true, mode: 0o700 });
  // Before anything in the data dir is read or written: a second skiff on it exits here.
  const dataDirLock = await lockDataDir(dataDir);
  // On a terminal: short lines there, the JSON log in DIR/logs/skiff.log (util/log.ts).
  const logFile = join(dataDir, 'logs', 'skiff.log');
  const { log, format: logFormat } = await createCommandLogger({ format: options.logFormat, verbosity: options.verbosity, file: logFile });
  // Before listening: the connection cap follows the descriptor limit.
  raiseDescriptorLimit((event) => log({ component: 'apiserver', msg: String(event.msg ?? ''), ...event }));

  const [pki, plainStore] = await Promise.all([
    ensureClusterPki(dataDir, { hosts: [options.bind] }),
    openSqliteStore(join(dataDir, 'db', 'state.db')),
  ]);
  // Encryption at rest, as k3s --secrets-encryption: Secrets with a key made on first start, or --encryption-provider-config.
  const store = new EncryptedStore(plainStore, loadEncryptionConfigurationFile(options.security?.encryptionProviderConfig ?? ensureEncryptionConfiguration(dataDir)));
  // The audit log: DIR/audit.log with a Metadata policy unless the flags say otherwise (--audit-log-path '' turns it off).
  const auditSettings = options.security?.audit;
  const audit = openAuditLog(
    {
      ...(auditSettings ?? defaultAuditLogSettings),
      path: auditSettings?.pathGiven ? auditSettings.path : join(dataDir, 'audit.log'),
      // skiff's own bounds unless given: 100 MB files, five kept (upstream keeps every one).
      ...(auditSettings?.rotationGiven ? {} : { maxSize: 100, maxBackups: 5 }),
    },
    { logger: (event) => log({ component: 'audit', ...event }) },
  );
  const registry = builtinRegistry();
  const allocator = new ServiceAllocator();
  const services = registry.find('', 'v1', 'services')!;
  const serviceHooks = allocator.hooks();
  const joinToken = ensureJoinToken(dataDir);
  const server: ApiServer = new ApiServer({
    store,
    registry,
    host: options.bind,
    port: options.port,
    tls: { certPem: pki.serverCertPem, keyPem: pki.serverKeyPem, caPem: pki.caCertPem },
    hooks: (type) => (type === services ? serviceHooks : undefined),
    documentRoutes: documentRoutes(registry, (): string => `${options.bind}:${server.port}`),
    log: (event) => log({ msg: String(event.msg ?? ''), ...event }),
    // kubectl logs: the apiserver reaches node agents with the admin client certificate.
    nodeClient: { caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem },
    join: { token: joinToken, issue: (name, addresses) => issueNodeCredentials(pki, name, addresses) },
    serviceAccountTokens: ServiceAccountTokens.inDirectory(pki.dir),
    limits: options.servingLimits,
    authorizationModes: options.security?.authorizationModes,
    tokenAuthFile: options.security?.tokenAuthFile,
    authenticationConfig: options.security?.authenticationConfig,
    admission: options.security ? { ...options.security.admission, podSecurity: options.security.podSecurity } : undefined,
    audit: audit ? { policy: audit.policy, sink: audit.backend } : undefined,
    bootstrapTokenAuth: true,
    ...(options.metricResolutionMs ? { resourceMetrics: { resolutionMs: options.metricResolutionMs } } : {}),
  });

  await server.prime();
  // Allocations survive restarts because they are rebuilt from the stored Services.
  const serviceCache = await server.storageFor(services).cache();
  allocator.restore(serviceCache.list().map((entry) => entry.object));
  const port = await server.listen();

  const advertiseAddress = options.bind === '0.0.0.0' || options.bind === '::' ? '127.0.0.1' : options.bind;
  const priorityClasses = registry.find('scheduling.k8s.io', 'v1', 'priorityclasses');
  const storageClasses = registry.find('storage.k8s.io', 'v1', 'storageclasses');
  const ingressClasses = registry.find('networking.k8s.io', 'v1', 'ingressclasses');
  const runtimeClasses = registry.find('node.k8s.io', 'v1', 'runtimeclasses');
  await bootstrapCluster(server, {
    advertiseAddress,
    port,
    extraObjects: [
      ...(priorityClasses ? systemPriorityClasses.map((object) => ({ type: priorityClasses, object })) : []),
      // Like k3s: a default StorageClass whose volumes each node agent provisions as a directory of its own.
      ...(storageClasses ? [{ type: storageClasses, object: localPathStorageClass }] : []),
      // The cluster DNS Service; every node's own DNS server is an endpoint of it.
      { type: services, object: kubeDnsService },
      // The built-in Ingress controller's class, the default one.
      ...(ingressClasses ? [{ type: ingressClasses, object: skiffIngressClass }] : []),
      // Pods that run a command on the node's own file system rather than in an image.
      ...(runtimeClasses ? [{ type: runtimeClasses, object: hostRuntimeClass }] : []),
      // The join token as a bootstrap token, so it also authenticates as upstream's do.
      ...(isBootstrapToken(joinToken) ? [{ type: registry.find('', 'v1', 'secrets')!, object: bootstrapTokenSecret(joinToken, { description: 'the token skiff agents join with (skiff up)' }) }] : []),
    ],
  });

  const url = `https://${advertiseAddress.includes(':') ? `[${advertiseAddress}]` : advertiseAddress}:${port}`;
  const kubeconfigPath = join(dataDir, 'kubeconfig.yaml');
  writeKubeconfig(kubeconfigPath, { server: url, caPem: pki.caCertPem, certPem: pki.adminCertPem, keyPem: pki.adminKeyPem });
  server.setReady();

  // From here a signal stops gracefully; it takes effect once the components below have started. The
  // handlers go in before the ready line: a signal sent the moment a client reads it must not meet
  // the default action (death) while the lines after it are still being written.
  const stopRequested = new Promise<string>((resolveSignal) => {
    process.once('SIGTERM', () => resolveSignal('SIGTERM'));
    process.once('SIGINT', () => resolveSignal('SIGINT'));
  });

  const elapsed = Math.round(performance.now() - started);
  log({ component: 'cli', msg: 'ready', url, dataDir, startupMs: elapsed });
  process.stdout.write(`API server ready at ${url} (${elapsed} ms)\n`);
  process.stdout.write(`  export KUBECONFIG=${kubeconfigPath}\n  kubectl get namespaces\n`);
  if (logFormat === 'text') process.stdout.write(`Log: ${logFile} (warnings show here; -v 1 for more, --log-format json for all of it)\n`);
  process.stdout.write(`Join another machine:\n  skiff agent --server ${url} --token ${joinToken} --ca-cert-hash ${caCertHash(pki.caCertPem)}\n`);


  // The controller manager and the scheduler are clients of the apiserver like any other, over HTTPS.
  // Each is loaded only now, after the API serves, and only if it runs.
  // Each with its own identity and no more rights than its role gives (docs/security.md): certificates kept in the pki dir.
  const credentialsOf = async (base: string, commonName: string, organizations?: string[]): Promise<ClientConfig> => {
    const certificate = await ensureClientCertificate(pki, base, { commonName, organizations });
    return { server: url, caPem: pki.caCertPem, certPem: certificate.certPem, keyPem: certificate.keyPem };
  };
  const components = new AbortController();
  // Every component and each of its loops stops on this one signal: more than Node's default of 10 listeners.
  setMaxListeners(0, components.signal);
  const running: Promise<void>[] = [];
  // The scheduler's and the controller manager's metrics on their upstream secure ports, with certificates of the cluster CA.
  const serveComponentMetrics = async (component: 'scheduler' | 'controller-manager', credentials: ClientConfig, registry: import('prom-client').Registry): Promise<void> => {
    // Loaded once components start, after the API serves (start time).
    const { controllerManagerSecurePort, schedulerSecurePort, serveSecureMetrics } = await import('./metrics-endpoints.js');
    const port = component === 'scheduler' ? schedulerSecurePort : controllerManagerSecurePort;
    const serving = await issueServingCertificate(pki, component, ['localhost', '127.0.0.1', advertiseAddress]);
    await serveSecureMetrics({
      component,
      credentials,
      registry,
      port,
      host: advertiseAddress,
      tls: { certPem: serving.certPem, keyPem: serving.keyPem, caPem: pki.caCertPem },
      signal: components.signal,
      log: (event) => log({ component, msg: String(event.msg ?? ''), ...event }),
    }).catch((err: Error) => log({ component, msg: 'no metrics endpoint', error: err.message }));
  };
  const { defaultClusterCIDR, defaultNodeCIDRMaskSize } = await import('../controllers/nodeipam/cidr-set.js');
  const clusterCIDR = options.clusterCIDR ?? defaultClusterCIDR;
  if (options.controllers !== false) {
    const { runControllerManager } = await import('../controllers/index.js');
    const { ControllerManagerMetrics } = await import('../client/metrics/index.js');
    const credentials = await credentialsOf('controller-manager', 'system:kube-controller-manager');
    const metrics = new ControllerManagerMetrics();
    await serveComponentMetrics('controller-manager', credentials, metrics.registry);
    running.push(
      runControllerManager({ ...credentials, metrics: metrics.restClient }, components.signal, {
        metrics,
        controllers: options.controllers,
        horizontalPodAutoscaler: options.horizontalPodAutoscaler,
        useServiceAccountCredentials: true,
        // As k3s: nodes get their /24 of the cluster range from the node IPAM controller.
        nodeIPAM: { clusterCIDR, nodeCIDRMaskSize: defaultNodeCIDRMaskSize },
        clusterSigner: clusterSigner({ certPem: pki.caCertPem, keyPem: pki.caKeyPem }),
        log: (event) => log({ component: 'controller-manager', msg: String(event.msg ?? ''), ...event }),
      }).catch((err) => log({ component: 'controller-manager', msg: 'stopped with an error', error: (err as Error).message })),
    );
  }
  if (options.mode === 'up' && options.runtime !== undefined && options.runtime !== 'none') {
    const { machineAddress, runNodeAgent } = await import('../node/index.js');
    const { runtimeNeedsPodCIDR, startNodeRuntime } = await import('../node/runtime/index.js');
    const runtimeKind = options.runtime;
    const name = hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-');
    const address = machineAddress();
    const agentLog = (event: Record<string, unknown>) => log({ component: 'agent', msg: String(event.msg ?? ''), ...event });
    // The node may wait for its range from the controller manager started above: the scheduler starts meanwhile.
    const startNode = async (): Promise<void> => {
      const [credentials, networkCredentials, provisionerCredentials] = await Promise.all([
        credentialsOf('node', `system:node:${name}`, ['system:nodes']),
        credentialsOf('kube-proxy', networkUser),
        credentialsOf('local-path-provisioner', provisionerIdentity(name).commonName, provisionerIdentity(name).organizations),
      ]);
      const podCIDR = runtimeNeedsPodCIDR(runtimeKind) ? await nodePodCIDR(credentials, { name, runtime: runtimeKind, address, dataDir }, options, components.signal, agentLog) : undefined;
      if (components.signal.aborted) return;
      const logs = podLogLayout(dataDir, options.podLogsDir);
      // `skiff up` is the whole cluster: its pods stop with it (a kill -9 leaves them to be adopted on the next start).
      const { runtime, isolated, agentOptions, afterStop } = await startNodeRuntime(runtimeKind, nodeRuntimeOptions(options, { dataDir, address, podCIDR, name, logs, stopOnShutdown: true, signal: components.signal, log: agentLog }));
      const serving = await issueServingCertificate(pki, name, [name, address, '127.0.0.1', 'localhost']);
      const network = await startNodeNetwork(name, networkCredentials, runtime, components.signal, (event) => log({ component: 'network', msg: String(event.msg ?? ''), ...event }), {
        nodeIP: address,
        clusterCIDR,
        ...options.ingressPorts,
        proxyMode: options.proxyMode,
      }, dataDir);
      await Promise.all([
        network.stopped,
        runNodeAgent(credentials, components.signal, {
          identity: { name, runtime: runtime.name, runtimeVersion: runtime.runtimeVersion, address, dataDir, ...(isolated ? { podCIDR } : {}), ...(network.annotations ? { annotations: network.annotations } : {}) },
          runtime,
          ...agentOptions,
          ...(options.imageGc ? { imageGc: options.imageGc } : {}),
          ...(options.sysctls ? { sysctls: options.sysctls } : {}),
          ...(runtime.capabilities.machine ? { logs } : {}),
          clusterDNS: network.clusterDNS,
          provisionerConfig: provisionerCredentials,
          serving: { certPem: serving.certPem, keyPem: serving.keyPem, caPem: pki.caCertPem },
          log: agentLog,
        }),
      ]);
      // The pods stopped with the agent: their in-memory state dir goes too (and a managed containerd stops).
      await afterStop();
    };
    running.push(startNode().catch((err) => log({ component: 'agent', msg: 'stopped with an error', error: (err as Error).message })));
  }
  if (options.scheduler !== false) {
    const { loadSchedulerConfiguration, runScheduler } = await import('../scheduler/index.js');
    const config = options.schedulerConfig ? loadSchedulerConfiguration(options.schedulerConfig) : undefined;
    const { SchedulerMetrics } = await import('../scheduler/metrics/index.js');
    const credentials = await credentialsOf('scheduler', 'system:kube-scheduler');
    const metrics = new SchedulerMetrics();
    await serveComponentMetrics('scheduler', credentials, metrics.registry);
    running.push(
      runScheduler({ ...credentials, metrics: metrics.restClient }, components.signal, {
        metrics,
        config,
        log: (event) => log({ component: 'scheduler', msg: String(event.msg ?? ''), ...event }),
      }).catch((err) => log({ component: 'scheduler', msg: 'stopped with an error', error: (err as Error).message })),
    );
  }

  await new Promise<void>((resolvePromise) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log({ component: 'cli', msg: 'stopping', signal });
      components.abort();
      await Promise.all(running);
      await server.stop();
      await audit?.backend.close();
      await store.close();
      dataDirLock.release();
      resolvePromise();
    };
    void stopRequested.then(stop);
  });
}

/** The csrsigning controller's signer: the cluster CA, signing for at most `durationMs` (default one year). */
function clusterSigner(ca: CertificateAndKey, durationMs?: number): ClusterSigner {
  // The X.509 library loads when the first request is signed, not at start.
  return { durationMs, sign: async (request) => (await import('../apiserver/pki/index.js')).signCertificateRequest(ca, request) };
}

/**
 * `skiff controller-manager`: the built-in controllers against any apiserver
 * the kubeconfig names, under leader election (so it can run beside the
 * controllers of `skiff up`, or several times).
 */
export async function runStandaloneControllerManager(options: {
  kubeconfig?: string;
  controllers?: string[];
  nodeIPAM?: NodeIpamOptions;
  verbosity: number;
  /** `--cluster-signing-cert-file/--cluster-signing-key-file`: the CA csrsigning signs with (without them csrsigning does not run). */
  clusterSigningCertFile?: string;
  clusterSigningKeyFile?: string;
  clusterSigningDurationMs?: number;
  horizontalPodAutoscaler?: HorizontalPodAutoscalerOptions;
  /** --secure-port: where /metrics is served (default 10257; 0: not at all). */
  securePort?: number;
}): Promise<void> {
  const log = createLogger(options.verbosity);
  const config = configFromKubeconfig(options.kubeconfig);
  const { runControllerManager } = await import('../controllers/index.js');
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  const signing =
    options.clusterSigningCertFile && options.clusterSigningKeyFile
      ? clusterSigner({ certPem: readFileSync(options.clusterSigningCertFile, 'utf8'), keyPem: readFileSync(options.clusterSigningKeyFile, 'utf8') }, options.clusterSigningDurationMs)
      : undefined;
  process.stdout.write(`controller manager running against ${config.server}\n`);
  const { ControllerManagerMetrics } = await import('../client/metrics/index.js');
  const metrics = new ControllerManagerMetrics();
  const metricsLog = (event: Record<string, unknown>) => log({ component: 'controller-manager', msg: String(event.msg ?? ''), ...event });
  const { controllerManagerSecurePort, serveStandaloneMetrics } = await import('./metrics-endpoints.js');
  await serveStandaloneMetrics('controller-manager', config, metrics.registry, options.securePort ?? controllerManagerSecurePort, stop.signal, metricsLog);
  await runControllerManager({ ...config, metrics: metrics.restClient }, stop.signal, {
    metrics,
    controllers: options.controllers,
    nodeIPAM: options.nodeIPAM,
    clusterSigner: signing,
    horizontalPodAutoscaler: options.horizontalPodAutoscaler,
    log: (event) => log({ component: 'controller-manager', msg: String(event.msg ?? ''), ...event }),
  });
}

/**
 * `skiff scheduler`: the scheduler alone against any apiserver the
 * kubeconfig names, under the `kube-scheduler` Lease.
 */
export async function runStandaloneScheduler(options: { kubeconfig?: string; config?: string; verbosity: number; securePort?: number }): Promise<void> {
  const log = createLogger(options.verbosity);
  const clientConfig = configFromKubeconfig(options.kubeconfig);
  const { loadSchedulerConfiguration, runScheduler } = await import('../scheduler/index.js');
  const config = options.config ? loadSchedulerConfiguration(options.config) : undefined;
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  process.stdout.write(`scheduler running against ${clientConfig.server}\n`);
  const { SchedulerMetrics } = await import('../scheduler/metrics/index.js');
  const metrics = new SchedulerMetrics();
  const metricsLog = (event: Record<string, unknown>) => log({ component: 'scheduler', msg: String(event.msg ?? ''), ...event });
  const { schedulerSecurePort, serveStandaloneMetrics } = await import('./metrics-endpoints.js');
  await serveStandaloneMetrics('scheduler', clientConfig, metrics.registry, options.securePort ?? schedulerSecurePort, stop.signal, metricsLog);
  await runScheduler({ ...clientConfig, metrics: metrics.restClient }, stop.signal, {
    metrics,
    config,
    log: (event) => log({ component: 'scheduler', msg: String(event.msg ?? ''), ...event }),
  });
}

/**
 * `skiff agent --simulate N`: N simulated nodes (no processes run) joined to
 * any apiserver — for scale tests, like KWOK.
 */
export async function runSimulatedNodes(options: { kubeconfig?: string; name: string; count: number; verbosity: number }): Promise<void> {
  const log = createLogger(options.verbosity);
  const clientConfig = configFromKubeconfig(options.kubeconfig);
  const { NodeAgent, SharedPodFeed, SimulatedRuntime } = await import('../node/index.js');
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  const names = options.count === 1 ? [options.name] : Array.from({ length: options.count }, (_, i) => `${options.name}-${i}`);
  process.stdout.write(`${names.length} simulated node(s) joining ${clientConfig.server}\n`);
  // One client and one watch of all pods for every node: like KWOK, a thousand nodes cost the
  // apiserver one watch and a pool of connections, not a thousand of each.
  const client = new Client({ ...clientConfig, userAgent: 'skiff-agent/simulated' });
  const podFeed = new SharedPodFeed(client.resource(podsResource), stop.signal);
  try {
    await Promise.all(
      names.map((name, i) =>
        new NodeAgent(client, {
          identity: { name, runtime: 'simulated', capacity: { cpu: '4', memory: '16Gi', 'ephemeral-storage': '100Gi', pods: '110' }, address: `10.200.${Math.floor(i / 250)}.${(i % 250) + 1}` },
          runtime: new SimulatedRuntime({ podSubnet: `10.42.${i % 256}` }),
          podFeed,
          log: (event) => log({ component: 'agent', msg: String(event.msg ?? ''), ...event }),
        }).run(stop.signal),
      ),
    );
  } finally {
    client.close();
  }
}

/**
 * Service networking on a node with isolated pods: the cluster DNS server
 * on the node's bridge address, port 53 (pods get it as their nameserver),
 * and the service proxy: nftables rules as root with nft, else the
 * user-space proxy (on a service interface holding the ClusterIPs as root,
 * at loopback twins otherwise) — which one and why is said in one line.
 * Without isolation or a free port 53, the parts that cannot run say so in
 * the log. `stopped` settles once the proxy has cleaned up after the signal.
 */
async function startNodeNetwork(
  nodeName: string,
  config: ClientConfig,
  runtime: Runtime,
  signal: AbortSignal,
  log: (event: Record<string, unknown>) => void,
  options: { nodeIP: string; clusterCIDR: string; http?: number; https?: number; proxyMode?: ProxyModeFlag },
  dataDir?: string,
): Promise<{ clusterDNS?: ClusterDnsSettings; stopped: Promise<void>; annotations?: Record<string, string> }> {
  const none = { stopped: Promise.resolve() };
  // A node whose pods run nowhere (simulated) has no network to serve.
  if (!runtime.capabilities.machine) return none;
  const {
    chooseProxyMode,
    ClusterDNS,
    defaultZone,
    describeProxyMode,
    hostAddresses,
    kubeDnsServiceIP,
    NodeEndpoints,
    proxyModeFacts,
    publishNodeDNS,
    PodRoutes,
    PolicyEnforcer,
    ServiceInterface,
    startApiserverRelay,
    ServiceLoadBalancer,
    ServiceProxy,
    UserspaceProxy,
    NetworkMetrics,
  } = await import('../network/index.js');
  // The service proxy's and the DNS server's metrics, at kube-proxy's metrics port.
  const metrics = new NetworkMetrics();
  const { proxyMetricsPort, servePlainMetrics } = await import('./metrics-endpoints.js');
  await servePlainMetrics(metrics.registry, proxyMetricsPort, signal, log).catch((err: Error) => log({ msg: 'no network metrics endpoint', error: err.message }));
  const network = await (runtime.prepareNetwork?.() ?? Promise.resolve(undefined)).catch((err: Error) => {
    log({ msg: 'no service networking: the pod network could not be set up', error: err.message });
    return undefined;
  });
  // One client and one informer factory for every network component of the node: Services,
  // EndpointSlices, Secrets … are listed and watched once per node, not once per component.
  const client = new Client({ ...config, userAgent: 'skiff-network' });
  whenAborted(signal, () => client.close());
  const informers = new InformerFactory(client);
  informers.start(signal);
  const choice = chooseProxyMode(options.proxyMode ?? 'auto', proxyModeFacts(network !== undefined));
  const serviceInterface = choice.clusterIPs === 'interface' ? new ServiceInterface() : undefined;
  // With ClusterIPs bound on this node, the Ingress controller takes ports 80 and 443 on the node's own addresses only.
  const ingress = await startIngress(informers, signal, log, { ...options, addresses: serviceInterface ? hostAddresses(serviceInterface.name) : undefined });
  // What `skiff status` shows of this node's network, said on its Node by the agent.
  const annotations = { [proxyModeAnnotation]: `${choice.mode}: ${choice.reason}`, [ingressAnnotation]: ingress };
  let stopped = Promise.resolve();
  let proxied = false;
  if (choice.mode === 'userspace') {
    const userspace = new UserspaceProxy(informers, { serviceInterface, reason: choice.reason, log, metrics });
    try {
      stopped = (await userspace.start(signal)).stopped;
    } catch (err) {
      log({ msg: 'no user-space service proxy', error: (err as Error).message });
    }
    // Pods reach the ClusterIPs (kube-dns among them) only where the proxy binds them themselves.
    proxied = userspace.servesClusterIPs;
  }
  // What this node makes on the machine, for `skiff down` after a stop that could not remove it (kill -9).
  const record = { bridge: network?.bridge, nftTables: network ? [network.bridge, `${network.bridge}-policy`] : [], serviceInterface: serviceInterface?.name };
  const recordNetwork = (podRoutes: string[] = []) => {
    if (dataDir && (network || serviceInterface)) recordNodeNetwork(dataDir, { ...record, podRoutes });
  };
  recordNetwork();
  if (!network) return { stopped, annotations };
  // This node's endpoints of kube-dns and kubernetes, owned by its Node (gone with it).
  const endpoints = new NodeEndpoints(informers, nodeName, log);
  endpoints.start(signal);
  new ServiceLoadBalancer(informers, { nodeIP: options.nodeIP, log }).start(signal);
  // Other nodes' pod ranges, routed to those nodes.
  void new PodRoutes(informers, { nodeName, log, onChange: recordNetwork }).start(signal);
  // Pods reach the apiserver at kubernetes.default.svc through this node.
  await startApiserverRelay(endpoints, { address: network.address, server: config.server, signal }).catch((err: Error) =>
    log({ msg: 'pods cannot reach the apiserver through this node', error: err.message }),
  );
  if (choice.mode === 'nftables') {
    log({ msg: describeProxyMode(choice, ''), mode: choice.mode, reason: choice.reason });
    const proxy = new ServiceProxy(informers, { nodeName, table: network.bridge, clusterCIDR: options.clusterCIDR, log, metrics });
    const policies = new PolicyEnforcer(informers, { table: `${network.bridge}-policy`, nodeAddresses: [network.address], log });
    stopped = new Promise((resolve) => whenAborted(signal, () => void Promise.all([proxy.stop(), policies.stop()]).then(() => resolve())));
    await policies.start(signal).catch((err: Error) => log({ msg: 'NetworkPolicy not enforced', error: err.message }));
    proxied = await proxy.start(signal).then(
      () => true,
      (err: Error) => {
        log({ msg: 'no service proxy', error: err.message });
        return false;
      },
    );
  } else {
    log({ msg: `NetworkPolicy not enforced: it needs nftables (${choice.reason})` });
  }
  let clusterDNS: ClusterDnsSettings | undefined;
  const dns = new ClusterDNS(informers, { address: network.address, port: 53, log, metrics });
  try {
    await dns.start(signal);
    log({ msg: 'cluster DNS listening', address: network.address, port: 53 });
    // With the proxy, pods ask the kube-dns Service (which reaches every node's server); without it, this node's.
    clusterDNS = { nameservers: [network.address], zone: defaultZone };
    if (proxied) {
      publishNodeDNS(endpoints, network.address);
      clusterDNS = { nameservers: [kubeDnsServiceIP], zone: defaultZone };
    }
  } catch (err) {
    log({ msg: 'no cluster DNS', address: network.address, error: (err as Error).message });
  }
  return { clusterDNS, stopped, annotations };
}

/**
 * The node's Ingress controller: ports 80 and 443 as root, 8080 and 8443
 * otherwise (or as given; 0 turns a listener off). Ports already taken are
 * said in the log, and the rest runs on.
 */
async function startIngress(informers: InformerFactory, signal: AbortSignal, log: (event: Record<string, unknown>) => void, options: { nodeIP: string; http?: number; https?: number; addresses?: string[] }): Promise<string> {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const httpPort = options.http ?? (root ? 80 : 8080);
  const httpsPort = options.https ?? (root ? 443 : 8443);
  if (!httpPort && !httpsPort) return 'off';
  const ports = [httpPort ? `http :${httpPort}` : '', httpsPort ? `https :${httpsPort}` : ''].filter(Boolean).join(', ');
  const { IngressController } = await import('../network/index.js');
  const controller = new IngressController(informers, { httpPort, httpsPort, addresses: options.addresses, nodeIP: options.nodeIP, log });
  try {
    await controller.start(signal);
    log({ msg: 'ingress listening', http: httpPort, https: httpsPort });
    return ports;
  } catch (err) {
    controller.close();
    log({ msg: 'no ingress controller: listening failed', http: httpPort, https: httpsPort, error: (err as Error).message });
    return `failed (${ports}): ${(err as Error).message}`;
  }
}

/**
 * `skiff agent --server URL --token T`: joins this machine to a cluster as a
 * node. The first time, the join token buys the node its certificates
 * (kept in the data dir); afterwards they are reused.
 */
export async function runJoinedAgent(options: {
  server: string;
  token?: string;
  name?: string;
  dataDir?: string;
  runtime: RuntimeKind;
  isolation?: 'auto' | 'none';
  registries?: string;
  /** Where containers' logs go (--pod-logs-dir; default DIR/logs/pods), links in its sibling `containers`. */
  podLogsDir?: string;
  /** containerd runtime: the CRI socket of a containerd run by someone else (--container-runtime-endpoint). */
  containerRuntimeEndpoint?: string;
  /** Image garbage collection's thresholds (--image-gc-*); default the kubelet's. */
  imageGc?: ImageGcPolicy;
  /** The sysctls pods may set (the safe ones plus --allowed-unsafe-sysctls). */
  sysctls?: SysctlAllowlist;
  /** --log-format: json (stderr), text (a terminal's lines, JSON in DIR/logs/skiff.log); default text on a terminal. */
  logFormat?: LogFormat;
  podCIDR?: string;
  /** The cluster CA's public key hash (`sha256:<hex>`) the server must prove before the token is sent. */
  caCertHash?: string;
  ingressPorts?: { http?: number; https?: number };
  proxyMode?: ProxyModeFlag;
  verbosity: number;
}): Promise<void> {
  const dataDir = resolve(options.dataDir ?? join(homedir(), '.skiff-agent'));
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const dataDirLock = await lockDataDir(dataDir);
  const logFile = join(dataDir, 'logs', 'skiff.log');
  const { log, format: logFormat } = await createCommandLogger({ format: options.logFormat, verbosity: options.verbosity, file: logFile });
  if (logFormat === 'text') process.stdout.write(`Log: ${logFile}\n`);
  const { CertificateRotation, machineAddress, runNodeAgent } = await import('../node/index.js');
  const name = options.name ?? hostname().toLowerCase().replace(/[^a-z0-9.-]/g, '-');
  const address = machineAddress();
  const stored = join(dataDir, 'node-credentials.json');
  let credentials: NodeCredentials;
  if (existsSync(stored)) {
    credentials = JSON.parse(readFileSync(stored, 'utf8')) as NodeCredentials;
  } else {
    if (!options.token) throw new Error(`no credentials in ${dataDir} yet: --token is needed to join`);
    // With --ca-cert-hash the server must prove it holds the pinned CA before the token is sent;
    // without it, trust on first use: everything afterwards verifies the server against the CA the answer brings.
    const pinnedCA = options.caCertHash ? await discoverPinnedCA(options.server, options.caCertHash) : undefined;
    if (!pinnedCA) process.stderr.write('warning: joining without --ca-cert-hash trusts the server on first use\n');
    const answer = await fetchJoin(options.server, { token: options.token, nodeName: name, addresses: [address, '127.0.0.1'] }, pinnedCA);
    credentials = answer;
    writeFileSync(stored, JSON.stringify(credentials), { mode: 0o600 });
  }
  const stop = new AbortController();
  setMaxListeners(0, stop.signal);
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  // The client certificate is renewed through CSRs before it expires; every client of the agent follows it.
  const clientCertificate = new RotatingClientCertificate(credentials.certPem, credentials.keyPem);
  const clientConfig = { server: options.server, caPem: credentials.caPem, certPem: credentials.certPem, keyPem: credentials.keyPem, rotatingCertificate: clientCertificate };
  const agentLog = (event: Record<string, unknown>) => log({ component: 'agent', msg: String(event.msg ?? ''), ...event });
  const { runtimeNeedsPodCIDR, startNodeRuntime } = await import('../node/runtime/index.js');
  const podCIDR = runtimeNeedsPodCIDR(options.runtime) ? await nodePodCIDR(clientConfig, { name, runtime: options.runtime, address, dataDir }, options, stop.signal, agentLog) : undefined;
  if (stop.signal.aborted) {
    dataDirLock.release();
    return;
  }
  const logs = podLogLayout(dataDir, options.podLogsDir);
  // Like the kubelet, a stopping agent leaves its containers running for the next one to adopt.
  const { runtime, isolated, agentOptions, afterStop } = await startNodeRuntime(options.runtime, nodeRuntimeOptions(options, { dataDir, address, podCIDR, name, logs, stopOnShutdown: false, signal: stop.signal, log: agentLog }));
  process.stdout.write(`node ${name} joining ${options.server} (${runtime.name} runtime)\n`);
  // The client certificate is renewed through CSRs before it expires; every client of the agent follows it.
  const rotationClient = new Client({ ...clientConfig, userAgent: `skiff-agent/${name}` });
  const rotation = new CertificateRotation({
    client: rotationClient,
    nodeName: name,
    certificate: clientCertificate,
    onRotated: (certPem, keyPem) => {
      credentials = { ...credentials, certPem, keyPem };
      writeFileSync(stored, JSON.stringify(credentials), { mode: 0o600 });
    },
    log: (event) => log({ component: 'certificate-rotation', msg: String(event.msg ?? ''), ...event }),
  }).run(stop.signal);
  // The serving certificate too, through a kubelet-serving CSR someone approves (as upstream's serverTLSBootstrap).
  const servingCertificate = new RotatingClientCertificate(credentials.servingCertPem, credentials.servingKeyPem);
  const servingRotation = new CertificateRotation({
    client: rotationClient,
    nodeName: name,
    certificate: servingCertificate,
    serving: { dnsNames: [name], ipAddresses: [address, '127.0.0.1'] },
    onRotated: (servingCertPem, servingKeyPem) => {
      credentials = { ...credentials, servingCertPem, servingKeyPem };
      writeFileSync(stored, JSON.stringify(credentials), { mode: 0o600 });
    },
    log: (event) => log({ component: 'certificate-rotation', msg: String(event.msg ?? ''), ...event }),
  }).run(stop.signal);
  const renewals = Promise.all([rotation, servingRotation]).finally(() => rotationClient.close());
  // The network components act as system:kube-proxy; credentials from before that act as the node.
  const networkConfig = credentials.proxyCertPem && credentials.proxyKeyPem ? { server: options.server, caPem: credentials.caPem, certPem: credentials.proxyCertPem, keyPem: credentials.proxyKeyPem } : clientConfig;
  const network = await startNodeNetwork(name, networkConfig, runtime, stop.signal, (event) => log({ component: 'network', msg: String(event.msg ?? ''), ...event }), {
    nodeIP: address,
    // The agent does not learn the server's --cluster-cidr yet: the default range.
    clusterCIDR: (await import('../controllers/nodeipam/cidr-set.js')).defaultClusterCIDR,
    ...options.ingressPorts,
    proxyMode: options.proxyMode,
  }, dataDir);
  const clusterDNS = network.clusterDNS;
  await runNodeAgent(clientConfig, stop.signal, {
    identity: { name, runtime: runtime.name, runtimeVersion: runtime.runtimeVersion, address, dataDir, ...(isolated ? { podCIDR } : {}), ...(network.annotations ? { annotations: network.annotations } : {}) },
    runtime,
    ...agentOptions,
    ...(options.imageGc ? { imageGc: options.imageGc } : {}),
    ...(options.sysctls ? { sysctls: options.sysctls } : {}),
    ...(runtime.capabilities.machine ? { logs } : {}),
    clusterDNS,
    ...(credentials.provisionerCertPem && credentials.provisionerKeyPem
      ? { provisionerConfig: { server: options.server, caPem: credentials.caPem, certPem: credentials.provisionerCertPem, keyPem: credentials.provisionerKeyPem } }
      : {}),
    serving: { certPem: credentials.servingCertPem, keyPem: credentials.servingKeyPem, caPem: credentials.caPem, rotating: servingCertificate },
    log: agentLog,
  });
  await network.stopped;
  await renewals;
  // Running pods keep their state for the next agent; with none left, nothing of this node stays in /run.
  await afterStop();
  dataDirLock.release();
}

/**
 * The pod range of a node with the process runtime: --pod-cidr, else (when
 * its pods get their own IPs) the range the node IPAM controller gives its
 * Node; undefined when pods share the host's network.
 */
async function nodePodCIDR(
  config: ClientConfig,
  identity: NodeIdentity,
  options: { podCIDR?: string; isolation?: 'auto' | 'none' },
  signal: AbortSignal,
  log: (event: Record<string, unknown>) => void,
): Promise<string | undefined> {
  if (options.podCIDR) return options.podCIDR;
  const { canIsolate } = await import('../node/runtime/process/runtime.js');
  if (options.isolation === 'none' || !canIsolate()) return undefined;
  const { waitForNodePodCIDR } = await import('./node-pod-cidr.js');
  // Stopped while waiting: the caller sees the signal and stops too.
  return waitForNodePodCIDR(config, identity, signal, log).catch((err: unknown) => {
    if (signal.aborted) return undefined;
    throw err;
  });
}

/** The join request, through the client like any other call to the apiserver (trusting the server on first use). */
async function fetchJoin(server: string, body: { token: string; nodeName: string; addresses: string[] }, caPem?: string): Promise<NodeCredentials> {
  const tls = caPem ? { caPem } : { insecureSkipTlsVerify: true };
  const client = new Client({ server, ...tls, userAgent: 'skiff-agent-join' }, { retries: 2, baseDelayMs: 200, maxDelayMs: 1000 });
  try {
    return await client.rest.request<NodeCredentials>('POST', '/skiff/v1/join', { body });
  } catch (err) {
    const code = (err as { code?: number }).code;
    throw new Error(`joining ${server} failed${code ? ` (${code})` : ''}: ${(err as Error).message}`);
  } finally {
    client.close();
  }
}

