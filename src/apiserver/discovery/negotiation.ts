/**
 * Content negotiation for discovery, as client-go 1.32 relies on it.
 *
 * client-go asks `/api` and `/apis` with
 *   application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
 *   application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,
 *   application/json
 * and decides which document it got from the response Content-Type alone, so the
 * aggregated answer must carry the chosen `g`, `v` and `as` parameters back.
 * Like upstream, media ranges are tried best-q first; a range asking for a
 * conversion we cannot do (another `as=`, protobuf) is skipped, not refused.
 */
import { parseAccept } from '../http.js';
import type { AggregatedVersion } from './documents.js';

export type DiscoveryFormat = { kind: 'aggregated'; version: AggregatedVersion } | { kind: 'regular'; encoding: 'json' | 'yaml' };

export const AGGREGATED_GROUP = 'apidiscovery.k8s.io';
export const AGGREGATED_KIND = 'APIGroupDiscoveryList';

export function aggregatedContentType(version: AggregatedVersion): string {
  return `application/json;g=${AGGREGATED_GROUP};v=${version};as=${AGGREGATED_KIND}`;
}

function matchesJson(type: string): boolean {
  return type === 'application/json' || type === 'application/*' || type === '*/*';
}

/**
 * Chooses the document form. `aggregatable` is true only for `/api` and `/apis`.
 * Anything we cannot serve falls back to the regular JSON document: clients that
 * send odd Accept headers (browsers, curl) still get something readable.
 */
export function negotiateDiscovery(accept: string | undefined, aggregatable: boolean): DiscoveryFormat {
  for (const range of parseAccept(accept)) {
    if (range.q <= 0) continue;
    const { as, g, v } = range.params;
    if (as !== undefined || g !== undefined || v !== undefined) {
      const isAggregated = as === AGGREGATED_KIND && g === AGGREGATED_GROUP && (v === 'v2' || v === 'v2beta1');
      if (aggregatable && isAggregated && matchesJson(range.type)) return { kind: 'aggregated', version: v };
      continue;
    }
    if (matchesJson(range.type)) return { kind: 'regular', encoding: 'json' };
    if (range.type === 'application/yaml') return { kind: 'regular', encoding: 'yaml' };
  }
  return { kind: 'regular', encoding: 'json' };
}
