/**
 * LimitRanger's checks, worded and rounded as upstream's: min, max and the
 * limit-to-request ratio of one resource, compared in thousandths of a unit
 * when no amount is too large for that (else in whole units), and a pod's
 * total requests and limits (sidecars — restartable init containers — add to
 * the regular containers; other init containers only raise the maximum).
 */
import { formatQuantity, tryParseQuantity, type Quantity } from '../../machinery/quantity.js';
import { isPlainObject } from '../../machinery/object.js';

export type QuantityMap = Map<string, Quantity>;

const zero: Quantity = { nanos: 0n, format: 'DecimalSI' };
/** The largest amount whose thousandths fit an int64 (upstream's resource.MaxMilliValue). */
const maxMilliValue = 9_223_372_036_854_775n;

/** A resource list as quantities, by name in sorted order (upstream's map order varies; sorted keeps messages stable). */
export function quantityMap(list: unknown): QuantityMap {
  const map: QuantityMap = new Map();
  if (!isPlainObject(list)) return map;
  for (const name of Object.keys(list).sort()) {
    const value = list[name];
    const parsed = typeof value === 'string' || typeof value === 'number' ? tryParseQuantity(String(value)) : undefined;
    if (parsed) map.set(name, parsed);
  }
  return map;
}

/** How upstream prints a quantity in these messages: its canonical form. */
export const quantityText = (quantity: Quantity): string => formatQuantity(quantity);

/** Go's Quantity.Value / MilliValue: rounded away from zero. */
function roundedAway(nanos: bigint, unit: bigint): bigint {
  const whole = nanos / unit;
  if (nanos % unit === 0n) return whole;
  return nanos > 0n ? whole + 1n : whole - 1n;
}
const units = (q: Quantity) => roundedAway(q.nanos, 1_000_000_000n);
const millis = (q: Quantity) => roundedAway(q.nanos, 1_000_000n);

/** Request, limit and enforced amount at one precision (a missing amount is zero). */
function comparable(request: Quantity | undefined, limit: Quantity | undefined, enforced: Quantity): [bigint, bigint, bigint] {
  const all = [request ?? zero, limit ?? zero, enforced];
  if (all.every((q) => units(q) <= maxMilliValue)) return all.map(millis) as [bigint, bigint, bigint];
  return all.map(units) as [bigint, bigint, bigint];
}

export function minConstraint(type: string, name: string, enforced: Quantity, requests: QuantityMap, limits: QuantityMap): string[] {
  const request = requests.get(name);
  const limit = limits.get(name);
  const [observedRequest, observedLimit, value] = comparable(request, limit, enforced);
  const prefix = `minimum ${name} usage per ${type} is ${quantityText(enforced)}`;
  if (!request) return [`${prefix}.  No request is specified`];
  if (observedRequest < value) return [`${prefix}, but request is ${quantityText(request)}`];
  if (limit && observedLimit < value) return [`${prefix}, but limit is ${quantityText(limit)}`];
  return [];
}

export function maxConstraint(type: string, name: string, enforced: Quantity, requests: QuantityMap, limits: QuantityMap): string[] {
  const request = requests.get(name);
  const limit = limits.get(name);
  const [observedRequest, observedLimit, value] = comparable(request, limit, enforced);
  const prefix = `maximum ${name} usage per ${type} is ${quantityText(enforced)}`;
  if (!limit) return [`${prefix}.  No limit is specified`];
  if (observedLimit > value) return [`${prefix}, but limit is ${quantityText(limit)}`];
  if (request && observedRequest > value) return [`${prefix}, but request is ${quantityText(request)}`];
  return [];
}

/** The max of a kind whose limits are not the user's to set (claims): checked against the request. */
export function maxRequestConstraint(type: string, name: string, enforced: Quantity, requests: QuantityMap): string[] {
  const request = requests.get(name);
  const [observedRequest, , value] = comparable(request, undefined, enforced);
  const prefix = `maximum ${name} usage per ${type} is ${quantityText(enforced)}`;
  if (!request) return [`${prefix}.  No request is specified`];
  if (observedRequest > value) return [`${prefix}, but request is ${quantityText(request)}`];
  return [];
}

export function limitRequestRatioConstraint(type: string, name: string, enforced: Quantity, requests: QuantityMap, limits: QuantityMap): string[] {
  const request = requests.get(name);
  const limit = limits.get(name);
  const [observedRequest, observedLimit] = comparable(request, limit, enforced);
  const prefix = `${name} max limit to request ratio per ${type} is ${quantityText(enforced)}`;
  if (!request || observedRequest === 0n) return [`${prefix}, but no request is specified or request is 0`];
  if (!limit || observedLimit === 0n) return [`${prefix}, but no limit is specified or limit is 0`];
  const shown = Number(observedLimit) / Number(observedRequest);
  let observed = shown;
  let allowed = Number(units(enforced));
  if (units(enforced) <= maxMilliValue) {
    observed *= 1000;
    allowed = Number(millis(enforced));
  }
  if (observed > allowed) return [`${prefix}, but provided ratio is ${shown.toFixed(6)}`];
  return [];
}

/** Upstream's aggregate error text: one message alone, several (each once) in brackets. */
export function aggregateMessage(messages: string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? unique[0] : `[${unique.join(', ')}]`;
}

// --- a pod's total requests and limits ---

interface ContainerResources {
  restartPolicy?: string;
  resources?: { requests?: unknown; limits?: unknown };
}

/** a + b; a zero amount takes the other's format, as Go's Quantity.Add. */
function add(a: Quantity, b: Quantity): Quantity {
  return { nanos: a.nanos + b.nanos, format: a.nanos === 0n ? b.format : a.format };
}

function addInto(total: QuantityMap, more: QuantityMap): void {
  for (const [name, quantity] of more) {
    const current = total.get(name);
    total.set(name, current ? add(current, quantity) : quantity);
  }
}

function maxInto(total: QuantityMap, more: QuantityMap): void {
  for (const [name, quantity] of more) {
    const current = total.get(name);
    if (!current || quantity.nanos > current.nanos) total.set(name, quantity);
  }
}

function podTotal(containers: ContainerResources[], initContainers: ContainerResources[], kind: 'requests' | 'limits'): QuantityMap {
  const total: QuantityMap = new Map();
  for (const container of containers) addInto(total, quantityMap(container.resources?.[kind]));
  const sidecars: QuantityMap = new Map();
  const initMaximum: QuantityMap = new Map();
  for (const container of initContainers) {
    const own = quantityMap(container.resources?.[kind]);
    const whileRunning: QuantityMap = new Map();
    if (container.restartPolicy === 'Always') {
      // A sidecar keeps running beside the regular containers.
      addInto(total, own);
      addInto(sidecars, own);
      addInto(whileRunning, sidecars);
    } else {
      // An init container runs beside the sidecars started before it.
      addInto(whileRunning, own);
      addInto(whileRunning, sidecars);
    }
    maxInto(initMaximum, whileRunning);
  }
  maxInto(total, initMaximum);
  return total;
}

export const podRequests = (containers: ContainerResources[], initContainers: ContainerResources[]): QuantityMap => podTotal(containers, initContainers, 'requests');
export const podLimits = (containers: ContainerResources[], initContainers: ContainerResources[]): QuantityMap => podTotal(containers, initContainers, 'limits');
