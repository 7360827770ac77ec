/** storage.k8s.io/v1. */
import type { ResourceType } from '../resource.js';
import { csidrivers, csinodes } from './csi.js';
import { storageclasses } from './storageclass.js';
import { volumeattachments } from './volumeattachment.js';

export * from './storageclass.js';
export * from './csi.js';
export * from './volumeattachment.js';

export const resources: ResourceType[] = [storageclasses, volumeattachments, csidrivers, csinodes] as ResourceType[];
