/** PersistentVolume: the PV-only volume sources, spec, status and the kind. */
import { s, kindSchema } from '../../../machinery/schema/index.js';
import { V1, atomicStrings, resourceList, NodeSelectorSchema, ObjectReferenceSchema, SecretReferenceSchema } from './common.js';
import { accessModesSchema } from './persistentvolumeclaim.js';
import {
  volumeFieldBuilders as b,
  AWSElasticBlockStoreVolumeSourceSchema,
  AzureDiskVolumeSourceSchema,
  FCVolumeSourceSchema,
  FlockerVolumeSourceSchema,
  GCEPersistentDiskVolumeSourceSchema,
  HostPathVolumeSourceSchema,
  NFSVolumeSourceSchema,
  PhotonPersistentDiskVolumeSourceSchema,
  PortworxVolumeSourceSchema,
  QuobyteVolumeSourceSchema,
  VsphereVirtualDiskVolumeSourceSchema,
} from './volume.js';

const secretRef = () => s.field(SecretReferenceSchema, 'Secret with credentials.');
const fsType = () => s.string('Filesystem type, e.g. ext4.');
const readOnly = () => s.boolean('Mount read-only.');

const GlusterfsPersistentVolumeSourceSchema = s.object(`${V1}.GlusterfsPersistentVolumeSource`, 'A Glusterfs volume.', {
  endpoints: s.string('Endpoints naming the Glusterfs servers.'), path: s.string('Volume path.'), readOnly: readOnly(),
  endpointsNamespace: s.string('Namespace of the endpoints.'),
}, { required: ['endpoints', 'path'] });

const CinderPersistentVolumeSourceSchema = s.object(`${V1}.CinderPersistentVolumeSource`, 'An OpenStack Cinder volume.', {
  volumeID: s.string('Volume ID.'), fsType: fsType(), readOnly: readOnly(), secretRef: secretRef(),
}, { required: ['volumeID'] });

const AzureFilePersistentVolumeSourceSchema = s.object(`${V1}.AzureFilePersistentVolumeSource`, 'An Azure File share.', {
  secretName: s.string('Secret with the account name and key.'), shareName: s.string('Share name.'), readOnly: readOnly(),
  secretNamespace: s.string('Namespace of the secret; defaults to the pod namespace.'),
}, { required: ['secretName', 'shareName'] });

const StorageOSPersistentVolumeSourceSchema = s.object(`${V1}.StorageOSPersistentVolumeSource`, 'A StorageOS volume.', {
  volumeName: s.string('Volume name.'), volumeNamespace: s.string('Volume namespace.'), fsType: fsType(), readOnly: readOnly(),
  secretRef: s.field(ObjectReferenceSchema, 'Secret with credentials.'),
});

const CSIPersistentVolumeSourceSchema = s.object(`${V1}.CSIPersistentVolumeSource`, 'A volume of a CSI driver.', {
  driver: s.string('Driver name.'),
  volumeHandle: s.string('Volume ID returned by the driver.'),
  readOnly: readOnly(),
  fsType: fsType(),
  volumeAttributes: s.map(s.string(), 'Driver-specific attributes.'),
  controllerPublishSecretRef: secretRef(),
  nodeStageSecretRef: secretRef(),
  nodePublishSecretRef: secretRef(),
  controllerExpandSecretRef: secretRef(),
  nodeExpandSecretRef: secretRef(),
}, { required: ['driver', 'volumeHandle'] });

const LocalVolumeSourceSchema = s.object(`${V1}.LocalVolumeSource`, 'A local disk, partition or directory of a node.', {
  path: s.string('Full path on the node.'), fsType: fsType(),
}, { required: ['path'] });

export const PersistentVolumeSpecSchema = s.object(`${V1}.PersistentVolumeSpec`, 'A piece of storage and how it is offered.', {
  capacity: resourceList('Size of the volume (storage).'),
  gcePersistentDisk: s.field(GCEPersistentDiskVolumeSourceSchema, 'A GCE persistent disk.'),
  awsElasticBlockStore: s.field(AWSElasticBlockStoreVolumeSourceSchema, 'An AWS EBS volume.'),
  hostPath: s.field(HostPathVolumeSourceSchema, 'A host path (single node only).'),
  glusterfs: s.field(GlusterfsPersistentVolumeSourceSchema, 'A Glusterfs volume.'),
  nfs: s.field(NFSVolumeSourceSchema, 'An NFS export.'),
  rbd: s.object(`${V1}.RBDPersistentVolumeSource`, 'A Ceph RBD image.', b.rbdFields(secretRef()), { required: ['monitors', 'image'] }),
  iscsi: s.object(`${V1}.ISCSIPersistentVolumeSource`, 'An iSCSI disk.', b.iscsiFields(secretRef()), { required: ['targetPortal', 'iqn', 'lun'] }),
  cinder: s.field(CinderPersistentVolumeSourceSchema, 'A Cinder volume.'),
  cephfs: s.object(`${V1}.CephFSPersistentVolumeSource`, 'A CephFS mount.', b.cephfsFields(secretRef()), { required: ['monitors'] }),
  fc: s.field(FCVolumeSourceSchema, 'A Fibre Channel disk.'),
  flocker: s.field(FlockerVolumeSourceSchema, 'A Flocker dataset.'),
  flexVolume: s.object(`${V1}.FlexPersistentVolumeSource`, 'A flex volume.', b.flexFields(secretRef()), { required: ['driver'] }),
  azureFile: s.field(AzureFilePersistentVolumeSourceSchema, 'An Azure File share.'),
  vsphereVolume: s.field(VsphereVirtualDiskVolumeSourceSchema, 'A vSphere disk.'),
  quobyte: s.field(QuobyteVolumeSourceSchema, 'A Quobyte volume.'),
  azureDisk: s.field(AzureDiskVolumeSourceSchema, 'An Azure disk.'),
  photonPersistentDisk: s.field(PhotonPersistentDiskVolumeSourceSchema, 'A Photon disk.'),
  portworxVolume: s.field(PortworxVolumeSourceSchema, 'A Portworx volume.'),
  scaleIO: s.object(`${V1}.ScaleIOPersistentVolumeSource`, 'A ScaleIO volume.', b.scaleIOFields(secretRef()), {
    required: ['gateway', 'system', 'secretRef'],
  }),
  local: s.field(LocalVolumeSourceSchema, 'A local disk.'),
  storageos: s.field(StorageOSPersistentVolumeSourceSchema, 'A StorageOS volume.'),
  csi: s.field(CSIPersistentVolumeSourceSchema, 'A CSI volume.'),
  accessModes: accessModesSchema(),
  claimRef: s.field(ObjectReferenceSchema, 'The claim bound to this volume.'),
  persistentVolumeReclaimPolicy: s.enumString(['Delete', 'Recycle', 'Retain'], 'Retain, Delete or Recycle; defaults to Retain.'),
  storageClassName: s.string('Storage class the volume belongs to.'),
  mountOptions: atomicStrings('Mount options.'),
  volumeMode: s.enumString(['Block', 'Filesystem'], 'Filesystem or Block; defaults to Filesystem.'),
  nodeAffinity: s.object(`${V1}.VolumeNodeAffinity`, 'Nodes the volume can be used from.', {
    required: s.field(NodeSelectorSchema, 'Nodes that must match.'),
  }),
  volumeAttributesClassName: s.string('VolumeAttributesClass of the volume.'),
});

export const PersistentVolumeStatusSchema = s.object(`${V1}.PersistentVolumeStatus`, 'Observed state of a volume.', {
  phase: s.enumString(['Available', 'Bound', 'Failed', 'Pending', 'Released'], 'Pending, Available, Bound, Released or Failed.'),
  message: s.string('Human-readable details.'),
  reason: s.string('Machine-readable reason for a failure.'),
  lastPhaseTransitionTime: s.dateTime('When the phase last changed.'),
});

export const PersistentVolumeSchema = kindSchema({
  group: '', version: 'v1', kind: 'PersistentVolume',
  definitionName: `${V1}.PersistentVolume`,
  description: 'A piece of storage provisioned for the cluster.',
  fields: {
    spec: s.field(PersistentVolumeSpecSchema, 'The volume.'),
    status: s.field(PersistentVolumeStatusSchema, 'Observed state.'),
  },
});
