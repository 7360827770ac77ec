/**
 * The kubelet's image garbage collection flags, for `skiff up` and `skiff
 * agent`: `--image-gc-high-threshold` and `--image-gc-low-threshold`
 * (percent of the image file system) and `--image-minimum-gc-age` (how long
 * an unused image is kept at least; a duration such as 2m0s).
 */
import { parseGoDuration } from '../machinery/duration.js';
import { defaultImageGcPolicy, type ImageGcPolicy } from '../node/image-gc.js';
import { UsageError } from './usage-error.js';

export const imageGcFlags = {
  'image-gc-high-threshold': { type: 'string' },
  'image-gc-low-threshold': { type: 'string' },
  'image-minimum-gc-age': { type: 'string' },
} as const;

/** The policy the flags give, or undefined when none is set (the defaults: 85 %, 80 %, 2 minutes). */
export function imageGcPolicyFromFlags(values: Partial<Record<keyof typeof imageGcFlags, string>>): ImageGcPolicy | undefined {
  if (Object.values(values).every((value) => value === undefined)) return undefined;
  const percent = (flag: string, value: string | undefined, fallback: number) => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 100) throw new UsageError(`--${flag} ${value}: a whole percentage, 0 to 100`);
    return n;
  };
  const high = percent('image-gc-high-threshold', values['image-gc-high-threshold'], defaultImageGcPolicy.highThresholdPercent);
  const low = percent('image-gc-low-threshold', values['image-gc-low-threshold'], defaultImageGcPolicy.lowThresholdPercent);
  // As the kubelet's validation: the low threshold cannot be above the high one.
  if (low > high) throw new UsageError(`--image-gc-low-threshold (${low}) must not be above --image-gc-high-threshold (${high})`);
  let minimumAgeMs = defaultImageGcPolicy.minimumAgeMs;
  const age = values['image-minimum-gc-age'];
  if (age !== undefined) {
    try {
      minimumAgeMs = parseGoDuration(age);
    } catch {
      throw new UsageError(`--image-minimum-gc-age ${age}: a duration such as 2m0s or 30s`);
    }
  }
  return { highThresholdPercent: high, lowThresholdPercent: low, minimumAgeMs };
}
