/**
 * The naming controller of CustomResourceDefinitions (upstream's
 * NamingConditionController and EstablishingController in one): decides
 * which names a CRD may have beside the other CRDs of its group
 * (api/apiextensions/naming.ts), writes them to `status.acceptedNames`
 * with the NamesAccepted condition, and marks a CRD whose names are all
 * accepted Established — the moment the apiserver starts serving it.
 *
 * reconcile(name): compute the status from the CRD and its group's other
 * CRDs; write it when it differs. A change to one CRD requeues the others of
 * its group, since a name it gives up may be one they were refused.
 */
import { acceptNames, isConditionTrue, setCondition, type CustomResourceDefinition } from '../../api/apiextensions/index.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson } from '../util/hash.js';
import { timestamp } from '../util/time.js';
import { customResourceDefinitionsResource } from '../resources.js';

/** The status a CRD should have, given the others; undefined when it already has it. */
export function namingStatus(crd: CustomResourceDefinition, all: CustomResourceDefinition[], now: string): CustomResourceDefinition['status'] | undefined {
  const result = acceptNames(crd, all);
  const next: CustomResourceDefinition = structuredClone(crd);
  next.status ??= {};
  next.status.acceptedNames = result.acceptedNames;
  setCondition(next, { type: 'NamesAccepted', ...result.namesAccepted }, now);
  // Established never goes back: a served CRD stays served while its names are argued over.
  if (!isConditionTrue(crd, 'Established')) {
    const accepted = result.namesAccepted.status === 'True';
    setCondition(
      next,
      accepted
        ? { type: 'Established', status: 'True', reason: 'InitialNamesAccepted', message: 'the initial names have been accepted' }
        : { type: 'Established', ...result.established },
      now,
    );
  }
  return canonicalJson(next.status) === canonicalJson(crd.status ?? {}) ? undefined : next.status;
}

export function customResourceDefinitionNamingController(context: ControllerContext): ControllerSpec {
  const informer = context.informers.informerFor<CustomResourceDefinition>(customResourceDefinitionsResource);
  const definitions = context.client.resource<CustomResourceDefinition>(customResourceDefinitionsResource);
  return {
    name: 'crd-naming',
    for: customResourceDefinitionsResource,
    watches: [
      {
        resource: customResourceDefinitionsResource,
        map: (changed) => {
          const group = (changed as CustomResourceDefinition).spec?.group;
          return informer.lister.list().filter((crd) => crd.spec?.group === group && crd.metadata.name !== changed.metadata.name).map((crd) => crd.metadata.name!);
        },
      },
    ],
    async reconcile(name) {
      const crd = informer.lister.get(undefined, name);
      if (!crd) return;
      const status = namingStatus(crd, informer.lister.list(), timestamp(context.now()));
      if (!status) return;
      try {
        await definitions.updateStatus({ ...crd, status });
      } catch (err) {
        // A newer CRD is on its way through the informer, and with it another reconcile.
        if (!isStatusError(err, 'Conflict') && !isStatusError(err, 'NotFound')) throw err;
      }
    },
  };
}
