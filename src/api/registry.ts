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

  /** Registers a type; the first version registered for a group is its preferred version. */
  add(type: ResourceType): void {
    if (this.find(type.group, type.version, type.resource)) {
      throw new Error(`resource ${type.resource} already registered in ${type.group}/${type.version}`);
    }
    this.types.push(type);
    if (!this.preferred.has(type.group)) this.preferred.set(type.group, type.version);
    for (const listener of this.listeners) listener();
  }

  remove(group: string, version: string, resource: string): void {
    const index = this.types.findIndex((t) => t.group === group && t.version === version && t.resource === resource);
    if (index >= 0) this.types.splice(index, 1);
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

  /** Groups in registration order, the core group ('') first if present. */
  groups(): string[] {
    return [...this.preferred.keys()];
  }

  preferredVersion(group: string): string | undefined {
    return this.preferred.get(group);
  }

  /** Versions of a group, preferred first. */
  versions(group: string): string[] {
    const versions = [...new Set(this.types.filter((t) => t.group === group).map((t) => t.version))];
    const preferred = this.preferred.get(group);
    return versions.sort((a, b) => (a === preferred ? -1 : b === preferred ? 1 : 0));
  }

  resourcesIn(group: string, version: string): ResourceType[] {
    return this.types.filter((t) => t.group === group && t.version === version);
  }
}
