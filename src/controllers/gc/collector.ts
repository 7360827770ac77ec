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
 */
import type { KubeObject, OwnerReference } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import type { ResourceType } from '../../api/resource.js';
import type { ControllerContext, Runnable, SharedInformer } from '../../client/index.js';
import { WorkQueue, keyOf } from '../../client/index.js';
import { builtinRegistry } from '../../api/index.js';

interface Tracked {
  type: ResourceType;
  informer: SharedInformer;
}

type WorkItem = { kind: 'dependent' | 'owner'; resource: string; key: string };

const encode = (item: WorkItem) => `${item.kind}|${item.resource}|${item.key}`;
function decode(text: string): WorkItem {
  const [kind, resource, key] = text.split('|');
  return { kind: kind as WorkItem['kind'], resource, key };
}

const resourceId = (type: ResourceType) => `${type.group}/${type.version}/${type.resource}`;

/** Kinds the collector watches: one version per stored resource, and not events (never owners, very many). */
export function collectedTypes(types: readonly ResourceType[]): ResourceType[] {
  const seenStorage = new Set<string>();
  const out: ResourceType[] = [];
  for (const type of types) {
    const storage = type.storageResource ?? `${type.group}/${type.resource}`;
    if (seenStorage.has(storage)) continue;
    seenStorage.add(storage);
    if (type.resource === 'events') continue;
    const verbs = type.verbs ?? ['list', 'watch', 'delete'];
    if (!verbs.includes('list') || !verbs.includes('watch') || !verbs.includes('delete')) continue;
    out.push(type);
  }
  return out;
}

export function garbageCollector(context: ControllerContext, types: readonly ResourceType[] = builtinRegistry().all()): Runnable {
  const { client, informers } = context;
  const queue = new WorkQueue<string>();
  const tracked = new Map<string, Tracked>();
  /** uid → where the object is, for owner lookups without a request. */
  const byUid = new Map<string, { resource: string; key: string }>();

  for (const type of collectedTypes(types)) {
    const informer = informers.informerFor(type);
    const id = resourceId(type);
    tracked.set(id, { type, informer });
    const seen = (object: KubeObject) => {
      if (object.metadata.uid) byUid.set(object.metadata.uid, { resource: id, key: keyOf(object) });
      if (object.metadata.ownerReferences?.length) queue.add(encode({ kind: 'dependent', resource: id, key: keyOf(object) }));
      const finalizers = object.metadata.finalizers ?? [];
      if (object.metadata.deletionTimestamp && (finalizers.includes('orphan') || finalizers.includes('foregroundDeletion'))) {
        queue.add(encode({ kind: 'owner', resource: id, key: keyOf(object) }));
      }
    };
    informer.addEventHandler({
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

  /** The owner as it is now: from the cache by uid, else from the apiserver. `undefined` means gone. */
  async function findOwner(ref: OwnerReference, namespace: string | undefined): Promise<KubeObject | undefined | 'unknown'> {
    const known = byUid.get(ref.uid);
    if (known) {
      const object = cached(known);
      if (object?.metadata.uid === ref.uid) return object;
    }
    const ownerClient = client.forKind(ref.apiVersion, ref.kind);
    // A kind skiff does not know (yet): never collect on its account.
    if (!ownerClient) return 'unknown';
    const owner = await ownerClient.find(ownerClient.ref.namespaced ? namespace : undefined, ref.name);
    return owner && owner.metadata.uid === ref.uid ? owner : undefined;
  }

  async function processDependent(item: WorkItem): Promise<void> {
    const object = cached(item);
    const { type } = tracked.get(item.resource)!;
    if (!object || object.metadata.deletionTimestamp) return;
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

  async function removeFinalizer(type: ResourceType, object: KubeObject, finalizer: string): Promise<void> {
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
    const { type } = tracked.get(item.resource)!;
    if (!owner?.metadata.deletionTimestamp || !owner.metadata.uid) return;
    const finalizers = owner.metadata.finalizers ?? [];
    const dependents = dependentsOf(owner.metadata.uid)
      .map((d) => ({ item: d, object: cached(d)! }))
      .filter((d) => d.object);
    if (finalizers.includes('orphan')) {
      for (const { item: d, object } of dependents) {
        const refs = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== owner.metadata.uid);
        await client
          .resource(tracked.get(d.resource)!.type)
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
          .resource(tracked.get(d.resource)!.type)
          .delete(object.metadata.namespace, object.metadata.name!, { propagationPolicy: hasDependents ? 'Foreground' : 'Background', preconditions: { uid: object.metadata.uid } })
          .catch(ignoreGone);
      }
      if (blocking.length === 0) await removeFinalizer(type, owner, 'foregroundDeletion');
    }
  }

  return {
    async run(signal) {
      signal.addEventListener('abort', () => queue.shutDown(), { once: true });
      await Promise.all([...tracked.values()].map(({ informer }) => informer.waitForSync(signal)));
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
