/**
 * The non-resource documents of the apiserver — discovery and OpenAPI — as
 * routes over the type registry. Both are computed from the registry once
 * and cached (with ETags), since the set of kinds is fixed while running.
 *
 * The OpenAPI builder is loaded on the first request under /openapi/, not
 * with the server: no client asks for it before the API serves, and it is
 * code that every start would otherwise compile (test/start-path.test.ts).
 */
import type { Registry } from '../api/registry.js';
import { discoveryRoute } from './discovery/index.js';
import type { DocumentRoute } from './server.js';

export function documentRoutes(registry: Registry, serverAddress: () => string): DocumentRoute[] {
  return [discoveryRoute(registry, { serverAddress }), lazyOpenapiRoute(registry)];
}

function lazyOpenapiRoute(registry: Registry): DocumentRoute {
  let route: Promise<DocumentRoute> | undefined;
  return async (path, search, accept, ifNoneMatch) => {
    if (path !== '/openapi' && !path.startsWith('/openapi/')) return undefined;
    route ??= import('./openapi/routes.js').then((openapi) => openapi.openapiRoute(registry));
    return (await route)(path, search, accept, ifNoneMatch);
  };
}
