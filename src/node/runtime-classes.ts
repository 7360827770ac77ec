/** The RuntimeClasses a skiff cluster has from its start. */

/**
 * The RuntimeClass `skiff up` creates: pods of it run their commands on the
 * node's own file system (no image), as every pod did before images — for
 * running local programs, and the only way pods run without root.
 */
export const hostRuntimeClass = {
  apiVersion: 'node.k8s.io/v1',
  kind: 'RuntimeClass',
  metadata: { name: 'host', labels: { 'app.kubernetes.io/managed-by': 'skiff' } },
  handler: 'host',
};
