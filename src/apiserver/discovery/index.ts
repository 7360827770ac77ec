/** Discovery documents (`/api`, `/apis`, …, and aggregated discovery) built from the registry. */
export {
  aggregatedDiscovery,
  apiGroup,
  apiGroupList,
  apiResourceList,
  apiVersions,
  groupVersionString,
  storageVersionHash,
  type AggregatedVersion,
  type ServerAddressByClientCIDR,
} from './documents.js';
export { aggregatedContentType, negotiateDiscovery, type DiscoveryFormat } from './negotiation.js';
export { DiscoveryDocuments, discoveryRoute, etagOf, type DiscoveryOptions, type DocumentAnswer } from './routes.js';
export { describeSubresource, subresourcesOf, verbsOf, type SubresourceInfo } from './subresources.js';
