/**
 * The ClusterRole aggregation controller: a ClusterRole with an
 * `aggregationRule` holds the rules of every ClusterRole its selectors
 * match — how `admin`, `edit` and `view` grow when a CRD's roles are
 * labelled `rbac.authorization.k8s.io/aggregate-to-view: "true"`.
 *
 * reconcile(name): the union of the matching roles' rules (by name, each
 * rule once), written when it differs. Any ClusterRole's change requeues
 * every aggregating role.
 */
import type { ClusterRole } from '../../api/rbac/index.js';
import { aggregatedRules } from '../../api/rbac/aggregation.js';
import type { ControllerContext, ControllerSpec } from '../../client/index.js';
import { isStatusError } from '../../machinery/status.js';
import { canonicalJson } from '../util/hash.js';
import { clusterRolesResource } from '../resources.js';

export { aggregatedRules };

export function clusterRoleAggregationController(context: ControllerContext): ControllerSpec {
  const informer = context.informers.informerFor<ClusterRole>(clusterRolesResource);
  const roles = context.client.resource<ClusterRole>(clusterRolesResource);
  return {
    name: 'clusterrole-aggregation',
    for: clusterRolesResource,
    watches: [
      {
        resource: clusterRolesResource,
        map: () => informer.lister.list().filter((role) => role.aggregationRule).map((role) => role.metadata.name!),
      },
    ],
    async reconcile(name, { signal }) {
      const role = informer.lister.get(undefined, name);
      if (!role) return;
      const rules = aggregatedRules(role, informer.lister.list());
      if (!rules || canonicalJson(rules) === canonicalJson(role.rules ?? [])) return;
      try {
        await roles.update({ ...role, rules }, { signal, fieldManager: 'clusterrole-aggregation-controller' });
      } catch (err) {
        // A newer role is on its way through the informer, and with it another reconcile.
        if (!isStatusError(err, 'Conflict') && !isStatusError(err, 'NotFound')) throw err;
      }
    },
  };
}
