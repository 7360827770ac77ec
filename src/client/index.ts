/**
 * skiff's client library — the public API for talking to a cluster and for
 * writing controllers (operators) in TypeScript.
 */
export { Client } from './client.js';
export { configFromKubeconfig, defaultConfig, inClusterConfig, type ClientConfig } from './config.js';
export { RotatingClientCertificate } from './rotating-certificate.js';
export { loadKubeconfig, writeKubeconfig, type KubeconfigCredentials, type KubeconfigEntry } from './kubeconfig.js';
export { RestClient, type RequestOptions, type RetryPolicy } from './rest.js';
export {
  ResourceClient,
  type ApplyOptions,
  type DeleteOptions,
  type ListOptions,
  type PatchType,
  type RequestScope,
  type ResourceRef,
  type WatchEvent,
  type WatchOptions,
  type WriteOptions,
} from './resource-client.js';
export { SharedInformer, type EventHandlers, type InformerOptions } from './informer.js';
export { InformerFactory } from './informer-factory.js';
export { Store, Lister, indexers, keyOf, splitKey, type IndexFunc } from './store.js';
export { WorkQueue, type WorkQueueOptions } from './workqueue.js';
export { LeaderElector, type LeaderElectionOptions, type Lease } from './leader-election.js';
export { EventRecorder, type EventType } from './events.js';
export { Controller, ownerKeys, standaloneControllerContext, type ControllerContext, type ControllerSpec, type ReconcileOptions, type ReconcileResult, type Watch } from './controller.js';
export { Manager, type ManagerOptions, type Runnable } from './manager.js';
export { discoverResources, preferredResourcesWith, type DiscoveredResource } from './discovery.js';
export { sleep, microTime, timestamp } from './time.js';
export * from './builtin-resources.js';
