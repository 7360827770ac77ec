/**
 * Kind → resource, asked of the apiserver's discovery (upstream's
 * DeferredDiscoveryRESTMapper): what a scaleTargetRef or an Object metric's
 * describedObject names is found among the served resources, custom ones
 * included. Discovery is cached for 30 s, as kube-controller-manager resets
 * its mapper; a kind not found in a copy older than 5 s is looked up again.
 */
import type { DiscoveredResource } from '../../client/index.js';

export const discoveryTtlMs = 30_000;
const refreshOnMissAfterMs = 5_000;

export class NoKindMatchError extends Error {
  constructor(group: string, kind: string) {
    super(`no matches for kind "${kind}" in group "${group}"`);
  }
}

export class RestMapper {
  private cached: { at: number; resources: DiscoveredResource[] } | undefined;
  private loading: Promise<DiscoveredResource[]> | undefined;

  constructor(
    private readonly discover: (signal?: AbortSignal) => Promise<DiscoveredResource[]>,
    private readonly now: () => number,
  ) {}

  private async resources(signal: AbortSignal | undefined, maxAgeMs: number): Promise<DiscoveredResource[]> {
    if (this.cached && this.now() - this.cached.at < maxAgeMs) return this.cached.resources;
    // One discovery at a time, whoever asks.
    this.loading ??= this.discover(signal).finally(() => (this.loading = undefined));
    const resources = await this.loading;
    this.cached = { at: this.now(), resources };
    return resources;
  }

  /** The resources of a kind in a group, the group's preferred version first; throws NoKindMatchError. */
  async mappings(group: string, kind: string, signal?: AbortSignal): Promise<DiscoveredResource[]> {
    const match = (resources: DiscoveredResource[]) =>
      resources.filter((r) => r.group === group && r.kind === kind && !r.resource.includes('/')).sort((a, b) => Number(b.preferred) - Number(a.preferred));
    let found = match(await this.resources(signal, discoveryTtlMs));
    if (!found.length) found = match(await this.resources(signal, refreshOnMissAfterMs));
    if (!found.length) throw new NoKindMatchError(group, kind);
    return found;
  }

  /** Whether any version of a group is served. */
  async servesGroup(group: string, signal?: AbortSignal): Promise<boolean> {
    const served = (resources: DiscoveredResource[]) => resources.some((r) => r.group === group);
    return served(await this.resources(signal, discoveryTtlMs)) || served(await this.resources(signal, refreshOnMissAfterMs));
  }
}

/** `apps/v1` → group `apps`; `v1` → the core group; upstream's ParseGroupVersion errors. */
export function parseGroupVersion(apiVersion: string | undefined): { group: string; version: string } {
  const text = apiVersion ?? '';
  if (text === '' || text === '/') return { group: '', version: '' };
  const parts = text.split('/');
  if (parts.length === 1) return { group: '', version: parts[0] };
  if (parts.length === 2) return { group: parts[0], version: parts[1] };
  throw new Error(`unexpected GroupVersion string: ${text}`);
}
