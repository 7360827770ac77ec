/**
 * Upstream's SetDefaults_* for pods and everything inside a PodSpec. Pod
 * templates get the PodSpec defaults only: requests-from-limits,
 * enableServiceLinks and host-network ports are defaulted on Pods alone, as
 * upstream does, so a Deployment's template reads back as it was written.
 */
import { isObj as isPlainObject, type Obj } from './util.js';
import { defaultPersistentVolumeClaimSpec } from './defaults-storage.js';


const DEFAULT_MODE = 0o644; // 420

/** The tag of an image reference, '' when it is pinned by digest only, 'latest' when it has none. */
export function imageTag(image: string): string {
  if (image.includes('@')) {
    const beforeDigest = image.slice(0, image.indexOf('@'));
    const lastSlash = beforeDigest.lastIndexOf('/');
    const colon = beforeDigest.indexOf(':', lastSlash + 1);
    return colon >= 0 ? beforeDigest.slice(colon + 1) : '';
  }
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  return colon >= 0 ? image.slice(colon + 1) : 'latest';
}

function defaultHTTPGet(action: Obj | undefined): void {
  if (!isPlainObject(action)) return;
  action.path ??= '/';
  action.scheme ??= 'HTTP';
}

function defaultProbe(probe: Obj | undefined): void {
  if (!isPlainObject(probe)) return;
  probe.timeoutSeconds ??= 1;
  probe.periodSeconds ??= 10;
  probe.successThreshold ??= 1;
  probe.failureThreshold ??= 3;
  defaultHTTPGet(probe.httpGet);
  if (isPlainObject(probe.grpc)) probe.grpc.service ??= '';
}

function defaultFieldRef(ref: Obj | undefined): void {
  if (isPlainObject(ref)) ref.apiVersion ??= 'v1';
}

/** resource.Quantity is not a pointer upstream, so an unset divisor reads back as "0". */
function defaultResourceFieldRef(ref: Obj | undefined): void {
  if (isPlainObject(ref)) ref.divisor ??= '0';
}

export function defaultContainer(c: Obj): void {
  if (!isPlainObject(c)) return;
  if (!c.imagePullPolicy) c.imagePullPolicy = imageTag(String(c.image ?? '')) === 'latest' ? 'Always' : 'IfNotPresent';
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  for (const port of Array.isArray(c.ports) ? c.ports : []) if (isPlainObject(port)) port.protocol ??= 'TCP';
  for (const env of Array.isArray(c.env) ? c.env : []) {
    if (!isPlainObject(env?.valueFrom)) continue;
    defaultFieldRef(env.valueFrom.fieldRef);
    defaultResourceFieldRef(env.valueFrom.resourceFieldRef);
  }
  defaultProbe(c.livenessProbe);
  defaultProbe(c.readinessProbe);
  defaultProbe(c.startupProbe);
  if (isPlainObject(c.lifecycle)) {
    defaultHTTPGet(c.lifecycle.postStart?.httpGet);
    defaultHTTPGet(c.lifecycle.preStop?.httpGet);
  }
}

const volumeSources = [
  'hostPath', 'emptyDir', 'gcePersistentDisk', 'awsElasticBlockStore', 'gitRepo', 'secret', 'nfs', 'iscsi', 'glusterfs',
  'persistentVolumeClaim', 'rbd', 'flexVolume', 'cinder', 'cephfs', 'flocker', 'downwardAPI', 'fc', 'azureFile', 'configMap',
  'vsphereVolume', 'quobyte', 'azureDisk', 'photonPersistentDisk', 'projected', 'portworxVolume', 'scaleIO', 'storageos',
  'csi', 'ephemeral', 'image',
];
export { volumeSources };

function defaultDownwardAPIItems(items: unknown): void {
  for (const item of Array.isArray(items) ? items : []) {
    if (!isPlainObject(item)) continue;
    defaultFieldRef(item.fieldRef as Obj);
    defaultResourceFieldRef(item.resourceFieldRef as Obj);
  }
}

export function defaultVolume(v: Obj): void {
  if (!isPlainObject(v)) return;
  // A volume with no source at all is an emptyDir, as upstream decides.
  if (!volumeSources.some((k) => v[k] !== undefined)) v.emptyDir = {};
  if (isPlainObject(v.hostPath)) v.hostPath.type ??= '';
  if (isPlainObject(v.secret)) v.secret.defaultMode ??= DEFAULT_MODE;
  if (isPlainObject(v.configMap)) v.configMap.defaultMode ??= DEFAULT_MODE;
  if (isPlainObject(v.downwardAPI)) {
    v.downwardAPI.defaultMode ??= DEFAULT_MODE;
    defaultDownwardAPIItems(v.downwardAPI.items);
  }
  if (isPlainObject(v.projected)) {
    v.projected.defaultMode ??= DEFAULT_MODE;
    for (const source of Array.isArray(v.projected.sources) ? v.projected.sources : []) {
      if (isPlainObject(source?.serviceAccountToken)) source.serviceAccountToken.expirationSeconds ??= 3600;
      if (isPlainObject(source?.downwardAPI)) defaultDownwardAPIItems(source.downwardAPI.items);
    }
  }
  if (isPlainObject(v.iscsi)) v.iscsi.iscsiInterface ??= 'default';
  if (isPlainObject(v.rbd)) defaultRBD(v.rbd);
  if (isPlainObject(v.azureDisk)) defaultAzureDisk(v.azureDisk);
  if (isPlainObject(v.scaleIO)) defaultScaleIO(v.scaleIO);
  if (isPlainObject(v.ephemeral?.volumeClaimTemplate?.spec)) defaultPersistentVolumeClaimSpec(v.ephemeral.volumeClaimTemplate.spec);
}

export function defaultRBD(rbd: Obj): void {
  rbd.pool ??= 'rbd';
  rbd.user ??= 'admin';
  rbd.keyring ??= '/etc/ceph/keyring';
}

export function defaultAzureDisk(disk: Obj): void {
  disk.cachingMode ??= 'ReadWrite';
  disk.kind ??= 'Shared';
  disk.fsType ??= 'ext4';
  disk.readOnly ??= false;
}

export function defaultScaleIO(scaleIO: Obj): void {
  scaleIO.storageMode ??= 'ThinProvisioned';
  scaleIO.fsType ??= 'xfs';
}

function containersOf(spec: Obj): Obj[] {
  const lists = [spec.initContainers, spec.containers, spec.ephemeralContainers];
  return lists.flatMap((list) => (Array.isArray(list) ? list.filter(isPlainObject) : []));
}

/** SetDefaults_PodSpec and the defaults of everything inside it (shared by pods and pod templates). */
export function defaultPodSpec(spec: any): void {
  if (!isPlainObject(spec)) return;
  const s = spec as Obj;
  s.dnsPolicy ||= 'ClusterFirst';
  s.restartPolicy ||= 'Always';
  s.securityContext ??= {};
  s.terminationGracePeriodSeconds ??= 30;
  s.schedulerName ||= 'default-scheduler';
  // serviceAccount is the deprecated spelling; the two always read back equal.
  if (!s.serviceAccountName && s.serviceAccount) s.serviceAccountName = s.serviceAccount;
  if (s.serviceAccountName) s.serviceAccount = s.serviceAccountName;
  for (const c of containersOf(s)) defaultContainer(c);
  for (const v of Array.isArray(s.volumes) ? s.volumes : []) defaultVolume(v);
}

export function defaultPodTemplateSpec(template: any): void {
  if (!isPlainObject(template)) return;
  defaultPodSpec(template.spec);
}

/** SetDefaults_Pod: PodSpec defaults plus what only a real pod gets. */
export function defaultPod(pod: any): void {
  const spec = pod?.spec;
  if (!isPlainObject(spec)) return;
  defaultPodSpec(spec);
  spec.enableServiceLinks ??= true;
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (!isPlainObject(c) || !isPlainObject(c.resources?.limits)) continue;
    // Requests default to limits, per resource.
    const requests = (c.resources.requests ??= {});
    for (const [name, limit] of Object.entries(c.resources.limits)) if (requests[name] === undefined) requests[name] = limit;
  }
  if (spec.hostNetwork) {
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      for (const port of Array.isArray(c?.ports) ? c.ports : []) if (isPlainObject(port) && !port.hostPort) port.hostPort = port.containerPort;
    }
  }
}
