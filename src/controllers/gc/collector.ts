/**
 * The garbage collector: deletes objects whose owners are gone, and carries
 * out the three deletion propagation policies.
 *
 * It watches every kind (through the shared informers) and keeps a map of
 * the uids it has seen. Two kinds of work:
 *
 * - a *dependent* (an object with ownerReferences) is checked when it
 *   appears, changes, or one of its owners is deleted. Owners are looked up
 *   by uid, and when the cache does not know them, asked of the apiserver
 *   (the cache may simply be behind). If every owner is gone, the dependent
 *   is deleted (Background); if only some are, the dangling references are
 *   removed.
 * - an *owner being deleted* with a finalizer the collector implements:
 *   `orphan` — remove this owner from its dependents' ownerReferences, then
 *   the finalizer; `foregroundDeletion` — delete the dependents, and remove
 *   the finalizer once no dependent with blockOwnerDeletion is left.
 *
 * Which kinds it watches comes from discovery, as upstream's monitors do:
 * every resource that can be listed, watched and deleted, in its group's
 * preferred version. It discovers again whenever a CustomResourceDefinition
 * changes (and every half minute), so custom resources own and are owned
 * like built-in ones; a kind that is no longer served stops being watched.
 */
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import type { ControllerContext, DiscoveredResource, ResourceRef, Runnable, SharedInformer } from '../../client/index.js';
import { discoverResources, preferredResourcesWith, sleep, WorkQueue, keyOf } from '../../client/index.js';
import { customResourceDefinitionsResource } from '../resources.js';
import { whenAborted } from '../../machinery/abort.js';

interface Tracked {
  ref: ResourceRef;
  informer: SharedInformer;
  /** Removes the collector's handlers (its kind is no longer served). */
  stopHandlers: () => void;
}

type WorkItem = { kind: 'dependent' | 'owner'; resource: string; key: string };

const encode = (item: WorkItem) => `${item.kind}|${item.resource}|${item.key}`;
function decode(text: string): WorkItem {
  const [kind, resource, key] = text.split('|');
  return { kind: kind as WorkItem['kind'], resource, key };
}

const resourceId = (ref: ResourceRef) => `${ref.group}/${ref.version}/${ref.resource}`;
const apiVersionOf = (ref: ResourceRef) => (ref.group ? `${ref.group}/${ref.version}` : ref.version);

/** How often discovery is read again even when no CRD changed (upstream: 30 s). */
const rediscoverMs = 30_000;

/**
 * Kinds the collector (and namespace deletion) act on: whatever can be listed, watched and deleted,
 * in its group's preferred version; not events, which are never owners and very many.
 */
export function collectedResources(discovered: DiscoveredResource[], verbs = ['list', 'watch', 'delete']): DiscoveredResource[] {
  return preferredResourcesWith(discovered, verbs).filter((resource) => resource.resource !== 'events');
}

export function garbageCollector(context: ControllerContext): Runnable {
  const { client, informers } = context;
  const queue = new WorkQueue<string>();
  const tracked = new Map<string, Tracked>();
  /** uid → where the object is, for owner lookups without a request. */
  const byUid = new Map<string, { resource: string; key: string }>();
  /** `apiVersion/kind` → resource, for every served version: how an ownerReference is looked up. */
  let kinds = new Map<string, ResourceRef>();

  function monitor(ref: ResourceRef): Tracked {
    // Shared with the controllers that watch the same kind: one watch per kind in the process.
    const informer = informers.informerFor(ref);
    const id = resourceId(ref);
    const seen = (object: KubeObject) => {
      if (object.metadata.uid) byUid.set(object.metadata.uid, { resource: id, key: keyOf(object) });
      if (object.metadata.ownerReferences?.length) queue.add(encode({ kind: 'dependent', resource: id, key: keyOf(object) }));
      const finalizers = object.metadata.finalizers ?? [];
      if (object.metadata.deletionTimestamp && (finalizers.includes('orphan') || finalizers.includes('foregroundDeletion'))) {
        queue.add(encode({ kind: 'owner', resource: id, key: keyOf(object) }));
      }
    };
    const stopHandlers = informer.addEventHandler({
      add: seen,
      update: (_previous, object) => seen(object),
      delete: (object) => {
        if (object.metadata.uid) byUid.delete(object.metadata.uid);
        // Its dependents may be orphans now.
        for (const dependent of dependentsOf(object.metadata.uid ?? '')) queue.add(encode(dependent));
        // An owner waiting in foreground deletion may be free now.
        for (const ref of object.metadata.ownerReferences ?? []) {
          const owner = byUid.get(ref.uid);
          if (owner) queue.add(encode({ kind: 'owner', ...owner }));
        }
      },
    });
    return { ref, informer, stopHandlers };
  }

  /** Watches what discovery says is served now, and stops watching what is gone; resolves when the new informers have synced. */
  async function syncMonitors(signal: AbortSignal): Promise<void> {
    const discovered = await discoverResources(client, signal);
    kinds = new Map(discovered.map((resource) => [`${apiVersionOf(resource)}/${resource.kind}`, resource]));
    const wanted = new Map(collectedResources(discovered).map((resource) => [resourceId(resource), resource]));
    const started: Tracked[] = [];
    for (const [id, resource] of wanted) {
      if (tracked.has(id)) continue;
      const entry = monitor(resource);
      tracked.set(id, entry);
      started.push(entry);
    }
    for (const [id, entry] of tracked) {
      if (wanted.has(id)) continue;
      entry.stopHandlers();
      informers.forget(entry.ref);
      tracked.delete(id);
      for (const [uid, where] of byUid) if (where.resource === id) byUid.delete(uid);
    }
    await Promise.all(started.map(({ informer }) => informer.waitForSync(signal)));
  }

  function dependentsOf(uid: string): WorkItem[] {
    const out: WorkItem[] = [];
    for (const [id, { informer }] of tracked) {
      for (const object of informer.store.byIndex('ownerUid', uid)) out.push({ kind: 'dependent', resource: id, key: keyOf(object) });
    }
    return out;
  }

  function cached(item: { resource: string; key: string }): KubeObject | undefined {
    return tracked.get(item.resource)?.informer.store.get(item.key);
  }

  /** The client of an owner's kind: from discovery, else (discovery not caught up yet) the built-in kinds. */
  function clientForKind(apiVersion: string, kind: string) {
    const ref = kinds.get(`${apiVersion}/${kind}`);
    return ref ? client.resource(ref) : client.forKind(apiVersion, kind);
  }

  /** The owner as it is now: from the cache by uid, else from the apiserver. `undefined` means gone. */
  async function findOwner(ref: OwnerReference, namespace: string | undefined): Promise<KubeObject | undefined | 'unknown'> {
    const known = byUid.get(ref.uid);
    if (known) {
      const object = cached(known);
      if (object?.metadata.uid === ref.uid) return object;
    }
    const ownerClient = clientForKind(ref.apiVersion, ref.kind);
    // A kind skiff does not know (yet): never collect on its account.
    if (!ownerClient) return 'unknown';
    const owner = await ownerClient.find(ownerClient.ref.namespaced ? namespace : undefined, ref.name);
    return owner && owner.metadata.uid === ref.uid ? owner : undefined;
  }

  async function processDependent(item: WorkItem): Promise<void> {
    const object = cached(item);
    const type = tracked.get(item.resource)?.ref;
    if (!type || !object || object.metadata.deletionTimestamp) return;
    const refs = object.metadata.ownerReferences ?? [];
    if (refs.length === 0) return;
    const solid: OwnerReference[] = [];
    const dangling: OwnerReference[] = [];
    const waiting: OwnerReference[] = [];
    for (const ref of refs) {
      const owner = await findOwner(ref, object.metadata.namespace);
      if (owner === 'unknown') solid.push(ref);
      else if (!owner) dangling.push(ref);
      else if (owner.metadata.deletionTimestamp && owner.metadata.finalizers?.includes('foregroundDeletion')) waiting.push(ref);
      else solid.push(ref);
    }
    if (dangling.length === 0 && waiting.length === 0) return;
    const resource = client.resource(type);
    if (solid.length > 0) {
      // Other owners remain: only drop the references to the ones that are gone or going.
      const gone = new Set([...dangling, ...waiting].map((r) => r.uid));
      await resource
        .patch(object.metadata.namespace, object.metadata.name!, [
          { op: 'test', path: '/metadata/uid', value: object.metadata.uid },
          { op: 'replace', path: '/metadata/ownerReferences', value: refs.filter((r) => !gone.has(r.uid)) },
        ], 'json')
        .catch(ignoreGone);
      return;
    }
    // Every owner is gone (or going in the foreground): the dependent goes too.
    const finalizers = object.metadata.finalizers ?? [];
    const propagationPolicy = waiting.length > 0 || finalizers.includes('foregroundDeletion') ? 'Foreground' : finalizers.includes('orphan') ? 'Orphan' : 'Background';
    await resource.delete(object.metadata.namespace, object.metadata.name!, { propagationPolicy, preconditions: { uid: object.metadata.uid } }).catch(ignoreGone);
  }

  async function removeFinalizer(type: ResourceRef, object: KubeObject, finalizer: string): Promise<void> {
    const finalizers = object.metadata.finalizers ?? [];
    if (!finalizers.includes(finalizer)) return;
    await client
      .resource(type)
      .patch(object.metadata.namespace, object.metadata.name!, [
        { op: 'test', path: '/metadata/resourceVersion', value: object.metadata.resourceVersion },
        { op: 'replace', path: '/metadata/finalizers', value: finalizers.filter((f) => f !== finalizer) },
      ], 'json');
  }

  async function processOwner(item: WorkItem): Promise<void> {
    const owner = cached(item);
    const type = tracked.get(item.resource)?.ref;
    if (!type || !owner?.metadata.deletionTimestamp || !owner.metadata.uid) return;
    const finalizers = owner.metadata.finalizers ?? [];
    const dependents = dependentsOf(owner.metadata.uid)
      .map((d) => ({ item: d, object: cached(d)! }))
      .filter((d) => d.object);
    if (finalizers.includes('orphan')) {
      for (const { item: d, object } of dependents) {
        const refs = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
        await client
          .resource(tracked.get(d.resource)!.ref)
          .patch(object.metadata.namespace, object.metadata.name!, [
            { op: 'test', path: '/metadata/uid', value: object.metadata.uid },
            { op: 'replace', path: '/metadata/ownerReferences', value: refs },
          ], 'json')
          .catch(ignoreGone);
      }
      await removeFinalizer(type, owner, 'orphan');
      return;
    }
    if (finalizers.includes('foregroundDeletion')) {
      const blocking = dependents.filter(({ object }) =>
        (object.metadata.ownerReferences ?? []).some((r) => r.uid === owner.metadata.uid && r.blockOwnerDeletion),
      );
      for (const { item: d, object } of dependents) {
        if (object.metadata.deletionTimestamp) continue;
        const hasDependents = dependentsOf(object.metadata.uid ?? '').length > 0;
        await client
          .resource(tracked.get(d.resource)!.ref)
          .delete(object.metadata.namespace, object.metadata.name!, { propagationPolicy: hasDependents ? 'Foreground' : 'Background', preconditions: { uid: object.metadata.uid } })
          .catch(ignoreGone);
      }
      if (blocking.length === 0) await removeFinalizer(type, owner, 'foregroundDeletion');
    }
  }

  /** Discovery again after a CRD changes, at most one round at a time (a change during a round asks for another). */
  const rediscovery = {
    running: undefined as Promise<void> | undefined,
    again: false,
    request(signal: AbortSignal): void {
      if (signal.aborted) return;
      if (this.running) {
        this.again = true;
        return;
      }
      this.running = syncMonitors(signal)
        .catch((err: Error) => context.log({ controller: 'garbage-collector', msg: 'discovery failed', error: err.message }))
        .finally(() => {
          this.running = undefined;
          if (this.again) {
            this.again = false;
            this.request(signal);
          }
        });
    },
    async start(signal: AbortSignal): Promise<void> {
      // The first round must succeed: until it does there is nothing to collect with.
      for (let delayMs = 200; !signal.aborted; delayMs = Math.min(delayMs * 2, 10_000)) {
        try {
          await syncMonitors(signal);
          break;
        } catch (err) {
          context.log({ controller: 'garbage-collector', msg: 'discovery failed', error: (err as Error).message });
          await sleep(delayMs, signal);
        }
      }
      const definitions = informers.informerFor(customResourceDefinitionsResource);
      const changed = () => this.request(signal);
      definitions.addEventHandler({ add: (_object, initial) => !initial && changed(), update: changed, delete: changed });
      const timer = setInterval(changed, rediscoverMs);
      timer.unref();
      whenAborted(signal, () => clearInterval(timer));
    },
  };

  return {
    async run(signal) {
      whenAborted(signal, () => queue.shutDown());
      await rediscovery.start(signal);
      const worker = async () => {
        for (;;) {
          const text = await queue.get();
          if (text === undefined) return;
          const item = decode(text);
          try {
            if (item.kind === 'dependent') await processDependent(item);
            else await processOwner(item);
            queue.forget(text);
          } catch (err) {
            context.log({ controller: 'garbage-collector', item: text, msg: 'failed', error: (err as Error).message });
            queue.addRateLimited(text);
          } finally {
            queue.done(text);
          }
        }
      };
      await Promise.all(Array.from({ length: 5 }, worker));
    },
  };
}

function ignoreGone(err: unknown): undefined {
  if (isStatusError(err, 'NotFound') || isStatusError(err, 'Conflict') || (isStatusError(err) && err.code === 422)) return undefined;
  throw err;
}
