/**
 * The built-in API: every group skiff serves, registered in upstream's
 * discovery order. What CRDs add joins the same registry at run time.
 */
import { Registry } from './registry.js';
import type { ResourceType } from './resource.js';
import { resources as core } from './core/index.js';
import { resources as apps } from './apps/index.js';
import { resources as events } from './events/index.js';
import { resources as authentication } from './authentication/index.js';
import { resources as authorization } from './authorization/index.js';
import { resources as autoscaling } from './autoscaling/index.js';
import { resources as batch } from './batch/index.js';
import { resources as networking } from './networking/index.js';
import { resources as policy } from './policy/index.js';
import { resources as rbac } from './rbac/index.js';
import { resources as storage } from './storage/index.js';
import { resources as admissionregistration } from './admissionregistration/index.js';
import { resources as apiextensions } from './apiextensions/index.js';
import { resources as scheduling } from './scheduling/index.js';
import { resources as coordination } from './coordination/index.js';
import { resources as node } from './node/index.js';
import { resources as discovery } from './discovery/index.js';
import { resources as certificates } from './certificates/index.js';
import { resources as metrics } from './metrics/index.js';

export const builtinResources: ResourceType[][] = [
  core,
  apps,
  events,
  authentication,
  authorization,
  autoscaling,
  batch,
  networking,
  policy,
  rbac,
  certificates,
  storage,
  admissionregistration,
  apiextensions,
  scheduling,
  coordination,
  node,
  discovery,
  // Aggregated by kube-apiserver with metrics-server's APIService priority (100): listed last.
  metrics,
];

export function builtinRegistry(): Registry {
  const registry = new Registry();
  for (const group of builtinResources) for (const type of group) registry.add(type as ResourceType);
  return registry;
}

export { Registry } from './registry.js';
export * from './resource.js';
