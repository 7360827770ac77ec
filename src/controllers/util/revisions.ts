/**
 * ControllerRevisions: the history of a StatefulSet's or DaemonSet's pod
 * template. Each distinct template is stored once, as a patch that puts it
 * back (`{"spec":{"template":{…,"$patch":"replace"}}}`, what
 * `kubectl rollout undo` applies), named `<owner>-<hash>` and numbered; when
 * an old template comes back, its revision is renumbered to be the newest
 * instead of storing it twice.
 */
import type { ControllerRevision, PodTemplateSpec } from '../../api/apps/index.js';
import type { Client, ResourceRef } from '../../client/index.js';
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson, templateHash } from './hash.js';
import { controllerRefTo } from './owners.js';

export const controllerRevisionHashLabel = 'controller-revision-hash';

/** What a revision stores for a template. */
export function revisionData(template: PodTemplateSpec | undefined): { spec: { template: Record<string, unknown> } } {
  return { spec: { template: { ...(structuredClone(template ?? {}) as Record<string, unknown>), $patch: 'replace' } } };
}

/** The template a revision stores. */
export function templateOf(revision: ControllerRevision): PodTemplateSpec {
  const stored = structuredClone((revision.data as { spec?: { template?: Record<string, unknown> } } | undefined)?.spec?.template ?? {});
  delete stored.$patch;
  return stored as PodTemplateSpec;
}

export function sameTemplate(revision: ControllerRevision, template: PodTemplateSpec | undefined): boolean {
  return canonicalJson(templateOf(revision)) === canonicalJson(template ?? {});
}

export interface RevisionOwner extends KubeObject {
  spec?: { template?: PodTemplateSpec; revisionHistoryLimit?: number };
  status?: { collisionCount?: number } & Record<string, unknown>;
}

export interface RevisionSync {
  /** The revision of the owner's current template (created or renumbered if needed). */
  update: ControllerRevision;
  /** Every revision the owner has, oldest first. */
  all: ControllerRevision[];
  collisionCount: number;
}

/**
 * Makes sure the owner's current template has the newest revision: finds the
 * revision that stores it (renumbering it when it is not the newest) or
 * creates one, stepping the collision count when a different template
 * already has the name.
 */
export async function syncRevisions(
  client: Client,
  resource: ResourceRef,
  owner: RevisionOwner,
  ownerKind: string,
  owned: ControllerRevision[],
  labels: Record<string, string>,
): Promise<RevisionSync> {
  const revisions = client.resource<ControllerRevision>(resource);
  const all = [...owned].sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  const newest = all.at(-1)?.revision ?? 0;
  let collisionCount = owner.status?.collisionCount ?? 0;
  const template = owner.spec?.template;
  const existing = all.filter((revision) => sameTemplate(revision, template)).at(-1);
  if (existing) {
    if (existing.revision === newest) return { update: existing, all, collisionCount };
    const renumbered = await revisions.patch(existing.metadata.namespace, existing.metadata.name!, { revision: newest + 1 }, 'merge');
    return { update: renumbered, all: [...all.filter((r) => r !== existing), renumbered], collisionCount };
  }
  for (;;) {
    const hash = templateHash(template, collisionCount);
    const revision: ControllerRevision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      metadata: {
        name: `${owner.metadata.name}-${hash}`,
        namespace: owner.metadata.namespace,
        labels: { ...labels, [controllerRevisionHashLabel]: hash },
        ownerReferences: [controllerRefTo(owner, 'apps/v1', ownerKind)],
      },
      data: revisionData(template),
      revision: newest + 1,
    };
    try {
      const created = await revisions.create(revision);
      return { update: created, all: [...all, created], collisionCount };
    } catch (err) {
      if (!isStatusError(err, 'AlreadyExists')) throw err;
      const clash = await revisions.find(owner.metadata.namespace, revision.metadata.name!);
      if (clash && clash.metadata.ownerReferences?.some((ref) => ref.uid === owner.metadata.uid) && sameTemplate(clash, template)) {
        // Ours, just not in the cache yet.
        const renumbered = clash.revision === newest + 1 ? clash : await revisions.patch(clash.metadata.namespace, clash.metadata.name!, { revision: newest + 1 }, 'merge');
        return { update: renumbered, all: [...all, renumbered], collisionCount };
      }
      collisionCount++;
    }
  }
}

/** Deletes the oldest revisions beyond the history limit, never one that live pods still use. */
export async function trimRevisions(client: Client, resource: ResourceRef, all: ControllerRevision[], inUse: Set<string>, limit: number): Promise<void> {
  const revisions = client.resource<ControllerRevision>(resource);
  const removable = all.filter((revision) => !inUse.has(revision.metadata.name!));
  for (const revision of removable.slice(0, Math.max(0, removable.length - limit))) {
    await revisions.deleteIfExists(revision.metadata.namespace, revision.metadata.name!);
  }
}
