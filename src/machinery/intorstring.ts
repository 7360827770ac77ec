/**
 * IntOrString fields (`maxSurge: 1` or `maxSurge: "25%"`, `targetPort: 8080`
 * or `targetPort: http`): helpers to tell the two apart and to resolve a
 * percentage against a total, as rollouts and disruption budgets do.
 */

export type IntOrString = number | string;

const percentRe = /^(-?\d+)%$/;

export function isPercent(value: IntOrString | undefined): boolean {
  return typeof value === 'string' && percentRe.test(value);
}

/**
 * The value as a whole number: an integer as is, `"25%"` of `total`
 * rounded up or down. Throws for strings that are neither.
 */
export function scaledValue(value: IntOrString | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const match = percentRe.exec(value);
  if (!match) {
    if (/^-?\d+$/.test(value)) return Number(value);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage`);
  }
  const exact = (Number(match[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}
