/**
 * The registry of every served resource type. Built-in groups register at
 * start-up; CRDs will add and remove types at run time, so consumers look
 * types up here instead of holding their own lists.
 */
import type { ResourceType } from './resource.js';

export interface GroupVersion {
  group: string;
  version: string;
}

export class Registry {
  private readonly types: ResourceType[] = [];
  /** Preferred version per group, in registration order of groups. */
  private readonly preferred = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  /**
   * Registers a type. For a built-in group the first version registered is its preferred
   * version; a group of custom resources prefers its highest version (kube-aware order).
   */
  add(type: ResourceType): void {
    this.addQuietly(type);
    this.changed();
  }

  remove(group: string, version: string, resource: string): void {
    this.removeQuietly(group, version, resource);
    this.changed();
  }

  /** Swaps one set of types for another with a single change notification (a CRD's served versions). */
  replace(removed: readonly ResourceType[], added: readonly ResourceType[]): void {
    for (const type of removed) this.removeQuietly(type.group, type.version, type.resource);
    for (const type of added) this.addQuietly(type);
    this.changed();
  }

  private addQuietly(type: ResourceType): void {
    if (this.find(type.group, type.version, type.resource)) {
      throw new Error(`resource ${type.resource} already registered in ${type.group}/${type.version}`);
    }
    this.types.push(type);
    if (!type.customResource && !this.preferred.has(type.group)) this.preferred.set(type.group, type.version);
  }

  private removeQuietly(group: string, version: string, resource: string): void {
    const index = this.types.findIndex((t) => t.group === group && t.version === version && t.resource === resource);
    if (index >= 0) this.types.splice(index, 1);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** Called whenever the set of types changes (discovery and OpenAPI caches listen). */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  all(): readonly ResourceType[] {
    return this.types;
  }

  /** Built-in groups in registration order (the core group first), then custom resources' groups by name. */
  groups(): string[] {
    const custom = new Set(this.types.filter((t) => !this.preferred.has(t.group)).map((t) => t.group));
    return [...this.preferred.keys(), ...[...custom].sort()];
  }

  preferredVersion(group: string): string | undefined {
    return this.preferred.get(group) ?? this.versions(group)[0];
  }

  /** Versions of a group, preferred first; a custom group's in kube-aware order (v2, v1, v1beta1, …). */
  versions(group: string): string[] {
    const versions = [...new Set(this.types.filter((t) => t.group === group).map((t) => t.version))];
    const preferred = this.preferred.get(group);
    if (preferred === undefined) return versions.sort(compareKubeAwareVersions);
    return versions.sort((a, b) => (a === preferred ? -1 : b === preferred ? 1 : 0));
  }

  resourcesIn(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.version === version);
  }
}

const kubeVersion = /^v(\d+)(?:(alpha|beta)(\d+))?$/;

/**
 * Upstream's order of versions (CompareKubeAwareVersionStrings), highest
 * first: GA before beta before alpha, higher numbers first within each, and
 * versions that are not of the `v1beta2` form last, alphabetically.
 */
export function compareKubeAwareVersions(a: string, b: string): number {
  const x = kubeVersion.exec(a);
  const y = kubeVersion.exec(b);
  if (!x || !y) return x ? -1 : y ? 1 : a < b ? -1 : a > b ? 1 : 0;
  const rank = (stage: string | undefined) => (stage === undefined ? 2 : stage === 'beta' ? 1 : 0);
  if (rank(x[2]) !== rank(y[2])) return rank(y[2]) - rank(x[2]);
  if (x[1] !== y[1]) return Number(y[1]) - Number(x[1]);
  return Number(y[3] ?? 0) - Number(x[3] ?? 0);
}
