/**
 * The non-resource documents of the apiserver — discovery and OpenAPI — as
 * routes over the type registry.
 */
import type { Registry } from '../api/registry.js';
import type { DocumentRoute } from './server.js';

export function documentRoutes(registry: Registry, serverAddress: () => string): DocumentRoute[] {
  void registry;
  void serverAddress;
  return [];
}
