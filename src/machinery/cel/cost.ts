/**
 * A runtime cost budget for CEL rules, after upstream's limits: one rule's
 * evaluation may cost at most a million units, and all rules of one object
 * ten million together. CEL is not Turing complete, but a rule that loops
 * over a long list inside a loop over it would otherwise hold the apiserver
 * for minutes on one write. The unit here is one element read from a list
 * (what comprehensions and list functions do per item): lists handed to
 * CEL are metered views that charge the running evaluation's meter.
 */

export const perCallLimit = 1_000_000;
export const perObjectBudget = 10_000_000;

/** Thrown out of an evaluation that spent its limit. */
export class CostLimitExceeded extends Error {
  constructor() {
    super('operation cancelled: actual cost limit exceeded');
  }
}

/** The meter of the evaluation running now (evaluations are synchronous: one at a time). */
let running: { left: number } | undefined;

/** A list whose element reads are charged to the running evaluation. */
export function meteredList<T>(items: T[]): T[] {
  return new Proxy(items, {
    get(target, key, receiver) {
      // Index reads only: a numeric property name starts with a digit.
      if (running && typeof key === 'string' && key.charCodeAt(0) >= 48 && key.charCodeAt(0) <= 57 && --running.left < 0) throw new CostLimitExceeded();
      return Reflect.get(target, key, receiver);
    },
  });
}

/** Runs `evaluate` with at most `limit` units; returns its result and what it cost. */
export function withinCost<T>(limit: number, evaluate: () => T): { result: T; cost: number } {
  const meter = { left: limit };
  const outer = running;
  running = meter;
  try {
    const result = evaluate();
    return { result, cost: limit - meter.left };
  } finally {
    running = outer;
  }
}
