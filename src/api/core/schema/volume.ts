/**
 * Pod volume sources. The sources a PersistentVolume can also use are
 * exported so schema/persistentvolume.ts reuses them instead of repeating them.
 */
import { s, ObjectMetaSchema, LabelSelectorSchema } from '../../../machinery/schema/index.js';
import {
  V1,
  atomicStrings,
  KeyToPathSchema,
  LocalObjectReferenceSchema,
  ObjectFieldSelectorSchema,
  ResourceFieldSelectorSchema,
} from './common.js';
import { PersistentVolumeClaimSpecSchema } from './persistentvolumeclaim.js';

const items = () => s.array(KeyToPathSchema, 'Keys to project, and where; all keys when empty.', { listType: 'atomic' });
const secretRef = () => s.field(LocalObjectReferenceSchema, 'Secret with credentials.');
const fsType = () => s.string('Filesystem type, e.g. ext4.');
const readOnly = () => s.boolean('Mount read-only.');

export const HostPathVolumeSourceSchema = s.object(`${V1}.HostPathVolumeSource`, 'A file or directory on the host.', {
  path: s.string('Path on the host.'),
  type: s.enumString(['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'], 'What must exist at the path.'),
}, { required: ['path'] });

export const EmptyDirVolumeSourceSchema = s.object(`${V1}.EmptyDirVolumeSource`, 'A scratch directory that lives as long as the pod.', {
  medium: s.string('"" for node storage or Memory for tmpfs.'),
  sizeLimit: s.quantity('Most space the directory may use.'),
});

export const GCEPersistentDiskVolumeSourceSchema = s.object(`${V1}.GCEPersistentDiskVolumeSource`, 'A GCE persistent disk.', {
  pdName: s.string('Disk name.'), fsType: fsType(), partition: s.int32('Partition number.'), readOnly: readOnly(),
}, { required: ['pdName'] });

export const AWSElasticBlockStoreVolumeSourceSchema = s.object(`${V1}.AWSElasticBlockStoreVolumeSource`, 'An AWS EBS volume.', {
  volumeID: s.string('Volume ID.'), fsType: fsType(), partition: s.int32('Partition number.'), readOnly: readOnly(),
}, { required: ['volumeID'] });

export const GitRepoVolumeSourceSchema = s.object(`${V1}.GitRepoVolumeSource`, 'Deprecated: a git repository checkout.', {
  repository: s.string('Repository URL.'), revision: s.string('Commit hash.'), directory: s.string('Target directory.'),
}, { required: ['repository'] });

export const SecretVolumeSourceSchema = s.object(`${V1}.SecretVolumeSource`, 'The keys of a secret as files.', {
  secretName: s.string('Name of the secret.'),
  items: items(),
  defaultMode: s.int32('File mode bits; defaults to 0644.'),
  optional: s.boolean('Whether the secret may be missing.'),
});

export const NFSVolumeSourceSchema = s.object(`${V1}.NFSVolumeSource`, 'An NFS export.', {
  server: s.string('NFS server.'), path: s.string('Exported path.'), readOnly: readOnly(),
}, { required: ['server', 'path'] });

const iscsiFields = (secret: ReturnType<typeof s.field>) => ({
  targetPortal: s.string('Target portal, host[:port].'),
  iqn: s.string('Target IQN.'),
  lun: s.int32('Target LUN.'),
  iscsiInterface: s.string('iSCSI interface; defaults to default.'),
  fsType: fsType(),
  readOnly: readOnly(),
  portals: atomicStrings('More target portals.'),
  chapAuthDiscovery: s.boolean('Use CHAP for discovery.'),
  chapAuthSession: s.boolean('Use CHAP for sessions.'),
  secretRef: secret,
  initiatorName: s.string('Custom initiator name.'),
});
export const ISCSIVolumeSourceSchema = s.object(`${V1}.ISCSIVolumeSource`, 'An iSCSI disk.', iscsiFields(secretRef()), {
  required: ['targetPortal', 'iqn', 'lun'],
});

export const GlusterfsVolumeSourceSchema = s.object(`${V1}.GlusterfsVolumeSource`, 'A Glusterfs volume.', {
  endpoints: s.string('Endpoints naming the Glusterfs servers.'), path: s.string('Volume path.'), readOnly: readOnly(),
}, { required: ['endpoints', 'path'] });

export const PersistentVolumeClaimVolumeSourceSchema = s.object(`${V1}.PersistentVolumeClaimVolumeSource`, 'A persistent volume claim in the pod namespace.', {
  claimName: s.string('Name of the claim.'), readOnly: readOnly(),
}, { required: ['claimName'] });

const rbdFields = (secret: ReturnType<typeof s.field>) => ({
  monitors: atomicStrings('Ceph monitors.'),
  image: s.string('RBD image name.'),
  fsType: fsType(),
  pool: s.string('RADOS pool; defaults to rbd.'),
  user: s.string('RADOS user; defaults to admin.'),
  keyring: s.string('Keyring path; defaults to /etc/ceph/keyring.'),
  secretRef: secret,
  readOnly: readOnly(),
});
export const RBDVolumeSourceSchema = s.object(`${V1}.RBDVolumeSource`, 'A Ceph RBD image.', rbdFields(secretRef()), { required: ['monitors', 'image'] });

const flexFields = (secret: ReturnType<typeof s.field>) => ({
  driver: s.string('Driver name.'),
  fsType: fsType(),
  secretRef: secret,
  readOnly: readOnly(),
  options: s.map(s.string(), 'Driver options.'),
});
export const FlexVolumeSourceSchema = s.object(`${V1}.FlexVolumeSource`, 'A volume of an exec-based plugin.', flexFields(secretRef()), { required: ['driver'] });

export const CinderVolumeSourceSchema = s.object(`${V1}.CinderVolumeSource`, 'An OpenStack Cinder volume.', {
  volumeID: s.string('Volume ID.'), fsType: fsType(), readOnly: readOnly(), secretRef: secretRef(),
}, { required: ['volumeID'] });

const cephfsFields = (secret: ReturnType<typeof s.field>) => ({
  monitors: atomicStrings('Ceph monitors.'),
  path: s.string('Mounted path; defaults to /.'),
  user: s.string('RADOS user; defaults to admin.'),
  secretFile: s.string('Path to the keyring.'),
  secretRef: secret,
  readOnly: readOnly(),
});
export const CephFSVolumeSourceSchema = s.object(`${V1}.CephFSVolumeSource`, 'A CephFS mount.', cephfsFields(secretRef()), { required: ['monitors'] });

export const FlockerVolumeSourceSchema = s.object(`${V1}.FlockerVolumeSource`, 'A Flocker dataset.', {
  datasetName: s.string('Dataset name.'), datasetUUID: s.string('Dataset UUID.'),
});

export const DownwardAPIVolumeFileSchema = s.object(`${V1}.DownwardAPIVolumeFile`, 'A file holding a pod field.', {
  path: s.string('Relative file path.'),
  fieldRef: s.field(ObjectFieldSelectorSchema, 'A pod field.'),
  resourceFieldRef: s.field(ResourceFieldSelectorSchema, 'A container resource.'),
  mode: s.int32('File mode bits.'),
}, { required: ['path'] });

export const DownwardAPIVolumeSourceSchema = s.object(`${V1}.DownwardAPIVolumeSource`, 'Pod fields as files.', {
  items: s.array(DownwardAPIVolumeFileSchema, 'The files.', { listType: 'atomic' }),
  defaultMode: s.int32('File mode bits; defaults to 0644.'),
});

export const FCVolumeSourceSchema = s.object(`${V1}.FCVolumeSource`, 'A Fibre Channel disk.', {
  targetWWNs: atomicStrings('Target world wide names.'),
  lun: s.int32('Target LUN.'),
  fsType: fsType(),
  readOnly: readOnly(),
  wwids: atomicStrings('World wide identifiers.'),
});

export const AzureFileVolumeSourceSchema = s.object(`${V1}.AzureFileVolumeSource`, 'An Azure File share.', {
  secretName: s.string('Secret with the account name and key.'), shareName: s.string('Share name.'), readOnly: readOnly(),
}, { required: ['secretName', 'shareName'] });

export const ConfigMapVolumeSourceSchema = s.object(`${V1}.ConfigMapVolumeSource`, 'The keys of a config map as files.', {
  name: s.string('Name of the config map.'),
  items: items(),
  defaultMode: s.int32('File mode bits; defaults to 0644.'),
  optional: s.boolean('Whether the config map may be missing.'),
});

export const VsphereVirtualDiskVolumeSourceSchema = s.object(`${V1}.VsphereVirtualDiskVolumeSource`, 'A vSphere disk.', {
  volumePath: s.string('Disk path.'), fsType: fsType(), storagePolicyName: s.string('Storage policy name.'), storagePolicyID: s.string('Storage policy ID.'),
}, { required: ['volumePath'] });

export const QuobyteVolumeSourceSchema = s.object(`${V1}.QuobyteVolumeSource`, 'A Quobyte volume.', {
  registry: s.string('Registry services, host:port list.'), volume: s.string('Volume name.'), readOnly: readOnly(),
  user: s.string('User to map access to.'), group: s.string('Group to map access to.'), tenant: s.string('Tenant owning the volume.'),
}, { required: ['registry', 'volume'] });

export const AzureDiskVolumeSourceSchema = s.object(`${V1}.AzureDiskVolumeSource`, 'An Azure data disk.', {
  diskName: s.string('Disk name.'), diskURI: s.string('Disk URI.'), cachingMode: s.string('None, ReadOnly or ReadWrite.'),
  fsType: fsType(), readOnly: readOnly(), kind: s.string('Shared, Dedicated or Managed.'),
}, { required: ['diskName', 'diskURI'] });

export const PhotonPersistentDiskVolumeSourceSchema = s.object(`${V1}.PhotonPersistentDiskVolumeSource`, 'A Photon disk.', {
  pdID: s.string('Disk ID.'), fsType: fsType(),
}, { required: ['pdID'] });

export const ServiceAccountTokenProjectionSchema = s.object(`${V1}.ServiceAccountTokenProjection`, 'A service account token as a file.', {
  audience: s.string('Intended audience of the token.'),
  expirationSeconds: s.int64('Requested lifetime; defaults to 1 hour.'),
  path: s.string('Relative file path.'),
}, { required: ['path'] });

export const ClusterTrustBundleProjectionSchema = s.object(`${V1}.ClusterTrustBundleProjection`, 'Trust anchors of ClusterTrustBundles as a file.', {
  name: s.string('Bundle name.'),
  signerName: s.string('Signer name, with labelSelector.'),
  labelSelector: s.field(LabelSelectorSchema, 'Selects bundles of the signer.'),
  optional: s.boolean('Whether missing bundles are tolerated.'),
  path: s.string('Relative file path.'),
}, { required: ['path'] });

export const VolumeProjectionSchema = s.object(`${V1}.VolumeProjection`, 'One source of a projected volume.', {
  secret: s.object(`${V1}.SecretProjection`, 'Keys of a secret.', {
    name: s.string('Name of the secret.'), items: items(), optional: s.boolean('Whether the secret may be missing.'),
  }),
  downwardAPI: s.object(`${V1}.DownwardAPIProjection`, 'Pod fields.', {
    items: s.array(DownwardAPIVolumeFileSchema, 'The files.', { listType: 'atomic' }),
  }),
  configMap: s.object(`${V1}.ConfigMapProjection`, 'Keys of a config map.', {
    name: s.string('Name of the config map.'), items: items(), optional: s.boolean('Whether the config map may be missing.'),
  }),
  serviceAccountToken: s.field(ServiceAccountTokenProjectionSchema, 'A service account token.'),
  clusterTrustBundle: s.field(ClusterTrustBundleProjectionSchema, 'Cluster trust bundle certificates.'),
});

export const ProjectedVolumeSourceSchema = s.object(`${V1}.ProjectedVolumeSource`, 'Several sources in one directory.', {
  sources: s.array(VolumeProjectionSchema, 'The sources.', { listType: 'atomic' }),
  defaultMode: s.int32('File mode bits; defaults to 0644.'),
});

export const PortworxVolumeSourceSchema = s.object(`${V1}.PortworxVolumeSource`, 'A Portworx volume.', {
  volumeID: s.string('Volume ID.'), fsType: fsType(), readOnly: readOnly(),
}, { required: ['volumeID'] });

const scaleIOFields = (secret: ReturnType<typeof s.field>) => ({
  gateway: s.string('Gateway address.'),
  system: s.string('Storage system name.'),
  secretRef: secret,
  sslEnabled: s.boolean('Use SSL to the gateway.'),
  protectionDomain: s.string('Protection domain.'),
  storagePool: s.string('Storage pool.'),
  storageMode: s.string('ThickProvisioned or ThinProvisioned.'),
  volumeName: s.string('Volume name.'),
  fsType: fsType(),
  readOnly: readOnly(),
});
export const ScaleIOVolumeSourceSchema = s.object(`${V1}.ScaleIOVolumeSource`, 'A ScaleIO volume.', scaleIOFields(secretRef()), {
  required: ['gateway', 'system', 'secretRef'],
});

export const StorageOSVolumeSourceSchema = s.object(`${V1}.StorageOSVolumeSource`, 'A StorageOS volume.', {
  volumeName: s.string('Volume name.'), volumeNamespace: s.string('Volume namespace.'), fsType: fsType(), readOnly: readOnly(), secretRef: secretRef(),
});

export const CSIVolumeSourceSchema = s.object(`${V1}.CSIVolumeSource`, 'An inline volume of a CSI driver.', {
  driver: s.string('Driver name.'),
  readOnly: readOnly(),
  fsType: fsType(),
  volumeAttributes: s.map(s.string(), 'Driver-specific attributes.'),
  nodePublishSecretRef: s.field(LocalObjectReferenceSchema, 'Secret passed to NodePublishVolume.'),
}, { required: ['driver'] });

export const PersistentVolumeClaimTemplateSchema = s.object(`${V1}.PersistentVolumeClaimTemplate`, 'A claim created for the pod and deleted with it.', {
  metadata: s.field(ObjectMetaSchema, 'Labels and annotations copied to the claim.'),
  spec: s.field(PersistentVolumeClaimSpecSchema, 'Spec of the claim.'),
}, { required: ['spec'] });

export const EphemeralVolumeSourceSchema = s.object(`${V1}.EphemeralVolumeSource`, 'A volume backed by a per-pod claim.', {
  volumeClaimTemplate: s.field(PersistentVolumeClaimTemplateSchema, 'Template of the claim.'),
});

export const ImageVolumeSourceSchema = s.object(`${V1}.ImageVolumeSource`, 'An OCI image or artifact as a volume.', {
  reference: s.string('Image reference.'),
  pullPolicy: s.enumString(['Always', 'IfNotPresent', 'Never'], 'Always, Never or IfNotPresent.'),
});

export const VolumeSchema = s.object(`${V1}.Volume`, 'A named volume of the pod; exactly one source.', {
  name: s.string('Volume name, a DNS label unique in the pod.'),
  hostPath: s.field(HostPathVolumeSourceSchema, 'A host path.'),
  emptyDir: s.field(EmptyDirVolumeSourceSchema, 'A scratch directory.'),
  gcePersistentDisk: s.field(GCEPersistentDiskVolumeSourceSchema, 'A GCE persistent disk.'),
  awsElasticBlockStore: s.field(AWSElasticBlockStoreVolumeSourceSchema, 'An AWS EBS volume.'),
  gitRepo: s.field(GitRepoVolumeSourceSchema, 'Deprecated git checkout.'),
  secret: s.field(SecretVolumeSourceSchema, 'A secret.'),
  nfs: s.field(NFSVolumeSourceSchema, 'An NFS export.'),
  iscsi: s.field(ISCSIVolumeSourceSchema, 'An iSCSI disk.'),
  glusterfs: s.field(GlusterfsVolumeSourceSchema, 'A Glusterfs volume.'),
  persistentVolumeClaim: s.field(PersistentVolumeClaimVolumeSourceSchema, 'A persistent volume claim.'),
  rbd: s.field(RBDVolumeSourceSchema, 'A Ceph RBD image.'),
  flexVolume: s.field(FlexVolumeSourceSchema, 'A flex volume.'),
  cinder: s.field(CinderVolumeSourceSchema, 'A Cinder volume.'),
  cephfs: s.field(CephFSVolumeSourceSchema, 'A CephFS mount.'),
  flocker: s.field(FlockerVolumeSourceSchema, 'A Flocker dataset.'),
  downwardAPI: s.field(DownwardAPIVolumeSourceSchema, 'Pod fields as files.'),
  fc: s.field(FCVolumeSourceSchema, 'A Fibre Channel disk.'),
  azureFile: s.field(AzureFileVolumeSourceSchema, 'An Azure File share.'),
  configMap: s.field(ConfigMapVolumeSourceSchema, 'A config map.'),
  vsphereVolume: s.field(VsphereVirtualDiskVolumeSourceSchema, 'A vSphere disk.'),
  quobyte: s.field(QuobyteVolumeSourceSchema, 'A Quobyte volume.'),
  azureDisk: s.field(AzureDiskVolumeSourceSchema, 'An Azure disk.'),
  photonPersistentDisk: s.field(PhotonPersistentDiskVolumeSourceSchema, 'A Photon disk.'),
  projected: s.field(ProjectedVolumeSourceSchema, 'Several sources in one directory.'),
  portworxVolume: s.field(PortworxVolumeSourceSchema, 'A Portworx volume.'),
  scaleIO: s.field(ScaleIOVolumeSourceSchema, 'A ScaleIO volume.'),
  storageos: s.field(StorageOSVolumeSourceSchema, 'A StorageOS volume.'),
  csi: s.field(CSIVolumeSourceSchema, 'An inline CSI volume.'),
  ephemeral: s.field(EphemeralVolumeSourceSchema, 'A per-pod claim.'),
  image: s.field(ImageVolumeSourceSchema, 'An OCI image.'),
}, { required: ['name'] });

/** Field builders the PersistentVolume variants of these sources reuse with a SecretReference. */
export const volumeFieldBuilders = { iscsiFields, rbdFields, flexFields, cephfsFields, scaleIOFields };
