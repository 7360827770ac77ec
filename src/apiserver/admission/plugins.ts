/**
 * Which admission plugins run, and in which order: upstream v1.32's order
 * for the plugins skiff has, the default set kube-apiserver enables (plus
 * NodeRestriction, which every kubeadm or k3s cluster turns on), and
 * `--enable-admission-plugins` / `--disable-admission-plugins` on top.
 * (RBAC's escalation prevention is not a plugin upstream and always runs.)
 */

/** Every plugin skiff has, in upstream's order (the order they run in, whatever the flags' order). */
export const admissionPluginOrder = [
  'AlwaysAdmit',
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'NodeRestriction',
  'PodSecurity',
  'Priority',
  'DefaultTolerationSeconds',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'RuntimeClass',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
  'AlwaysDeny',
] as const;

export type AdmissionPluginName = (typeof admissionPluginOrder)[number];

/** On unless disabled (upstream's defaults, with NodeRestriction). */
export const defaultAdmissionPlugins: AdmissionPluginName[] = [
  'NamespaceLifecycle',
  'LimitRanger',
  'ServiceAccount',
  'NodeRestriction',
  'PodSecurity',
  'Priority',
  'DefaultTolerationSeconds',
  'DefaultStorageClass',
  'StorageObjectInUseProtection',
  'RuntimeClass',
  'MutatingAdmissionWebhook',
  'ValidatingAdmissionPolicy',
  'ValidatingAdmissionWebhook',
  'ResourceQuota',
];

/** The plugins that run, in order; throws with upstream's wording for an unknown plugin or one both enabled and disabled. */
export function selectAdmissionPlugins(enable: string[] = [], disable: string[] = []): AdmissionPluginName[] {
  const known = new Set<string>(admissionPluginOrder);
  for (const [flag, names] of [['enable-admission-plugins', enable], ['disable-admission-plugins', disable]] as const) {
    const unknown = names.filter((name) => !known.has(name));
    if (unknown.length > 0) throw new Error(`${flag} plugin ${unknown.map((name) => JSON.stringify(name)).join(', ')} is unknown`);
  }
  const both = enable.filter((name) => disable.includes(name));
  if (both.length > 0) throw new Error(`${both.map((name) => JSON.stringify(name)).join(', ')} can not be both enabled and disabled`);
  const on = new Set<string>([...defaultAdmissionPlugins, ...enable]);
  for (const name of disable) on.delete(name);
  return admissionPluginOrder.filter((name) => on.has(name));
}
