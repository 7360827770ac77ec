/**
 * The entry point of the client library: one REST connection pool, and a
 * ResourceClient per resource. Built-in kinds are found in the API registry
 * (typed), any other resource by its group, version and name (dynamic).
 *
 *   const client = new Client(configFromKubeconfig());
 *   const deployments = client.resource(apps.deployments);
 *   await deployments.create({ metadata: { name: 'web', namespace: 'default' }, spec: … });
 */
import type { KubeObject } from '../machinery/object.js';
import { builtinRegistry } from '../api/index.js';
import type { Registry } from '../api/registry.js';
import type { ClientConfig } from './config.js';
import { RestClient, type RetryPolicy } from './rest.js';
import { ResourceClient, type ResourceRef } from './resource-client.js';

let sharedRegistry: Registry | undefined;

export class Client {
  readonly rest: RestClient;
  private readonly clients = new Map<string, ResourceClient>();

  constructor(
    readonly config: ClientConfig,
    retry?: RetryPolicy,
    private readonly registry: Registry = (sharedRegistry ??= builtinRegistry()),
    rest?: RestClient,
  ) {
    this.rest = rest ?? new RestClient(config, retry);
  }

  /**
   * The same client (connections, registry), but every request it makes also
   * ends when `signal` aborts — what a controller manager's term hands its
   * controllers. Closing the original still ends everything.
   */
  withSignal(signal: AbortSignal): Client {
    return new Client(this.config, undefined, this.registry, this.rest.withSignal(signal));
  }

  /** A client for a resource: a built-in ResourceType or any `{group, version, resource, kind, namespaced}`. */
  resource<T extends KubeObject = KubeObject>(ref: ResourceRef): ResourceClient<T> {
    const id = `${ref.group}/${ref.version}/${ref.resource}`;
    let client = this.clients.get(id);
    if (!client) this.clients.set(id, (client = new ResourceClient(this.rest, ref)));
    return client as unknown as ResourceClient<T>;
  }

  /** The client for a built-in kind by apiVersion and kind (`apps/v1`, `Deployment`). */
  forKind<T extends KubeObject = KubeObject>(apiVersion: string, kind: string): ResourceClient<T> | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    const type = this.registry.all().find((t) => t.group === group && t.version === version && t.kind === kind);
    return type ? this.resource<T>(type) : undefined;
  }

  close(): void {
    this.rest.close();
  }
}
