/**
 * A client for one resource: the verbs of the Kubernetes API on
 * `/api/v1/…` or `/apis/<group>/<version>/…`. Typed when built from a
 * built-in ResourceType (`client.resource(deployments)` gives Deployments),
 * dynamic when built from a plain description of any resource.
 */
import type { KubeList, KubeObject } from '../machinery/object.js';
import { StatusError, isStatusError } from '../machinery/status.js';
import type { RestClient } from './rest.js';

/** What a client needs to know of a resource to address it. */
export interface ResourceRef {
  group: string;
  version: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

/** Every verb may be cut short: a reconcile hands on its term's signal, so a term that ends stops its requests. */
export interface RequestScope {
  signal?: AbortSignal;
}

export interface ListOptions extends RequestScope {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: string;
}

export interface WatchOptions {
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
}

export interface WriteOptions extends RequestScope {
  dryRun?: boolean;
  fieldManager?: string;
}

/** Server-side apply: the manager is required; `force` takes over fields other managers own. */
export interface ApplyOptions extends RequestScope {
  fieldManager: string;
  force?: boolean;
  dryRun?: boolean;
  /** `status` to apply a status (the main resource ignores it for kinds with a status subresource). */
  subresource?: string;
}

export interface DeleteOptions extends RequestScope {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: WatchEventType;
  object: T;
}

export interface WatchHandle {
  /** Resolves when the server ends the stream (timeout) or the signal aborts; rejects on errors (410 Gone included). */
  done: Promise<void>;
}

export class ResourceClient<T extends KubeObject = KubeObject> {
  constructor(
    readonly rest: RestClient,
    readonly ref: ResourceRef,
  ) {}

  get apiVersion(): string {
    return this.ref.group ? `${this.ref.group}/${this.ref.version}` : this.ref.version;
  }

  /** `/apis/apps/v1/namespaces/default/deployments/web/status` and its shorter forms. */
  path(namespace?: string, name?: string, subresource?: string): string {
    const root = this.ref.group ? `/apis/${this.ref.group}/${this.ref.version}` : `/api/${this.ref.version}`;
    let path = root;
    if (this.ref.namespaced && namespace) path += `/namespaces/${encodeURIComponent(namespace)}`;
    path += `/${this.ref.resource}`;
    if (name !== undefined) path += `/${encodeURIComponent(name)}`;
    if (subresource) path += `/${subresource}`;
    return path;
  }

  get(namespace: string | undefined, name: string, options: RequestScope = {}): Promise<T> {
    return this.rest.request<T>('GET', this.path(namespace, name), { signal: options.signal });
  }

  /** The object, or undefined when it does not exist. */
  async find(namespace: string | undefined, name: string, options: RequestScope = {}): Promise<T | undefined> {
    try {
      return await this.get(namespace, name, options);
    } catch (err) {
      if (isStatusError(err, 'NotFound')) return undefined;
      throw err;
    }
  }

  list(namespace?: string, options: ListOptions = {}): Promise<KubeList<T>> {
    const { signal, ...query } = options;
    return this.rest.request<KubeList<T>>('GET', this.path(namespace), { query, signal });
  }

  /** Every object, following `continue` tokens page by page. */
  async listAll(namespace?: string, options: ListOptions = {}): Promise<{ items: T[]; resourceVersion: string }> {
    const items: T[] = [];
    let token: string | undefined;
    let resourceVersion = '';
    do {
      const page = await this.list(namespace, { limit: 500, ...options, continue: token });
      items.push(...page.items);
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
      token = page.metadata?.continue || undefined;
    } while (token);
    return { items, resourceVersion };
  }

  create(object: T, options: WriteOptions = {}): Promise<T> {
    const body = { apiVersion: this.apiVersion, kind: this.ref.kind, ...object };
    return this.rest.request<T>('POST', this.path(object.metadata.namespace), { body, query: writeQuery(options), signal: options.signal });
  }

  update(object: T, options: WriteOptions = {}): Promise<T> {
    return this.rest.request<T>('PUT', this.path(object.metadata.namespace, object.metadata.name), {
      body: { apiVersion: this.apiVersion, kind: this.ref.kind, ...object },
      query: writeQuery(options),
      signal: options.signal,
    });
  }

  updateStatus(object: T, options: WriteOptions = {}): Promise<T> {
    return this.updateSubresource(object, 'status', options);
  }

  /** PUT to a subresource that takes the whole object: `status`, a CertificateSigningRequest's `approval`. */
  updateSubresource(object: T, subresource: string, options: WriteOptions = {}): Promise<T> {
    return this.rest.request<T>('PUT', this.path(object.metadata.namespace, object.metadata.name, subresource), {
      body: { apiVersion: this.apiVersion, kind: this.ref.kind, ...object },
      query: writeQuery(options),
      signal: options.signal,
    });
  }

  /**
   * Server-side apply of a configuration: the fields it names become the
   * manager's, what the manager applied before and no longer names is
   * removed, and changing another manager's field is a 409 Conflict unless
   * forced. Creates the object when it does not exist.
   */
  apply(configuration: Partial<T> & { metadata: KubeObject['metadata'] }, options: ApplyOptions): Promise<T> {
    const body = { apiVersion: this.apiVersion, kind: this.ref.kind, ...configuration };
    return this.rest.request<T>('PATCH', this.path(configuration.metadata.namespace, configuration.metadata.name, options.subresource), {
      body,
      contentType: patchContentTypes.apply,
      query: { ...writeQuery(options), force: options.force ? 'true' : undefined },
      signal: options.signal,
    });
  }

  patch(namespace: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', options: WriteOptions & { subresource?: string } = {}): Promise<T> {
    return this.rest.request<T>('PATCH', this.path(namespace, name, options.subresource), {
      body: patch,
      contentType: patchContentTypes[type],
      query: writeQuery(options),
      signal: options.signal,
    });
  }

  delete(namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<KubeObject> {
    const { signal, ...deleteOptions } = options;
    const body = { apiVersion: 'v1', kind: 'DeleteOptions', ...deleteOptions, dryRun: options.dryRun ? ['All'] : undefined };
    return this.rest.request<KubeObject>('DELETE', this.path(namespace, name), { body, signal });
  }

  /** Deletes and ignores NotFound: the object is gone either way. */
  async deleteIfExists(namespace: string | undefined, name: string, options: DeleteOptions = {}): Promise<void> {
    try {
      await this.delete(namespace, name, options);
    } catch (err) {
      if (!isStatusError(err, 'NotFound')) throw err;
    }
  }

  /**
   * Streams watch events to `onEvent` until the server ends the stream, the
   * signal aborts, or an ERROR event arrives (a 410 Gone rejects `done` with
   * a StatusError whose code is 410).
   */
  watch(namespace: string | undefined, options: WatchOptions, onEvent: (event: WatchEvent<T>) => void, signal?: AbortSignal): WatchHandle {
    const done = new Promise<void>((resolve, reject) => {
      const req = this.rest.open('GET', this.path(namespace), { query: { watch: 1, ...options }, signal, longRunning: true }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => reject(errorFromBody(res.statusCode ?? 500, body)));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (!line) continue;
            const event = JSON.parse(line) as { type: string; object: KubeObject };
            if (event.type === 'ERROR') {
              const status = event.object as unknown as { code?: number; reason?: string; message?: string };
              req.destroy();
              reject(new StatusError(status.code ?? 500, status.reason ?? 'InternalError', status.message ?? 'watch error'));
              return;
            }
            try {
              onEvent(event as WatchEvent<T>);
            } catch (err) {
              req.destroy();
              reject(err);
              return;
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (err) => (signal?.aborted ? resolve() : reject(err)));
      });
      req.on('error', (err) => (signal?.aborted ? resolve() : reject(err)));
      req.end();
    });
    return { done };
  }
}

function writeQuery(options: WriteOptions): Record<string, string | undefined> {
  return { dryRun: options.dryRun ? 'All' : undefined, fieldManager: options.fieldManager };
}

function errorFromBody(code: number, body: string): StatusError {
  try {
    const status = JSON.parse(body) as { code?: number; reason?: string; message?: string };
    return new StatusError(status.code ?? code, status.reason ?? '', status.message ?? body);
  } catch {
    return new StatusError(code, 'InternalError', body);
  }
}
