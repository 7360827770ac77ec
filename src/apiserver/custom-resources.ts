/**
 * Serving what CustomResourceDefinitions add: the registry follows the
 * CRDs in storage. The watch cache of `customresourcedefinitions` tells of
 * every change; each Established CRD's served versions become resource
 * types in the registry (api/apiextensions/custom-resource-types.ts), so
 * routing, discovery, OpenAPI and every handler serve them like built-in
 * kinds. A CRD's deletion removes its types once the CRD object is gone
 * (its finalizer first deletes its objects, through the API).
 *
 * A CRD with a conversion webhook gets its versions converted through it
 * (conversion-webhook.ts).
 *
 * The listener runs inside the watch cache's dispatch, before any client's
 * watch hears of the same event: a client that sees a CRD Established can
 * use its resource at once.
 */
import type { Registry } from '../api/registry.js';
import type { ResourceType } from '../api/resource.js';
import { customResourceTypes, type CustomResourceDefinition } from '../api/apiextensions/index.js';
import type { CacheEvent, WatchCache } from './watch-cache.js';
import { ConversionWebhook, type ServiceResolver } from './conversion-webhook.js';

/**
 * For a CRD whose versions a webhook converts: every served version reads
 * stored objects through the webhook (one review per answer), and versions
 * other than the storage version are written through it.
 */
function convertThroughWebhook(crd: CustomResourceDefinition, types: ResourceType[], resolveService: ServiceResolver): void {
  const conversion = crd.spec.conversion;
  if (conversion?.strategy !== 'Webhook' || !conversion.webhook?.clientConfig) return;
  const group = crd.spec.group;
  const storageVersion = crd.spec.versions.find((version) => version.storage)?.name ?? crd.spec.versions[0].name;
  const storedApiVersion = `${group}/${storageVersion}`;
  const webhook = new ConversionWebhook({
    clientConfig: conversion.webhook.clientConfig,
    reviewVersions: conversion.webhook.conversionReviewVersions ?? ['v1'],
    resolveService,
    describe: (apiVersion) => `${apiVersion}, Kind=${crd.status?.acceptedNames?.kind ?? crd.spec.names.kind}`,
  });
  for (const type of types) {
    const apiVersion = `${group}/${type.version}`;
    type.conversion = {
      storageVersion,
      toStorage: (object) => ({ ...object, apiVersion: storedApiVersion }),
      fromStorage: (object) => object,
      fromStorageAsync: (objects) => webhook.convert(objects, apiVersion),
      toStorageAsync: type.version === storageVersion ? undefined : async (object) => (await webhook.convert([object], storedApiVersion))[0],
    };
  }
}

export class CustomResourceServing {
  /** The types each CRD (by name) has in the registry, and the CRD text they were made from. */
  private readonly served = new Map<string, { types: ResourceType[]; basis: string }>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly registry: Registry,
    private readonly log: (event: Record<string, unknown>) => void,
    /** Called with the types a CRD no longer has, so their storage handles can go. */
    private readonly retired: (types: ResourceType[], definitionDeleted: boolean) => void,
    /** Where a conversion webhook's Service is reachable. */
    private readonly resolveService: ServiceResolver = async () => undefined,
  ) {}

  /** Serves every CRD the cache holds, then follows its changes. */
  async start(cache: WatchCache): Promise<void> {
    await cache.sync();
    for (const entry of cache.list()) this.update(entry.object as CustomResourceDefinition);
    const subscription = await cache.subscribe(cache.revision, (event) => this.onEvent(event));
    this.unsubscribe = () => subscription.unsubscribe();
  }

  stop(): void {
    this.unsubscribe?.();
  }

  private onEvent(event: CacheEvent): void {
    const crd = event.current.object as CustomResourceDefinition;
    if (event.type === 'DELETED') this.remove(crd.metadata.name!);
    else this.update(crd);
  }

  private update(crd: CustomResourceDefinition): void {
    const name = crd.metadata.name!;
    // What the types are made of: a status write that changes no condition that matters keeps them.
    const basis = JSON.stringify([crd.metadata.uid, crd.spec, crd.status?.acceptedNames, crd.status?.conditions?.filter((c) => c.type === 'Established' || c.type === 'Terminating').map((c) => c.status)]);
    const previous = this.served.get(name);
    if (previous?.basis === basis) return;
    let types: ResourceType[];
    try {
      types = customResourceTypes(crd).filter((type) => !this.takenByAnother(type, previous?.types ?? []));
      convertThroughWebhook(crd, types, this.resolveService);
      this.registry.replace(previous?.types ?? [], types);
    } catch (err) {
      // A stored CRD the apiserver cannot serve must not stop it serving the others.
      this.log({ msg: 'cannot serve custom resource definition', name, error: (err as Error).message });
      this.registry.replace(previous?.types ?? [], []);
      types = [];
    }
    this.served.set(name, { types, basis });
    if (previous) this.retired(previous.types, false);
    if (types.length && !previous?.types.length) this.log({ msg: 'serving custom resource', v: 1, name, versions: types.map((type) => type.version) });
  }

  /** A resource the built-in API or another CRD already serves (naming keeps CRDs apart; this keeps built-ins safe). */
  private takenByAnother(type: ResourceType, own: ResourceType[]): boolean {
    const existing = this.registry.find(type.group, type.version, type.resource);
    return existing !== undefined && !own.includes(existing);
  }

  private remove(name: string): void {
    const previous = this.served.get(name);
    if (!previous) return;
    this.served.delete(name);
    this.registry.replace(previous.types, []);
    this.retired(previous.types, true);
    this.log({ msg: 'stopped serving custom resource', v: 1, name });
  }
}
