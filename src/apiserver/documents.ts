/**
 * The non-resource documents of the apiserver — discovery and OpenAPI — as
 * routes over the type registry. Both are computed from the registry once
 * and cached (with ETags), since the set of kinds is fixed while running.
 */
import type { Registry } from '../api/registry.js';
import { discoveryRoute } from './discovery/index.js';
import { openapiRoute } from './openapi/index.js';
import type { DocumentRoute } from './server.js';

export function documentRoutes(registry: Registry, serverAddress: () => string): DocumentRoute[] {
  return [discoveryRoute(registry, { serverAddress }), openapiRoute(registry)];
}
