/**
 * What a handler needs to serve one resource request: the parsed request, the
 * resource's type and storage, who is asking, and the server-wide services.
 */
import type { ResourceMetricsOptions } from './resource-metrics/service.js';
import { isTrueParameter } from '../machinery/query-params.js';
import type { ServiceAccountTokens } from './serviceaccount-tokens.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from '../api/registry.js';
import type { AccessReviewer, ResourceType, ReviewContext } from '../api/resource.js';
import type { KubeObject } from '../machinery/object.js';
import type { RequestInfo } from './request-info.js';
import type { ResourceStorage } from './resource-storage.js';
import type { AdmissionChain } from './admission/chain.js';
import type { UserInfo } from './authentication.js';
import type { RequestAudit } from './audit/stages.js';
import { errors } from '../machinery/status.js';

export interface Clock {
  now(): Date;
}

/** Per-resource hooks for stateful behaviour that lives in the apiserver (IP and port allocation). */
export interface StorageHooks {
  /** Before validation of a create; may fill fields (e.g. spec.clusterIP). Returns an undo for failed creates. */
  beforeCreate?(object: KubeObject, dryRun: boolean): Promise<(() => void) | void> | (() => void) | void;
  beforeUpdate?(object: KubeObject, old: KubeObject, dryRun: boolean): Promise<(() => void) | void> | (() => void) | void;
  afterDelete?(object: KubeObject): void;
}

/**
 * How far one watcher may fall behind before it is closed: events it has not
 * yet taken, counted and summed by their objects' JSON size. (Upstream closes a
 * watcher whose channel stays full; its client re-watches, as after any drop.)
 */
export interface WatcherLimits {
  queuedEvents: number;
  queuedBytes: number;
}

export const defaultWatcherLimits: WatcherLimits = { queuedEvents: 10_000, queuedBytes: 10 * 1024 * 1024 };

export interface ServerContext {
  registry: Registry;
  storageFor(type: ResourceType): ResourceStorage;
  admission: AdmissionChain;
  hooksFor(type: ResourceType): StorageHooks | undefined;
  clock: Clock;
  /** How often watches without events get a BOOKMARK, when asked for (upstream: about a minute). */
  bookmarkIntervalMs: number;
  /** Upstream's --min-request-timeout: a watch without timeoutSeconds ends after 1–2 times this many seconds. */
  minRequestTimeoutSeconds: number;
  /** Bounds of every watcher, and counts of watches open and closed for not keeping up. */
  watchers: { limits: WatcherLimits; counters: { open: number; terminated: number } };
  log?(event: Record<string, unknown>): void;
  /** Registers a callback run when the server shuts down (ends open watches). */
  onShutdown?(callback: () => void): () => void;
  /** The client certificate the apiserver shows node agents (for `pods/log`); without it, logs are not served. */
  nodeClient?: { caPem: string; certPem: string; keyPem: string };
  /** Signs service account tokens (TokenRequest); without it, none are issued. */
  serviceAccountTokens?: ServiceAccountTokens;
  /** The authorizers, as the access reviews ask them. */
  access: AccessReviewer;
  /** The token authenticators, as TokenReview asks them. */
  tokens: NonNullable<ReviewContext['tokens']>;
  /** How metrics.k8s.io scrapes node agents; the scraper is loaded and made on the first read (resource-metrics/). */
  resourceMetrics?: ResourceMetricsOptions;
}

export interface RequestContext {
  /** The request's audit event, when the audit policy records it. */
  audit?: RequestAudit;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  info: RequestInfo;
  type: ResourceType;
  storage: ResourceStorage;
  user: UserInfo;
  server: ServerContext;
}

export { timestamp } from '../machinery/time.js';

export function query(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.url.searchParams.get(name);
  return value === null ? undefined : value;
}

/**
 * A boolean query parameter as upstream's parameter codec reads it: absent,
 * "false" (any case) and "0" are false; anything else, even "", is true.
 */
export function queryBool(ctx: RequestContext, name: string): boolean {
  return isTrueParameter(query(ctx, name));
}

/**
 * An integer query parameter (limit, timeoutSeconds, gracePeriodSeconds) as
 * upstream's parameter codec reads it with strconv.ParseInt: absent is
 * undefined; anything that is not a base-10 integer is a 400 with Go's message.
 */
export function queryInt(ctx: RequestContext, name: string): number | undefined {
  const value = query(ctx, name);
  if (value === undefined) return undefined;
  if (!/^[+-]?\d+$/.test(value)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: invalid syntax`);
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw errors.badRequest(`strconv.ParseInt: parsing ${JSON.stringify(value)}: value out of range`);
  return parsed;
}

export function isDryRun(ctx: RequestContext): boolean {
  return ctx.url.searchParams.getAll('dryRun').includes('All');
}
