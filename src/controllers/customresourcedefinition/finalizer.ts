/**
 * The finalizer of CustomResourceDefinitions (upstream's CRDFinalizer):
 * deleting a CRD first deletes every object of its kind. The apiserver adds
 * the `customresourcecleanup.apiextensions.k8s.io` finalizer on the CRD's
 * first delete; this controller deletes the objects through the API (so
 * their own finalizers and the garbage collector act as usual), reports
 * progress in the Terminating condition, and removes the finalizer once
 * none is left — then the CRD goes, and the apiserver stops serving it.
 */
import { customResourceCleanupFinalizer, isConditionTrue, setCondition, type CustomResourceDefinition } from '../../api/apiextensions/index.js';
import type { ControllerContext, ControllerSpec, ResourceRef } from '../../client/index.js';
import { isStatusError } from '../../machinery/status.js';
import { timestamp } from '../util/time.js';
import { customResourceDefinitionsResource } from '../resources.js';

/** How soon to look again while objects are still going away (their finalizers may take a while). */
const recheckMs = 1000;

/** The resource to delete through: the storage version when served, else any served version. */
export function servedResourceOf(crd: CustomResourceDefinition): ResourceRef | undefined {
  const names = crd.status?.acceptedNames?.plural ? crd.status.acceptedNames : crd.spec.names;
  const served = crd.spec.versions.filter((version) => version.served);
  const version = served.find((v) => v.storage) ?? served[0];
  if (!version) return undefined;
  return { group: crd.spec.group, version: version.name, resource: names.plural, kind: names.kind, namespaced: crd.spec.scope === 'Namespaced' };
}

export function customResourceDefinitionFinalizer(context: ControllerContext): ControllerSpec {
  const informer = context.informers.informerFor<CustomResourceDefinition>(customResourceDefinitionsResource);
  const definitions = context.client.resource<CustomResourceDefinition>(customResourceDefinitionsResource);

  /** Writes the Terminating condition when it changes; returns the CRD as stored. */
  async function setTerminating(crd: CustomResourceDefinition, status: 'True' | 'False', reason: string, message: string): Promise<CustomResourceDefinition> {
    const current = crd.status?.conditions?.find((c) => c.type === 'Terminating');
    if (current?.status === status && current.reason === reason && current.message === message) return crd;
    const next = structuredClone(crd);
    setCondition(next, { type: 'Terminating', status, reason, message }, timestamp(context.now()));
    return definitions.updateStatus(next);
  }

  /** Deletes what is left; returns how many objects remain. */
  async function deleteInstances(ref: ResourceRef, signal: AbortSignal): Promise<number> {
    const objects = context.client.resource(ref);
    const { items } = await objects.listAll(undefined, { signal });
    for (const object of items) {
      if (object.metadata.deletionTimestamp) continue;
      await objects.deleteIfExists(object.metadata.namespace, object.metadata.name!, { signal });
    }
    return items.length;
  }

  return {
    name: 'crd-finalizer',
    for: customResourceDefinitionsResource,
    async reconcile(name, { signal }) {
      let crd = informer.lister.get(undefined, name);
      if (!crd?.metadata.deletionTimestamp || !(crd.metadata.finalizers ?? []).includes(customResourceCleanupFinalizer)) return;
      try {
        const ref = servedResourceOf(crd);
        if (isConditionTrue(crd, 'Established') && ref) {
          crd = await setTerminating(crd, 'True', 'InstanceDeletionInProgress', 'CustomResource deletion is in progress');
          const remaining = await deleteInstances(ref, signal);
          if (remaining > 0) {
            crd = await setTerminating(crd, 'True', 'InstanceDeletionCheck', `could not confirm zero CustomResources remaining: ${remaining} remaining`);
            return { requeueAfterMs: recheckMs };
          }
          crd = await setTerminating(crd, 'False', 'InstanceDeletionCompleted', 'removed all instances');
        } else {
          crd = await setTerminating(crd, 'False', 'NeverEstablished', 'resource was never established');
        }
        await definitions.update({ ...crd, metadata: { ...crd.metadata, finalizers: crd.metadata.finalizers!.filter((f) => f !== customResourceCleanupFinalizer) } });
      } catch (err) {
        // Conflict: the informer brings the newer CRD and another reconcile.
        if (!isStatusError(err, 'Conflict') && !isStatusError(err, 'NotFound')) throw err;
      }
      return undefined;
    },
  };
}
