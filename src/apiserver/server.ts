/**
 * The apiserver: HTTPS, authentication, routing of non-resource paths
 * (health, version, discovery, OpenAPI) and resource paths to the generic
 * handlers. It stores and serves objects; it runs no controller logic.
 */
import type { ResourceMetricsOptions } from './resource-metrics/service.js';
import { isTrueParameter } from '../machinery/query-params.js';
import type { KubeObject } from '../machinery/object.js';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from '../api/registry.js';
import { storageResourceOf, type ResourceType } from '../api/resource.js';
import type { Store } from '../storage/interface.js';
import { errors, StatusError } from '../machinery/status.js';
import { handleJoin, joinPath, type JoinOptions } from './join.js';
import { handleExecUpgrade } from './handlers/exec.js';
import { handleProxyUpgrade, isProxyUpgrade, refuseUpgrade } from './handlers/proxy.js';
import type { BoundObjectReader, ServiceAccountTokens } from './serviceaccount-tokens.js';
import { anonymousUser, authenticate, clientCertificateAuthenticator, presentedCredentials, type Authenticator, type UserInfo } from './authentication.js';
import { impersonate, wantsImpersonation } from './impersonation.js';
import type { AdmissionPlugin } from './admission/chain.js';
import { assembleAdmission, type AdmissionDependencies } from './admission/assemble.js';
import { selectAdmissionPlugins } from './admission/plugins.js';
import { parseTokenFile, tokenFileAuthenticator } from './authenticators/token-file.js';
import { loadValidationRules } from '../machinery/cel/on-demand.js';
import { apiAudience, issuer as serviceAccountIssuer } from './serviceaccount-tokens.js';
import { bootstrapTokenAuthenticator, checkBootstrapToken } from './authenticators/bootstrap-tokens.js';
import { readFileSync } from 'node:fs';
import { ApiServerMetrics, labelsOf } from './metrics/request-metrics.js';
import { alwaysAllow, alwaysDeny, AuthorizerChain, noRules, defaultAuthorizationModes, forbiddenError, type AuthorizationMode, type Authorizer } from './authorization/authorizer.js';
import { requestAttributes } from './authorization/attributes.js';
import { RbacAuthorizer } from './authorization/rbac.js';
import { authorizeNode, NodeGraphIndex, nodeRulesFor } from './authorization/node.js';
import { nodeRules } from '../api/rbac/bootstrap-policy/cluster-roles.js';
import type { RequestInfo } from './request-info.js';
import type { RequestAttributes } from '../api/rbac/authorize.js';
import {
  annotateAuthorization,
  auditIDFor,
  auditIDHeader,
  authenticationFailureMessage,
  beginRequestAudit,
  followResponse,
  logImpersonatedUser,
  sourceIPs,
  truncatedUserAgent,
  type AuditSink,
  type Policy as AuditPolicy,
  type RequestAudit,
} from './audit/index.js';
import { defaultWatcherLimits, type Clock, type RequestContext, type ServerContext, type StorageHooks, type WatcherLimits } from './context.js';
import { defaultHistoryLimits, type WatchCache, type WatchCacheHistoryLimits } from './watch-cache.js';
import { sendJson, sendStatus, toStatus } from './http.js';
import { parseResourcePath } from './request-info.js';
import { ResourceStorage, WatchCachePool } from './resource-storage.js';
import { CustomResourceServing } from './custom-resources.js';
import { handleResource } from './handlers/index.js';
import { versionInfo } from './version.js';
import { Compactor } from './compactor.js';
import { defaultMaxMutatingRequestsInFlight, defaultMaxRequestsInFlight, isLongRunning, isMutating, MaxInFlightLimit } from './max-in-flight.js';
import { armRequestTimeout, defaultMinRequestTimeoutSeconds, defaultRequestTimeoutMs, requestTimeoutMs, timeoutError } from './request-timeout.js';
import { ConnectionGuard, connectionCapFor, defaultHeaderTimeoutMs, defaultIdleTimeoutMs, defaultTlsHandshakeTimeoutMs } from './connections.js';
import { readDescriptorLimit } from './descriptor-limit.js';

/** A route for a non-resource document (discovery, OpenAPI): answers or passes. */
export type DocumentRoute = (
  path: string,
  search: URLSearchParams,
  accept: string | undefined,
  ifNoneMatch?: string,
) => DocumentRouteAnswer | undefined | Promise<DocumentRouteAnswer | undefined>;

export interface DocumentRouteAnswer {
  status: number;
  contentType: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

/**
 * What protects the server from clients that hold too much of it; each
 * defaults as kube-apiserver does (docs/api-server.md, "Limits and protections").
 */
export interface ServingLimits {
  /** --max-requests-inflight: read-only requests served at once (0: no limit). */
  maxRequestsInFlight?: number;
  /** --max-mutating-requests-inflight: mutating requests served at once (0: no limit). */
  maxMutatingRequestsInFlight?: number;
  /** --request-timeout: a request that is not long-running gets 504 after this. */
  requestTimeoutMs?: number;
  /** --min-request-timeout: a watch without timeoutSeconds ends after 1–2 times this. */
  minRequestTimeoutSeconds?: number;
  /** A TLS handshake not done by then closes the connection. */
  tlsHandshakeTimeoutMs?: number;
  /** A connection must send its request headers within this. */
  headerTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this. */
  idleTimeoutMs?: number;
  /** Open connections at most; by default derived from the descriptor limit, with headroom. */
  maxConnections?: number;
}

export interface ApiServerOptions {
  store: Store;
  registry: Registry;
  host: string;
  port: number;
  tls: { certPem: string; keyPem: string; caPem: string };
  clock?: Clock;
  authenticators?: Authenticator[];
  /** Issues and checks service account tokens (TokenRequest, Bearer tokens). */
  serviceAccountTokens?: ServiceAccountTokens;
  admissionPlugins?: AdmissionPlugin[];
  hooks?: Map<ResourceType, StorageHooks> | ((type: ResourceType) => StorageHooks | undefined);
  documentRoutes?: DocumentRoute[];
  bookmarkIntervalMs?: number;
  /** Bounds of each watch cache's event window and of each watcher's queue (defaults: docs/api-server.md, "Limits and protections"). */
  watchLimits?: { history?: Partial<WatchCacheHistoryLimits>; watcher?: Partial<WatcherLimits> };
  /** How often storage history is compacted (default five minutes, as upstream). */
  compactionIntervalMs?: number;
  log?: (event: Record<string, unknown>) => void;
  /** The client certificate to present to node agents (kubectl logs). */
  nodeClient?: { caPem: string; certPem: string; keyPem: string };
  /** Lets node agents join with a token (`skiff agent --server … --token …`). */
  join?: JoinOptions;
  limits?: ServingLimits;
  /** --authorization-mode: the authorizers asked in order (default Node,RBAC). */
  authorizationModes?: AuthorizationMode[];
  /** --token-auth-file: a CSV of static tokens, read at start. */
  tokenAuthFile?: string;
  /** Bootstrap tokens (Secrets in kube-system) authenticate, as --enable-bootstrap-token-auth. */
  bootstrapTokenAuth?: boolean;
  /** How metrics.k8s.io scrapes the node agents (metrics-server's --metric-resolution and the rest); defaults when absent. */
  resourceMetrics?: ResourceMetricsOptions;
  /** --authentication-config: an AuthenticationConfiguration with JWT issuers (OIDC users). */
  authenticationConfig?: string;
  /** Audit logging: the policy, and where events go (--audit-policy-file, --audit-log-path). */
  audit?: { policy: AuditPolicy; sink: AuditSink };
  /** --enable-admission-plugins / --disable-admission-plugins, on top of the defaults; plugins' settings. */
  admission?: { enable?: string[]; disable?: string[]; podSecurity?: AdmissionDependencies['podSecurity'] };
}

/** Whether a kind's objects are stored: reviews (answered, never kept) and computed kinds (metrics.k8s.io) are not. */
function isStored(type: ResourceType): boolean {
  return !type.review && !type.computed;
}

export class ApiServer {
  private server: https.Server | undefined;
  private readonly pool: WatchCachePool;
  private readonly storages = new Map<ResourceType, ResourceStorage>();
  private readonly shutdownCallbacks = new Set<() => void>();
  private readonly compactor: Compactor;
  /** Keeps the registry in step with the stored CustomResourceDefinitions. */
  private readonly customResources: CustomResourceServing;
  private customResourcesStarted = false;
  private connections: ConnectionGuard | undefined;
  /** Seats for requests being served (429 when none is free). */
  readonly inFlight: MaxInFlightLimit;
  private readonly requestTimeoutMs: number;
  readonly context: ServerContext;
  private ready = false;
  port = 0;
  /** apiserver_* metrics, served at /metrics. */
  readonly metrics: ApiServerMetrics;
  /** The started watch caches by storage resource, for synchronous reads (cachedObjects). */
  private readonly primedCaches = new Map<string, WatchCache>();
  /** Who may do what: the chain of --authorization-mode, built once the policy caches are primed. */
  private authorizer: Authorizer = alwaysDeny;
  /** The RBAC authorizer, when RBAC is a mode (reviews list its rules). */
  private rbac: RbacAuthorizer | undefined;

  /** Who a request is: client certificates, then the given authenticators, then service account tokens. */
  private readonly authenticators: Authenticator[];
  private jwtStarted = false;

  /** Reading one resource's stored objects (undefined / none when the resource is not served). */
  private objects(group: string, version: string, resource: string) {
    const type = () => this.options.registry.find(group, version, resource);
    return {
      get: async (namespace: string | undefined, name: string): Promise<KubeObject | undefined> => {
        const found = type();
        return found ? this.storageFor(found).get(namespace, name).then((r) => r.object, () => undefined) : undefined;
      },
      list: async (): Promise<KubeObject[]> => {
        const found = type();
        return found ? this.storageFor(found).listCurrent() : [];
      },
    };
  }

  constructor(private readonly options: ApiServerOptions) {
    this.metrics = new ApiServerMetrics({ inFlight: () => this.inFlight.inFlight(), storedObjects: () => this.storedObjectCounts(), storage: { sizeBytes: () => options.store.sizeBytes?.() } });
    this.pool = new WatchCachePool(options.store, { ...defaultHistoryLimits, ...options.watchLimits?.history }, this.metrics.storageLayer);
    const limits = options.limits ?? {};
    this.inFlight = new MaxInFlightLimit(limits.maxRequestsInFlight ?? defaultMaxRequestsInFlight, limits.maxMutatingRequestsInFlight ?? defaultMaxMutatingRequestsInFlight);
    this.requestTimeoutMs = limits.requestTimeoutMs ?? defaultRequestTimeoutMs;
    // What admission and authentication read: from the watch caches, synced with storage before each read.
    const serviceAccounts = this.objects('', 'v1', 'serviceaccounts');
    // What a service account token names: its account and the pod, secret or node it is bound to.
    const tokenObjects = { ServiceAccount: serviceAccounts, Pod: this.objects('', 'v1', 'pods'), Secret: this.objects('', 'v1', 'secrets'), Node: this.objects('', 'v1', 'nodes') };
    const readTokenObject: BoundObjectReader = async (kind, namespace, name) => (await tokenObjects[kind].get(namespace, name))?.metadata;
    const now = () => (options.clock ?? { now: () => new Date() }).now();
    const secrets = this.objects('', 'v1', 'secrets');
    this.authenticators = [
      clientCertificateAuthenticator,
      ...(options.tokenAuthFile ? [tokenFileAuthenticator(parseTokenFile(readFileSync(options.tokenAuthFile, 'utf8'), options.tokenAuthFile))] : []),
      ...(options.bootstrapTokenAuth ? [bootstrapTokenAuthenticator((namespace, name) => secrets.get(namespace, name), now, (why) => this.log({ msg: 'bootstrap token rejected', v: 2, why }))] : []),
      ...(options.authenticators ?? []),
      ...(options.serviceAccountTokens
        ? [options.serviceAccountTokens.authenticator(readTokenObject, () => (options.clock ?? { now: () => new Date() }).now(), (why) => this.log({ msg: 'service account token rejected', v: 4, why }))]
        : []),
    ];
    const services = this.objects('', 'v1', 'services');
    // A conversion webhook's Service is reached at its ClusterIP, as kube-apiserver reaches it by default.
    const resolveService = async (namespace: string, name: string, port: number) => {
      const service = (await services.get(namespace, name)) as { spec?: { clusterIP?: string; ports?: { port: number }[] } } | undefined;
      const clusterIP = service?.spec?.clusterIP;
      if (!clusterIP || clusterIP === 'None' || !(service?.spec?.ports ?? []).some((p) => p.port === port)) return undefined;
      return { host: clusterIP, port };
    };
    this.customResources = new CustomResourceServing(options.registry, (event) => this.log(event), (types, deleted) => this.retireCustomTypes(types, deleted), resolveService);
    this.compactor = new Compactor(options.store, options.compactionIntervalMs, (err) => this.log({ msg: 'compaction failed', error: err.message }));
    const hooks = options.hooks;
    this.context = {
      registry: options.registry,
      storageFor: (type) => this.storageFor(type),
      admission: assembleAdmission(selectAdmissionPlugins(options.admission?.enable, options.admission?.disable), {
        objects: (group, version, resource) => this.objects(group, version, resource),
        cached: (group, version, resource) => () => this.cachedObjects(group, version, resource),
        resolveService,
        resourceTypes: () => options.registry.all(),
        onClose: (close) => this.shutdownCallbacks.add(close),
        objectsOfType: (type, namespace) => this.storageFor(type).listCurrent(namespace),
        authorize: async (attributes, user) => this.authorizer.authorize(attributes, { name: user.name, groups: user.groups }),
        podSecurity: options.admission?.podSecurity,
        updateQuotaStatus: (quota, used) => this.updateQuotaStatus(quota, used),
        escalation: {
          allowed: async (attributes, user) => (await this.authorizer.authorize(attributes, user)).decision === 'allow',
          rulesFor: async (user, namespace) => {
            // Without RBAC there is nothing to escalate past: every permission counts as held.
            if (!this.rbac) return { rules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }], missing: [] };
            await this.rbac.sync();
            return this.rbac.policy().rulesFor(user, namespace || undefined);
          },
          roleRules: async (roleRef, namespace) => {
            await this.rbac?.sync();
            const rules = this.rbac?.policy().rulesOf({ metadata: { namespace }, roleRef });
            if (!rules) throw errors.notFound('rbac.authorization.k8s.io', roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles', roleRef.name);
            return rules;
          },
        },
      }, options.admissionPlugins),
      hooksFor: (type) => (typeof hooks === 'function' ? hooks(type) : hooks?.get(type)),
      clock: options.clock ?? { now: () => new Date() },
      bookmarkIntervalMs: options.bookmarkIntervalMs ?? 60_000,
      minRequestTimeoutSeconds: limits.minRequestTimeoutSeconds ?? defaultMinRequestTimeoutSeconds,
      watchers: { limits: { ...defaultWatcherLimits, ...options.watchLimits?.watcher }, counters: { open: 0, terminated: 0 } },
      log: (event) => this.log(event),
      nodeClient: options.nodeClient,
      serviceAccountTokens: options.serviceAccountTokens,
      access: {
        authorize: async (attributes, user) => this.authorizer.authorize(attributes, { name: user.name, groups: user.groups }),
        rules: async (user, namespace) => {
          const rules = (await this.authorizer.rulesFor?.({ name: user.name, groups: user.groups }, namespace)) ?? noRules();
          return { resourceRules: rules.resourceRules, nonResourceRules: rules.nonResourceRules, incomplete: rules.incomplete, ...(rules.errors.length ? { evaluationError: rules.errors.join(', ') } : {}) };
        },
      },
      tokens: {
        audiences: [apiAudience],
        // Only the token authenticators: a review carries a token, never a client certificate.
        authenticate: (token) => authenticate({ headers: { authorization: `Bearer ${token}` }, socket: {} } as IncomingMessage, this.authenticators.filter((a) => a !== clientCertificateAuthenticator)),
      },
      resourceMetrics: options.resourceMetrics,
      onShutdown: (callback) => {
        this.shutdownCallbacks.add(callback);
        return () => this.shutdownCallbacks.delete(callback);
      },
    };
  }

  storageFor(type: ResourceType): ResourceStorage {
    let storage = this.storages.get(type);
    if (!storage) {
      storage = new ResourceStorage(type, this.options.store, this.pool, this.metrics.storageLayer);
      this.storages.set(type, storage);
    }
    return storage;
  }

  /** Primes every watch cache, then listens. */
  async start(): Promise<number> {
    await this.prime();
    return this.listen();
  }

  /** Loads every resource's watch cache from storage, and serves what the stored CRDs define. */
  async prime(): Promise<void> {
    await this.startJwtAuthenticators();
    await Promise.all(this.options.registry.all().filter(isStored).map(async (type) => this.primedCaches.set(storageResourceOf(type), await this.storageFor(type).cache())));
    await this.startAuthorization();
    const definitions = this.options.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions');
    if (definitions && !this.customResourcesStarted) {
      this.customResourcesStarted = true;
      const stored = await this.storageFor(definitions).cache();
      // Custom resources may have CEL rules, validated synchronously: CEL is loaded before they are served.
      if (stored.size() > 0) await loadValidationRules();
      await this.customResources.start(stored);
      await Promise.all(this.options.registry.all().filter(isStored).map((type) => this.storageFor(type).cache()));
    }
  }

  /** Builds the authorizer chain of --authorization-mode over the primed caches. */
  private async startAuthorization(): Promise<void> {
    if (this.authorizer !== alwaysDeny) return;
    const modes = this.options.authorizationModes ?? defaultAuthorizationModes;
    const cacheOf = async (resource: string) => {
      const type = this.options.registry.find('rbac.authorization.k8s.io', 'v1', resource);
      if (!type) throw new Error(`RBAC authorization needs rbac.authorization.k8s.io/v1 ${resource}`);
      return this.storageFor(type).cache();
    };
    const authorizers: Authorizer[] = [];
    for (const mode of modes) {
      if (mode === 'AlwaysAllow') authorizers.push(alwaysAllow);
      else if (mode === 'AlwaysDeny') authorizers.push(alwaysDeny);
      else if (mode === 'Node') authorizers.push(await this.nodeAuthorizer());
      else if (mode === 'RBAC') {
        const [roles, clusterRoles, roleBindings, clusterRoleBindings] = await Promise.all(['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'].map(cacheOf));
        this.rbac = await RbacAuthorizer.over({ roles, clusterRoles, roleBindings, clusterRoleBindings });
        authorizers.push(this.rbac);
      }
    }
    this.authorizer = new AuthorizerChain(authorizers);
  }

  /**
   * A resource's objects as its watch cache holds them now, synchronously
   * (what admission reads for every request: webhook configurations,
   * policies); empty before the caches are primed.
   */
  private cachedObjects(group: string, version: string, resource: string): readonly KubeObject[] {
    const type = this.options.registry.find(group, version, resource);
    const cache = type && this.primedCaches.get(storageResourceOf(type));
    return cache ? cache.list().map((entry) => entry.object) : [];
  }

  /**
   * JWT issuers of --authentication-config (never the service account
   * issuer, as upstream), after the other authenticators. Their module (and
   * CEL, for claim mappings) loads only when the flag is given.
   */
  private async startJwtAuthenticators(): Promise<void> {
    if (!this.options.authenticationConfig || this.jwtStarted) return;
    this.jwtStarted = true;
    const { jwtAuthenticator, loadAuthenticationConfigurationFile } = await import('./authenticators/jwt/index.js');
    const config = loadAuthenticationConfigurationFile(this.options.authenticationConfig, { disallowedIssuers: [serviceAccountIssuer] });
    const jwt = jwtAuthenticator(config, { log: (event) => this.log({ component: 'jwt-authenticator', ...event }) });
    this.shutdownCallbacks.add(() => jwt.close());
    this.authenticators.push(jwt.authenticator);
  }

  /** Objects stored per resource (`pods`, `deployments.apps`), from the watch caches, for apiserver_storage_objects. */
  private storedObjectCounts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const type of this.options.registry.all().filter(isStored)) {
      const cache = this.primedCaches.get(storageResourceOf(type));
      if (cache) counts.set(type.group ? `${type.resource}.${type.group}` : type.resource, cache.size());
    }
    return counts;
  }

  /** ResourceQuota admission's write of a quota's usage: a compare-and-swap on the revision it read. */
  private async updateQuotaStatus(quota: KubeObject, used: Record<string, string>): Promise<'ok' | 'conflict'> {
    const type = this.options.registry.find('', 'v1', 'resourcequotas')!;
    const next = structuredClone(quota) as KubeObject & { status?: Record<string, unknown> };
    next.status = { ...next.status, used };
    try {
      await this.storageFor(type).update(next, Number(quota.metadata.resourceVersion));
      return 'ok';
    } catch (err) {
      if (err instanceof StatusError && err.code === 409) return 'conflict';
      throw err;
    }
  }

  /** Whether a bootstrap token is valid for joining (authentication usage), as kubeadm's join tokens are. */
  private async acceptsBootstrapToken(token: string): Promise<boolean> {
    const secrets = this.objects('', 'v1', 'secrets');
    const { user } = await checkBootstrapToken(token, (namespace, name) => secrets.get(namespace, name), this.context.clock.now());
    return user !== undefined;
  }

  /** The Node authorizer over the pods (and their volumes) in the watch caches. */
  private async nodeAuthorizer(): Promise<Authorizer> {
    const cacheOf = async (group: string, resource: string) => {
      const type = this.options.registry.find(group, 'v1', resource);
      return type ? { cache: await this.storageFor(type).cache(), storage: this.storageFor(type) } : undefined;
    };
    const [pods, claims, volumes, attachments] = await Promise.all([
      cacheOf('', 'pods'),
      cacheOf('', 'persistentvolumeclaims'),
      cacheOf('', 'persistentvolumes'),
      cacheOf('storage.k8s.io', 'volumeattachments'),
    ]);
    // The graph is rebuilt on the first question after a pod changed.
    let revision = 0;
    await pods?.cache.subscribe(pods.cache.revision, () => revision++);
    const lookup = (source: typeof claims, namespace: string | undefined, name: string) => source?.cache.get(source.storage.keyFor(namespace, name))?.object;
    const graph = new NodeGraphIndex({
      pods: () => (pods?.cache.list() ?? []).map((entry) => entry.object),
      revision: () => revision,
      pvc: (namespace, name) => lookup(claims, namespace, name),
      pv: (name) => lookup(volumes, undefined, name),
      volumeAttachment: (name) => lookup(attachments, undefined, name),
    });
    const rules = nodeRules();
    return { name: 'Node', authorize: (attributes, user) => authorizeNode(attributes, user, graph, rules), rulesFor: nodeRulesFor };
  }

  /** Who sent the request: a 401 when credentials were presented and none fit, anonymous without any. */
  private async authenticateRequest(req: IncomingMessage): Promise<UserInfo> {
    const requester = await authenticate(req, this.authenticators);
    if (requester) return requester;
    if (presentedCredentials(req)) throw errors.unauthorized();
    return anonymousUser;
  }

  /**
   * Authentication, audit and impersonation, as upstream's filter chain
   * orders them: the audit event starts with the authenticated user (a
   * failed authentication is recorded alone), then impersonation is checked.
   */
  private async admitRequester(req: IncomingMessage, attributes: RequestAttributes, info: RequestInfo | undefined, auditID: string | undefined): Promise<{ user: UserInfo; audit?: RequestAudit }> {
    let requester: UserInfo;
    try {
      requester = await this.authenticateRequest(req);
    } catch (err) {
      if (auditID) await (await this.beginAudit(req, attributes, info, auditID, undefined))?.authenticationFailed(authenticationFailureMessage(req));
      throw err;
    }
    const audit = auditID ? await this.beginAudit(req, attributes, info, auditID, requester) : undefined;
    const user = wantsImpersonation(req) ? await impersonate(req, requester, this.authorizer) : requester;
    if (audit && user !== requester) logImpersonatedUser(audit.event, user);
    return { user, audit };
  }

  /** The request's audit event (undefined when the policy records nothing); RequestReceived is written before it is served. */
  private async beginAudit(req: IncomingMessage, attributes: RequestAttributes, info: RequestInfo | undefined, auditID: string, requester: UserInfo | undefined): Promise<RequestAudit | undefined> {
    const audit = this.options.audit;
    if (!audit) return undefined;
    const begun = beginRequestAudit({
      policy: audit.policy,
      sink: audit.sink,
      attributes: { ...attributes, ...(requester ? { user: { username: requester.username, groups: requester.groups } } : {}) },
      user: requester,
      auditID,
      requestURI: req.url ?? '/',
      userAgent: truncatedUserAgent(req.headers['user-agent']),
      sourceIPs: sourceIPs(req.headers, req.socket.remoteAddress),
      longRunning: isLongRunning(info),
    });
    if (begun && requester && !(await begun.requestReceived())) throw errors.internal('failed to store audit event');
    return begun;
  }

  private async authorizeRequest(attributes: RequestAttributes, path: string, info: RequestInfo | undefined, user: UserInfo, audit: RequestAudit | undefined): Promise<void> {
    const who = { name: user.username, groups: user.groups };
    let answer = await this.authorizer.authorize(attributes, who);
    // Streaming into a pod (exec, attach, port-forward) opened with a GET also needs `create`, as upstream since v1.31.
    if (answer.decision === 'allow' && info?.verb === 'get' && info.resource === 'pods' && ['exec', 'attach', 'portforward'].includes(info.subresource ?? '')) {
      answer = await this.authorizer.authorize({ ...attributes, verb: 'create' }, who);
      if (answer.decision !== 'allow') attributes = { ...attributes, verb: 'create' };
    }
    if (audit) annotateAuthorization(audit.event, answer.decision, answer.reason);
    if (answer.decision !== 'allow') {
      // A component refused is a missing permission in the default policy (or a misbehaving node): always said; a user refused at -v 3.
      const component = /^system:(?!anonymous$|serviceaccount:(?!kube-system:))/.test(user.username);
      this.log({ msg: component ? 'component request forbidden' : 'forbidden', v: component ? 0 : 3, user: user.username, verb: attributes.verb, resource: attributes.resource, subresource: attributes.subresource, namespace: attributes.namespace, name: attributes.name, path: attributes.resourceRequest ? undefined : path });
      throw forbiddenError(attributes, who, answer.reason);
    }
  }

  /** A CRD's types left the registry: their storage handles go, and with the CRD its objects' cache. */
  private retireCustomTypes(types: ResourceType[], definitionDeleted: boolean): void {
    for (const type of types) {
      this.storages.delete(type);
      // The cache is the prefix's, whichever description of the kind opened it.
      if (definitionDeleted) this.pool.drop(`/registry/${storageResourceOf(type)}/`);
    }
  }

  async listen(): Promise<number> {
    this.compactor.start();
    const { tls } = this.options;
    this.server = https.createServer(
      // The CA goes with the serving certificate, so a joining node can check it against its pinned hash.
      // TCP keep-alive probes every three minutes find peers that vanished, as upstream's listener does.
      { cert: `${tls.certPem.trim()}\n${tls.caPem.trim()}\n`, key: tls.keyPem, ca: tls.caPem, requestCert: true, rejectUnauthorized: false, keepAlive: true, keepAliveInitialDelay: 180_000 },
      (req, res) => void this.handle(req, res),
    );
    // Streaming subresources (kubectl exec) arrive as WebSocket upgrades.
    this.server.on('upgrade', (req, socket, head) => void this.handleUpgrade(req, socket, head));
    this.connections = new ConnectionGuard(this.server, this.connectionLimits(), (event) => this.log(event));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => resolve());
    });
    this.port = (this.server.address() as AddressInfo).port;
    return this.port;
  }

  private connectionLimits() {
    const limits = this.options.limits ?? {};
    const descriptors = readDescriptorLimit();
    const maxConnections = limits.maxConnections ?? (descriptors ? connectionCapFor(descriptors.soft) : 0);
    if (!limits.maxConnections) this.log({ msg: 'connection cap', v: 1, maxConnections, descriptorLimit: descriptors?.soft });
    return {
      maxConnections,
      tlsHandshakeTimeoutMs: limits.tlsHandshakeTimeoutMs ?? defaultTlsHandshakeTimeoutMs,
      headerTimeoutMs: limits.headerTimeoutMs ?? defaultHeaderTimeoutMs,
      idleTimeoutMs: limits.idleTimeoutMs ?? defaultIdleTimeoutMs,
    };
  }

  /** Open client connections now, and how many were closed to make room for new ones. */
  connectionStats(): { open: number; evicted: number } {
    return { open: this.connections?.open ?? 0, evicted: this.connections?.evicted ?? 0 };
  }

  /** Marks the server ready (after bootstrap objects exist): /readyz answers ok. */
  setReady(): void {
    this.ready = true;
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.compactor.stop();
    this.customResources.stop();
    this.connections?.stop();
    for (const callback of [...this.shutdownCallbacks]) callback();
    if (this.server) {
      const server = this.server;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Requests in flight may finish and leave keep-alive connections open:
        // keep closing the idle ones, and after a grace period cut the rest.
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const deadline = setTimeout(() => server.closeAllConnections(), 5000);
        server.once('close', () => {
          clearInterval(sweep);
          clearTimeout(deadline);
        });
        server.closeIdleConnections();
      });
    }
    await this.pool.stop();
  }

  private log(event: Record<string, unknown>): void {
    this.options.log?.({ component: 'apiserver', ...event });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now();
    // The in-flight seat goes back when the handler is done or the response is over, whichever comes
    // first: a handler still running after its 504 must not keep a seat from everyone else.
    let release = () => {};
    res.once('close', () => release());
    try {
      const url = new URL(req.url ?? '/', 'https://skiff');
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const info = parseResourcePath(req.method ?? 'GET', path, isTrueParameter(url.searchParams.get('watch')));
      // As upstream's filter chain: the deadline first (it covers authentication), then authentication, then the seat.
      if (!isLongRunning(info)) {
        armRequestTimeout(res, requestTimeoutMs(url, this.requestTimeoutMs), () => timeoutError(isMutating(req, info)), () =>
          this.log({ msg: 'request timed out', v: 2, method: req.method, url: req.url }),
        );
      }
      // Joining is how a node gets a certificate, so it cannot require one: the token is its credential.
      if (path === joinPath) {
        release = this.inFlight.acquire(req, path, undefined, anonymousUser);
        const join = this.options.join;
        return await handleJoin(req, res, join && this.options.bootstrapTokenAuth ? { ...join, acceptsToken: (token) => this.acceptsBootstrapToken(token) } : join);
      }
      const attributes = requestAttributes(req.method ?? 'GET', path, url.searchParams, info);
      this.measure(req, res, info, url, path, started);
      const auditID = this.options.audit ? auditIDFor(req.headers) : undefined;
      if (auditID) res.setHeader(auditIDHeader, auditID);
      const { user, audit } = await this.admitRequester(req, attributes, info, auditID);
      if (audit) followResponse(audit, res);
      release = this.inFlight.acquire(req, path, info, user);
      await this.authorizeRequest(attributes, path, info, user, audit);
      if (await this.handleNonResource(req, res, path, url)) return;
      const type = info && this.options.registry.find(info.group, info.version, info.resource);
      if (!info || !type) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
      const ctx: RequestContext = { req, res, url, info, type, storage: this.storageFor(type), user, server: this.context, audit };
      await handleResource(ctx);
    } catch (err) {
      const status = toStatus(err);
      if (status.code >= 500) this.log({ msg: 'request failed', method: req.method, url: req.url, error: err instanceof Error ? err.stack : String(err) });
      sendStatus(res, status);
    } finally {
      release();
      this.log({ msg: 'request', v: 4, method: req.method, url: req.url, code: res.statusCode, ms: Date.now() - started });
    }
  }

  /** Streaming subresources (kubectl exec, port-forward) and WebSockets through proxies arrive as upgrades. */
  private async handleUpgrade(req: IncomingMessage, socket: import('node:stream').Duplex, head: Buffer): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://skiff');
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      const info = parseResourcePath(req.method ?? 'GET', path, false);
      const attributes = requestAttributes(req.method ?? 'GET', path, url.searchParams, info);
      const { user, audit } = await this.admitRequester(req, attributes, info, this.options.audit ? auditIDFor(req.headers) : undefined);
      if (audit) {
        // The connection is handed over once authorized: its 101 (or refusal) starts the response, its close ends it.
        socket.once('close', () => void audit.responseComplete());
      }
      await this.authorizeRequest(attributes, path, info, user, audit);
      void audit?.responseStarted(101);
      // WebSockets through pods/services/nodes proxy (kubectl proxy) are joined to their target.
      if (isProxyUpgrade(req)) return await handleProxyUpgrade(req, socket, head, this.context);
      if (!(await handleExecUpgrade(req, socket, head, this.context))) socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    } catch (err) {
      const status = toStatus(err);
      if (status.code >= 500) this.log({ msg: 'upgrade failed', path: req.url, error: err instanceof Error ? err.message : String(err) });
      if (socket.writable) refuseUpgrade(socket, status);
      else socket.destroy();
    }
  }

  /** Counts and times the request when its response is over (a long-running one is also gauged while open). */
  private measure(req: IncomingMessage, res: ServerResponse, info: RequestInfo | undefined, url: URL, path: string, started: number): void {
    const labels = labelsOf(req.method ?? 'GET', info, req.headers['content-type'], url.searchParams.get('dryRun') === 'All', path);
    const longRunning = isLongRunning(info);
    const endLongRunning = longRunning ? this.metrics.startLongRunning(labels) : undefined;
    res.once('close', () => {
      endLongRunning?.();
      this.metrics.observe(labels, res.statusCode, (Date.now() - started) / 1000, longRunning);
    });
  }

  private async handleNonResource(req: IncomingMessage, res: ServerResponse, path: string, url: URL): Promise<boolean> {
    switch (path) {
      case '/metrics': {
        const { contentType, body } = await this.metrics.text();
        res.writeHead(200, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) }).end(body);
        return true;
      }
      case '/healthz':
      case '/livez':
        res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' }).end('ok');
        return true;
      case '/readyz': {
        // As upstream's: named checks, listed with ?verbose (and always when one fails); `etcd` is the store's.
        const storage = await this.options.store.currentRevision().then(
          () => undefined,
          (err: Error) => err.message,
        );
        const checks: [string, string | undefined][] = [
          ['ping', undefined],
          ['etcd', storage],
          ['skiff-bootstrap', this.ready ? undefined : 'not finished'],
        ];
        const failed = checks.some(([, problem]) => problem !== undefined);
        const lines = checks.map(([name, problem]) => (problem === undefined ? `[+]${name} ok` : `[-]${name} failed: ${problem}`));
        const text = failed ? `${lines.join('\n')}\nreadyz check failed` : url.searchParams.has('verbose') ? `${lines.join('\n')}\nreadyz check passed` : 'ok';
        res.writeHead(failed ? 500 : 200, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
        return true;
      }
      case '/version':
        sendJson(res, 200, versionInfo());
        return true;
    }
    for (const route of this.options.documentRoutes ?? []) {
      const answer = await route(path, url.searchParams, req.headers.accept, req.headers['if-none-match']);
      if (answer) {
        const body = typeof answer.body === 'string' ? answer.body : Buffer.from(answer.body);
        res.writeHead(answer.status, { 'Content-Type': answer.contentType, 'Content-Length': Buffer.byteLength(body), ...answer.headers });
        res.end(body);
        return true;
      }
    }
    return false;
  }
}
