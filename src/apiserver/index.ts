export { ApiServer, type ApiServerOptions, type DocumentRoute, type ServingLimits } from './server.js';
export { bootstrapCluster, ensureObject, systemNamespaces } from './bootstrap.js';
export { ServiceAllocator, defaultServiceNetwork } from './service-allocation.js';
export type { Authenticator, UserInfo } from './authentication.js';
export type { AdmissionPlugin, AdmissionAttributes } from './admission/chain.js';
export { versionInfo, skiffVersion } from './version.js';
export { raiseDescriptorLimit, readDescriptorLimit } from './descriptor-limit.js';
