/**
 * The Deployment controller: rolls a Deployment's pod template out through
 * ReplicaSets, one per template version ("revision").
 *
 * reconcile(key):
 *   1. claim the ReplicaSets the Deployment controls (adopting matching orphans);
 *   2. paused, or only `replicas` changed → scale the active ReplicaSets
 *      (proportionally when a rollout is under way);
 *   3. otherwise roll out: RollingUpdate grows the new ReplicaSet within
 *      maxSurge and shrinks old ones within maxUnavailable; Recreate scales old
 *      ones to zero, waits for their pods to go, then scales the new one up;
 *   4. delete old, empty ReplicaSets beyond revisionHistoryLimit;
 *   5. write status and the Available / Progressing conditions.
 * Every step reads the informer caches and is safe to repeat.
 */
import type { KubeObject } from '../../machinery/object.js';
import { isStatusError } from '../../machinery/status.js';
import { labelSelectorMatches } from '../../machinery/labels.js';
import type { Deployment, ReplicaSet } from '../../api/apps/index.js';
import type { ControllerContext, ControllerSpec, EventRecorder, ResourceClient, SharedInformer } from '../../client/index.js';
import { splitKey } from '../../client/index.js';
import { controllerRefOf, controllerRefTo } from '../util/owners.js';
import { canonicalJson, templateHash } from '../util/hash.js';
import { isPodActive, podsResource, type Pod } from '../util/pods.js';
import { deploymentsResource, replicaSetsResource } from '../resources.js';
import {
  annotations,
  availableScaleDown,
  byCreation,
  isRollingUpdate,
  maxOldScaleDown,
  maxRevision,
  newReplicaSetReplicas,
  podTemplateHashLabel,
  replicasOf,
  revisionOf,
  rollingBounds,
  splitReplicaSets,
} from './replicasets.js';
import { timestamp } from '../util/time.js';

interface Condition {
  type: string;
  status: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

type DeploymentStatus = NonNullable<Deployment['status']> & { conditions?: Condition[]; observedGeneration?: number; collisionCount?: number; unavailableReplicas?: number };


/** Sets a condition, keeping lastTransitionTime when the status does not change. */
function setCondition(conditions: Condition[], next: Condition, now: Date): Condition[] {
  const existing = conditions.find((c) => c.type === next.type);
  const at = timestamp(now);
  if (existing && existing.status === next.status && existing.reason === next.reason) {
    // Same state: only a progressing update refreshes lastUpdateTime.
    return conditions.map((c) => (c === existing ? { ...c, message: next.message, lastUpdateTime: next.reason === 'ReplicaSetUpdated' ? at : c.lastUpdateTime } : c));
  }
  const condition: Condition = {
    ...next,
    lastUpdateTime: at,
    lastTransitionTime: existing && existing.status === next.status ? existing.lastTransitionTime : at,
  };
  return [...conditions.filter((c) => c.type !== next.type), condition];
}

function ignoreGone(err: unknown): undefined {
  if (isStatusError(err, 'NotFound')) return undefined;
  throw err;
}

class DeploymentSync {
  constructor(
    private readonly d: Deployment,
    private readonly context: ControllerContext,
    private readonly deployments: ResourceClient<Deployment>,
    private readonly replicaSets: ResourceClient<ReplicaSet>,
    private readonly rsInformer: SharedInformer<ReplicaSet>,
    private readonly podInformer: SharedInformer<Pod>,
    private readonly recorder: EventRecorder,
  ) {}

  private get replicas(): number {
    return this.d.spec?.replicas ?? 1;
  }

  /** The ReplicaSets this Deployment controls, adopting matching orphans and releasing strays. */
  async claim(): Promise<ReplicaSet[]> {
    const owned: ReplicaSet[] = [];
    for (const rs of this.rsInformer.lister.list(this.d.metadata.namespace)) {
      const ref = controllerRefOf(rs);
      const matches = labelSelectorMatches(this.d.spec?.selector, rs.metadata.labels);
      if (ref) {
        if (ref.uid !== this.d.metadata.uid) continue;
        if (matches) owned.push(rs);
        else {
          await this.replicaSets
            .patch(rs.metadata.namespace, rs.metadata.name!, { metadata: { ownerReferences: (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== this.d.metadata.uid), uid: rs.metadata.uid } }, 'merge')
            .catch(ignoreGone);
        }
        continue;
      }
      if (!matches || rs.metadata.deletionTimestamp || this.d.metadata.deletionTimestamp) continue;
      const adopted = await this.replicaSets
        .patch(rs.metadata.namespace, rs.metadata.name!, { metadata: { ownerReferences: [...(rs.metadata.ownerReferences ?? []), controllerRefTo(this.d, 'apps/v1', 'Deployment')], uid: rs.metadata.uid } }, 'strategic')
        .catch(ignoreGone);
      if (adopted) owned.push(adopted);
    }
    return owned;
  }

  async run(): Promise<{ requeueAfterMs?: number } | void> {
    const all = await this.claim();
    if (this.d.metadata.deletionTimestamp) return this.writeStatus(all, splitReplicaSets(this.d, all).newRS, undefined);
    if (this.d.spec?.paused || this.isScalingEvent(all)) {
      const { newRS, old } = splitReplicaSets(this.d, all);
      const current = newRS ? await this.ensureNewRSAnnotations(newRS, old) : undefined;
      await this.scale(current, old);
      if (this.d.spec?.paused) return this.writeStatus(all, current, undefined);
      return this.writeStatus(await this.current(), current, undefined);
    }
    return isRollingUpdate(this.d) ? this.rollingUpdate(all) : this.recreate(all);
  }

  /** `replicas` changed without a template change: some active ReplicaSet does not know the new count yet. */
  private isScalingEvent(all: ReplicaSet[]): boolean {
    const desired = String(this.replicas);
    return all.some((rs) => replicasOf(rs) > 0 && rs.metadata.annotations?.[annotations.desiredReplicas] !== undefined && rs.metadata.annotations[annotations.desiredReplicas] !== desired);
  }

  private async current(): Promise<ReplicaSet[]> {
    return this.rsInformer.lister.list(this.d.metadata.namespace, (rs) => controllerRefOf(rs)?.uid === this.d.metadata.uid);
  }

  // ---- the new ReplicaSet ---------------------------------------------------

  /** Finds or creates the ReplicaSet of the current template; keeps revision annotations in step. */
  private async newReplicaSet(all: ReplicaSet[], create: boolean): Promise<{ newRS?: ReplicaSet; old: ReplicaSet[]; created: boolean }> {
    const { newRS, old } = splitReplicaSets(this.d, all);
    if (newRS) return { newRS: await this.ensureNewRSAnnotations(newRS, old), old, created: false };
    if (!create) return { old, created: false };
    const collisionCount = (this.d.status as DeploymentStatus | undefined)?.collisionCount ?? 0;
    const hash = templateHash(this.d.spec?.template, collisionCount);
    const template = structuredClone(this.d.spec?.template ?? {});
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [podTemplateHashLabel]: hash } };
    const selector = structuredClone(this.d.spec?.selector ?? {});
    selector.matchLabels = { ...selector.matchLabels, [podTemplateHashLabel]: hash };
    const revision = maxRevision(old) + 1;
    const draft: ReplicaSet = {
      metadata: {
        name: `${this.d.metadata.name}-${hash}`,
        namespace: this.d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: { ...this.copiedAnnotations(), [annotations.revision]: String(revision) },
        ownerReferences: [controllerRefTo(this.d, 'apps/v1', 'Deployment')],
      },
      spec: { replicas: 0, minReadySeconds: this.d.spec?.minReadySeconds ?? 0, selector, template },
    };
    draft.spec!.replicas = newReplicaSetReplicas(this.d, all, draft);
    this.setReplicaAnnotations(draft);
    let created: ReplicaSet;
    try {
      created = await this.replicaSets.create(draft);
    } catch (err) {
      if (!isStatusError(err, 'AlreadyExists')) throw err;
      const existing = await this.replicaSets.get(this.d.metadata.namespace, draft.metadata.name!);
      if (controllerRefOf(existing)?.uid === this.d.metadata.uid && canonicalJson(existing.spec?.template) === canonicalJson(template)) {
        return { newRS: existing, old, created: false };
      }
      // A hash collision: count it, so the next attempt hashes differently.
      const status = { ...(this.d.status ?? {}), collisionCount: collisionCount + 1 };
      await this.deployments.updateStatus({ ...this.d, status });
      throw new Error(`hash collision creating ReplicaSet ${draft.metadata.name}; retrying with collisionCount ${collisionCount + 1}`);
    }
    if (replicasOf(created) > 0) {
      this.recorder.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} from 0 to ${replicasOf(created)}`);
    }
    await this.setDeploymentRevision(revision);
    this.progressing = { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: `Created new replica set "${created.metadata.name}"` };
    return { newRS: created, old, created: true };
  }

  /** Condition to record at the end of this sync, decided along the way. */
  private progressing: Condition | undefined;

  /** Annotations a ReplicaSet copies from its Deployment (not kubectl's or the controller's own). */
  private copiedAnnotations(): Record<string, string> {
    const copied: Record<string, string> = {};
    for (const [key, value] of Object.entries(this.d.metadata.annotations ?? {})) {
      if (key === annotations.lastApplied || key.startsWith('deployment.kubernetes.io/')) continue;
      copied[key] = value;
    }
    return copied;
  }

  private setReplicaAnnotations(rs: ReplicaSet): void {
    const maxSurge = isRollingUpdate(this.d) ? rollingBounds(this.d).maxSurge : 0;
    rs.metadata.annotations = {
      ...rs.metadata.annotations,
      [annotations.desiredReplicas]: String(this.replicas),
      [annotations.maxReplicas]: String(this.replicas + maxSurge),
    };
  }

  /** An old ReplicaSet that became new again (a rollback) gets the next revision. */
  private async ensureNewRSAnnotations(newRS: ReplicaSet, old: ReplicaSet[]): Promise<ReplicaSet> {
    const next = structuredClone(newRS);
    const wanted = Math.max(revisionOf(newRS), maxRevision(old) + 1);
    const notes = { ...next.metadata.annotations, ...this.copiedAnnotations() };
    if (revisionOf(newRS) !== wanted) {
      const previous = newRS.metadata.annotations?.[annotations.revision];
      if (previous) notes[annotations.revisionHistory] = [notes[annotations.revisionHistory], previous].filter(Boolean).join(',');
      notes[annotations.revision] = String(wanted);
      this.progressing = { type: 'Progressing', status: 'True', reason: 'FoundNewReplicaSet', message: `Found new replica set "${newRS.metadata.name}"` };
    }
    next.metadata.annotations = notes;
    this.setReplicaAnnotations(next);
    if ((next.spec?.minReadySeconds ?? 0) !== (this.d.spec?.minReadySeconds ?? 0)) next.spec = { ...next.spec, minReadySeconds: this.d.spec?.minReadySeconds ?? 0 };
    let result = newRS;
    if (canonicalJson(next.metadata.annotations) !== canonicalJson(newRS.metadata.annotations) || canonicalJson(next.spec) !== canonicalJson(newRS.spec)) {
      result = await this.replicaSets.update(next);
    }
    await this.setDeploymentRevision(revisionOf(result));
    return result;
  }

  private async setDeploymentRevision(revision: number): Promise<void> {
    if (this.d.metadata.annotations?.[annotations.revision] === String(revision)) return;
    // An update, as upstream's controller (its role may update Deployments, not patch them); a conflict retries the key.
    const updated = await this.deployments.update({ ...this.d, metadata: { ...this.d.metadata, annotations: { ...this.d.metadata.annotations, [annotations.revision]: String(revision) } } });
    this.d.metadata = updated.metadata;
  }

  // ---- scaling --------------------------------------------------------------

  private async scaleReplicaSet(rs: ReplicaSet, replicas: number): Promise<ReplicaSet> {
    const next = structuredClone(rs);
    next.spec = { ...next.spec, replicas };
    this.setReplicaAnnotations(next);
    if (replicasOf(rs) === replicas && canonicalJson(next.metadata.annotations) === canonicalJson(rs.metadata.annotations)) return rs;
    const updated = await this.replicaSets.update(next);
    if (replicasOf(rs) !== replicas) {
      const direction = replicas > replicasOf(rs) ? 'up' : 'down';
      this.recorder.event(this.d, 'Normal', 'ScalingReplicaSet', `Scaled ${direction} replica set ${rs.metadata.name} from ${replicasOf(rs)} to ${replicas}`);
    }
    return updated;
  }

  /**
   * Replicas changed (or the Deployment is paused): one active ReplicaSet
   * simply takes the new count; during a rollout, the change is shared out
   * in proportion to each active ReplicaSet's size.
   */
  private async scale(newRS: ReplicaSet | undefined, old: ReplicaSet[]): Promise<void> {
    const all = newRS ? [newRS, ...old] : old;
    const active = all.filter((rs) => replicasOf(rs) > 0);
    if (active.length <= 1) {
      const target = active[0] ?? newRS ?? [...all].sort(byCreation).pop();
      if (target) await this.scaleReplicaSet(target, this.replicas);
      return;
    }
    if (newRS && replicasOf(newRS) === this.replicas && (newRS.status?.availableReplicas ?? 0) >= this.replicas) {
      for (const rs of old) if (replicasOf(rs) > 0) await this.scaleReplicaSet(rs, 0);
      return;
    }
    const maxSurge = isRollingUpdate(this.d) ? rollingBounds(this.d).maxSurge : 0;
    const allowed = this.replicas + maxSurge;
    const current = active.reduce((sum, rs) => sum + replicasOf(rs), 0);
    const toAdd = allowed - current;
    if (toAdd === 0) return;
    // Larger first; for growth the newer among equals, for shrinking the older.
    const ordered = [...active].sort((a, b) => replicasOf(b) - replicasOf(a) || (toAdd > 0 ? -byCreation(a, b) : byCreation(a, b)));
    let added = 0;
    const targets = new Map<ReplicaSet, number>();
    for (const rs of ordered) {
      const annotated = Number(rs.metadata.annotations?.[annotations.maxReplicas]) || current;
      let share = Math.round((replicasOf(rs) * allowed) / annotated) - replicasOf(rs);
      share = toAdd > 0 ? Math.min(share, toAdd - added) : Math.max(share, toAdd - added);
      targets.set(rs, replicasOf(rs) + share);
      added += share;
    }
    // What rounding left over goes to the first (largest) one.
    const first = ordered[0];
    targets.set(first, Math.max(0, targets.get(first)! + (toAdd - added)));
    for (const [rs, replicas] of targets) await this.scaleReplicaSet(rs, Math.max(0, replicas));
  }

  // ---- strategies -----------------------------------------------------------

  private async rollingUpdate(all: ReplicaSet[]): Promise<{ requeueAfterMs?: number } | void> {
    const found = await this.newReplicaSet(all, true);
    let newRS = found.newRS!;
    const old = found.old;
    const everything = () => [newRS, ...old];
    if (!found.created) {
      // Grow (or trim) the new ReplicaSet within maxSurge.
      const target = replicasOf(newRS) > this.replicas ? this.replicas : newReplicaSetReplicas(this.d, everything(), newRS);
      if (target !== replicasOf(newRS)) {
        newRS = await this.scaleReplicaSet(newRS, target);
        return this.writeStatus(everything(), newRS, old);
      }
    }
    if (await this.scaleDownOld(newRS, old)) return this.writeStatus(everything(), newRS, old);
    if (this.complete(newRS, old)) await this.cleanup(old);
    return this.writeStatus(everything(), newRS, old);
  }

  /** Shrinks old ReplicaSets within maxUnavailable: unhealthy pods first, then available ones. */
  private async scaleDownOld(newRS: ReplicaSet, old: ReplicaSet[]): Promise<boolean> {
    const oldPods = old.reduce((sum, rs) => sum + replicasOf(rs), 0);
    if (oldPods === 0) return false;
    const all = [newRS, ...old];
    let budget = maxOldScaleDown(this.d, all, newRS);
    if (budget <= 0) return false;
    let scaled = false;
    // Unhealthy old pods cost no availability: they go first.
    for (const rs of [...old].sort(byCreation)) {
      if (budget <= 0) break;
      const unhealthy = replicasOf(rs) - (rs.status?.availableReplicas ?? 0);
      if (unhealthy <= 0 || replicasOf(rs) === 0) continue;
      const cut = Math.min(unhealthy, budget);
      const index = old.indexOf(rs);
      old[index] = await this.scaleReplicaSet(rs, replicasOf(rs) - cut);
      budget -= cut;
      scaled = true;
    }
    // Then available pods, as long as enough stay available.
    let removable = Math.min(budget, availableScaleDown(this.d, [newRS, ...old]));
    for (const rs of [...old].sort(byCreation)) {
      if (removable <= 0) break;
      if (replicasOf(rs) === 0) continue;
      const cut = Math.min(replicasOf(rs), removable);
      const index = old.indexOf(rs);
      old[index] = await this.scaleReplicaSet(rs, replicasOf(rs) - cut);
      removable -= cut;
      scaled = true;
    }
    return scaled;
  }

  private async recreate(all: ReplicaSet[]): Promise<{ requeueAfterMs?: number } | void> {
    const found = await this.newReplicaSet(all, false);
    const old = found.old;
    let scaledDown = false;
    for (let i = 0; i < old.length; i++) {
      if (replicasOf(old[i]) > 0) {
        old[i] = await this.scaleReplicaSet(old[i], 0);
        scaledDown = true;
      }
    }
    if (scaledDown) return this.writeStatus(found.newRS ? [found.newRS, ...old] : old, found.newRS, old);
    // Wait until every old pod has stopped before starting new ones.
    const oldUids = new Set(old.map((rs) => rs.metadata.uid));
    const oldPodsRunning = this.podInformer.lister.list(this.d.metadata.namespace, (pod) => oldUids.has(controllerRefOf(pod)?.uid) && isPodActive(pod)).length > 0;
    if (oldPodsRunning) return this.writeStatus(found.newRS ? [found.newRS, ...old] : old, found.newRS, old);
    let newRS = found.newRS ?? (await this.newReplicaSet(all, true)).newRS!;
    if (replicasOf(newRS) !== this.replicas) newRS = await this.scaleReplicaSet(newRS, this.replicas);
    if (this.complete(newRS, old)) await this.cleanup(old);
    return this.writeStatus([newRS, ...old], newRS, old);
  }

  private complete(newRS: ReplicaSet, old: ReplicaSet[]): boolean {
    const updated = newRS.status?.replicas ?? 0;
    const available = newRS.status?.availableReplicas ?? 0;
    const oldPods = old.reduce((sum, rs) => sum + (rs.status?.replicas ?? 0) + replicasOf(rs), 0);
    return replicasOf(newRS) === this.replicas && updated === this.replicas && available === this.replicas && oldPods === 0;
  }

  /** Deletes empty old ReplicaSets beyond revisionHistoryLimit, oldest revisions first. */
  private async cleanup(old: ReplicaSet[]): Promise<void> {
    const limit = this.d.spec?.revisionHistoryLimit ?? 10;
    const empty = old
      .filter((rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp)
      .sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of empty.slice(0, Math.max(0, empty.length - limit))) {
      await this.replicaSets.deleteIfExists(rs.metadata.namespace, rs.metadata.name!, { preconditions: { uid: rs.metadata.uid } });
    }
  }

  // ---- status ---------------------------------------------------------------

  private async writeStatus(all: ReplicaSet[], newRS: ReplicaSet | undefined, old: ReplicaSet[] | undefined): Promise<{ requeueAfterMs?: number } | void> {
    const now = this.context.now();
    const previous = (this.d.status ?? {}) as DeploymentStatus;
    const sum = (f: (rs: ReplicaSet) => number | undefined) => all.reduce((total, rs) => total + (f(rs) ?? 0), 0);
    const available = sum((rs) => rs.status?.availableReplicas);
    const status: DeploymentStatus = {
      observedGeneration: this.d.metadata.generation,
      replicas: sum((rs) => rs.status?.replicas),
      updatedReplicas: newRS?.status?.replicas ?? 0,
      readyReplicas: sum((rs) => rs.status?.readyReplicas),
      availableReplicas: available,
      unavailableReplicas: Math.max(0, this.replicas - available),
    };
    if (previous.collisionCount !== undefined) status.collisionCount = previous.collisionCount;
    let conditions = [...(previous.conditions ?? [])];
    const maxUnavailable = isRollingUpdate(this.d) ? rollingBounds(this.d).maxUnavailable : 0;
    conditions = setCondition(
      conditions,
      available >= this.replicas - maxUnavailable
        ? { type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'Deployment has minimum availability.' }
        : { type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable', message: 'Deployment does not have minimum availability.' },
      now,
    );
    let requeueAfterMs: number | undefined;
    const deadlineSeconds = this.d.spec?.progressDeadlineSeconds;
    if (this.d.spec?.paused) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'Unknown', reason: 'DeploymentPaused', message: 'Deployment is paused' }, now);
    } else if (newRS && old && this.complete(newRS, old)) {
      conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable', message: `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` }, now);
    } else if (newRS) {
      const before = previous.conditions?.find((c) => c.type === 'Progressing');
      const moved =
        this.progressing !== undefined ||
        (status.updatedReplicas ?? 0) > (previous.updatedReplicas ?? 0) ||
        (status.readyReplicas ?? 0) > (previous.readyReplicas ?? 0) ||
        (status.availableReplicas ?? 0) > (previous.availableReplicas ?? 0) ||
        (status.replicas ?? 0) - (status.updatedReplicas ?? 0) < (previous.replicas ?? 0) - (previous.updatedReplicas ?? 0) ||
        before?.reason === 'DeploymentPaused' ||
        before === undefined;
      if (this.progressing) conditions = setCondition(conditions, this.progressing, now);
      else if (moved) {
        conditions = setCondition(conditions, { type: 'Progressing', status: 'True', reason: 'ReplicaSetUpdated', message: `ReplicaSet "${newRS.metadata.name}" is progressing.` }, now);
      }
      const progressing = conditions.find((c) => c.type === 'Progressing');
      if (deadlineSeconds !== undefined && progressing?.status === 'True' && progressing.lastUpdateTime) {
        const left = Date.parse(progressing.lastUpdateTime) + deadlineSeconds * 1000 - now.getTime();
        if (left <= 0) {
          conditions = setCondition(conditions, { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: `ReplicaSet "${newRS.metadata.name}" has timed out progressing.` }, now);
          this.recorder.event(this.d, 'Warning', 'ProgressDeadlineExceeded', `Deployment "${this.d.metadata.name}" has timed out progressing.`);
        } else {
          requeueAfterMs = left + 1;
        }
      }
    }
    status.conditions = conditions.sort((a, b) => (a.type < b.type ? -1 : 1));
    if (canonicalJson(status) !== canonicalJson(previous)) {
      await this.deployments.updateStatus({ ...this.d, status }).catch(ignoreGone);
    }
    return requeueAfterMs !== undefined ? { requeueAfterMs } : undefined;
  }
}

export function deploymentController(context: ControllerContext): ControllerSpec {
  const { client, informers } = context;
  const deploymentInformer = informers.informerFor<Deployment>(deploymentsResource);
  const rsInformer = informers.informerFor<ReplicaSet>(replicaSetsResource);
  const podInformer = informers.informerFor<Pod>(podsResource);
  const deployments = client.resource<Deployment>(deploymentsResource);
  const replicaSets = client.resource<ReplicaSet>(replicaSetsResource);
  const recorder = context.recorder('deployment-controller');

  return {
    name: 'deployment',
    for: deploymentsResource,
    owns: [replicaSetsResource],
    // Recreate waits for old pods to go: their deletion must wake the Deployment.
    watches: [
      {
        resource: podsResource,
        map: (pod: KubeObject) => {
          const rsRef = controllerRefOf(pod);
          if (rsRef?.kind !== 'ReplicaSet') return [];
          const rs = rsInformer.lister.get(pod.metadata.namespace, rsRef.name);
          const dRef = rs && controllerRefOf(rs);
          if (dRef?.kind !== 'Deployment') return [];
          const deployment = deploymentInformer.lister.get(pod.metadata.namespace, dRef.name);
          return deployment && !isRollingUpdate(deployment) ? [`${pod.metadata.namespace}/${dRef.name}`] : [];
        },
      },
    ],
    workers: 5,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const cached = deploymentInformer.lister.get(namespace, name);
      if (!cached) return;
      const d = structuredClone(cached);
      return new DeploymentSync(d, context, deployments, replicaSets, rsInformer, podInformer, recorder).run();
    },
  };
}
