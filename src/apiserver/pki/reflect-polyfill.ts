/**
 * The few Reflect metadata functions tsyringe (a dependency of @peculiar/x509)
 * checks for at load time. We install them instead of depending on
 * `reflect-metadata`: the library only reads constructor parameter types,
 * which its classes do not declare, so a WeakMap-backed store is enough.
 * Never replaces functions that are already present.
 */
type MetadataTable = Map<unknown, unknown>;
type ReflectWithMetadata = typeof Reflect & {
  defineMetadata?: (key: unknown, value: unknown, target: object, property?: string | symbol) => void;
  getOwnMetadata?: (key: unknown, target: object, property?: string | symbol) => unknown;
  getMetadata?: (key: unknown, target: object, property?: string | symbol) => unknown;
  hasMetadata?: (key: unknown, target: object, property?: string | symbol) => boolean;
  metadata?: (key: unknown, value: unknown) => (target: object, property?: string | symbol) => void;
};

const tables = new WeakMap<object, Map<string | symbol | undefined, MetadataTable>>();

function tableOf(target: object, property: string | symbol | undefined, create: boolean): MetadataTable | undefined {
  let byProperty = tables.get(target);
  if (!byProperty) {
    if (!create) return undefined;
    byProperty = new Map();
    tables.set(target, byProperty);
  }
  let table = byProperty.get(property);
  if (!table && create) {
    table = new Map();
    byProperty.set(property, table);
  }
  return table;
}

function findMetadata(key: unknown, target: object, property?: string | symbol): MetadataTable | undefined {
  for (let current: object | null = target; current; current = Object.getPrototypeOf(current)) {
    const table = tableOf(current, property, false);
    if (table?.has(key)) return table;
  }
  return undefined;
}

export function installReflectMetadata(): void {
  const reflect = Reflect as ReflectWithMetadata;
  if (typeof reflect.getMetadata === 'function') return;
  reflect.defineMetadata = (key, value, target, property) => void tableOf(target, property, true)!.set(key, value);
  reflect.getOwnMetadata = (key, target, property) => tableOf(target, property, false)?.get(key);
  reflect.getMetadata = (key, target, property) => findMetadata(key, target, property)?.get(key);
  reflect.hasMetadata = (key, target, property) => findMetadata(key, target, property) !== undefined;
  reflect.metadata = (key, value) => (target, property) => reflect.defineMetadata!(key, value, target, property);
}
