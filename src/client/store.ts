/**
 * The informer's cache: objects by key (`namespace/name`, or `name` for
 * cluster-scoped kinds), with secondary indexes kept current on every change
 * — by namespace, by owner uid, by node name, or by any function a
 * controller registers — and listers that read from them.
 */
import type { KubeObject } from '../machinery/object.js';

/** An index function: the index values of one object (e.g. its owners' uids). */
export type IndexFunc<T extends KubeObject = KubeObject> = (object: T) => string[];

/** `namespace/name`, or `name` without a namespace: the key work queues carry. */
export function keyOf(object: KubeObject): string {
  const { namespace, name } = object.metadata;
  return namespace ? `${namespace}/${name}` : (name ?? '');
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** The built-in indexes every informer can have. */
export const indexers = {
  namespace: ((object) => (object.metadata.namespace ? [object.metadata.namespace] : [])) as IndexFunc,
  ownerUid: ((object) => (object.metadata.ownerReferences ?? []).map((ref) => ref.uid)) as IndexFunc,
  nodeName: ((object) => {
    const nodeName = (object as { spec?: { nodeName?: string } }).spec?.nodeName;
    return nodeName ? [nodeName] : [];
  }) as IndexFunc,
};

export class Store<T extends KubeObject = KubeObject> {
  private readonly objects = new Map<string, T>();
  private readonly indexFuncs = new Map<string, IndexFunc<T>>();
  /** index name → index value → keys */
  private readonly indexes = new Map<string, Map<string, Set<string>>>();

  constructor(indexFuncs: Record<string, IndexFunc<T>> = { namespace: indexers.namespace as IndexFunc<T> }) {
    for (const [name, fn] of Object.entries(indexFuncs)) this.addIndex(name, fn);
  }

  /** Adds an index; existing objects are indexed at once. */
  addIndex(name: string, fn: IndexFunc<T>): void {
    if (this.indexFuncs.has(name)) return;
    this.indexFuncs.set(name, fn);
    const index = new Map<string, Set<string>>();
    this.indexes.set(name, index);
    for (const [key, object] of this.objects) for (const value of fn(object)) addTo(index, value, key);
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  list(): T[] {
    return [...this.objects.values()];
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  get size(): number {
    return this.objects.size;
  }

  /** Objects whose index `name` holds `value`. */
  byIndex(name: string, value: string): T[] {
    const index = this.indexes.get(name);
    if (!index) throw new Error(`no index named ${name}`);
    return [...(index.get(value) ?? [])].map((key) => this.objects.get(key)!).filter(Boolean);
  }

  /** Adds or replaces; returns the previous object. */
  set(object: T): T | undefined {
    const key = keyOf(object);
    const previous = this.objects.get(key);
    if (previous) this.unindex(key, previous);
    this.objects.set(key, object);
    for (const [name, fn] of this.indexFuncs) for (const value of fn(object)) addTo(this.indexes.get(name)!, value, key);
    return previous;
  }

  delete(key: string): T | undefined {
    const previous = this.objects.get(key);
    if (!previous) return undefined;
    this.unindex(key, previous);
    this.objects.delete(key);
    return previous;
  }

  private unindex(key: string, object: T): void {
    for (const [name, fn] of this.indexFuncs) {
      const index = this.indexes.get(name)!;
      for (const value of fn(object)) {
        const keys = index.get(value);
        keys?.delete(key);
        if (keys?.size === 0) index.delete(value);
      }
    }
  }
}

function addTo(index: Map<string, Set<string>>, value: string, key: string): void {
  let keys = index.get(value);
  if (!keys) index.set(value, (keys = new Set()));
  keys.add(key);
}

/** Read access to an informer's cache, the way controllers should read. */
export class Lister<T extends KubeObject = KubeObject> {
  constructor(private readonly store: Store<T>) {}

  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace ? `${namespace}/${name}` : name);
  }

  list(namespace?: string, filter?: (object: T) => boolean): T[] {
    const objects = namespace ? this.store.byIndex('namespace', namespace) : this.store.list();
    return filter ? objects.filter(filter) : objects;
  }

  byIndex(name: string, value: string): T[] {
    return this.store.byIndex(name, value);
  }
}
