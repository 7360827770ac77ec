import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imageGcPolicyFromFlags } from './image-gc-flags.js';

test('the image GC flags give a policy, or a clear usage error', () => {
  const cases: { flags: Record<string, string>; policy?: object; error?: RegExp }[] = [
    { flags: {}, policy: undefined },
    { flags: { 'image-gc-high-threshold': '90' }, policy: { highThresholdPercent: 90, lowThresholdPercent: 80, minimumAgeMs: 120_000 } },
    { flags: { 'image-gc-high-threshold': '0', 'image-gc-low-threshold': '0', 'image-minimum-gc-age': '0s' }, policy: { highThresholdPercent: 0, lowThresholdPercent: 0, minimumAgeMs: 0 } },
    { flags: { 'image-minimum-gc-age': '1h30m' }, policy: { highThresholdPercent: 85, lowThresholdPercent: 80, minimumAgeMs: 5_400_000 } },
    { flags: { 'image-gc-high-threshold': '101' }, error: /--image-gc-high-threshold 101: a whole percentage, 0 to 100/ },
    { flags: { 'image-gc-low-threshold': 'lots' }, error: /--image-gc-low-threshold lots: a whole percentage/ },
    { flags: { 'image-gc-high-threshold': '50' }, error: /--image-gc-low-threshold \(80\) must not be above --image-gc-high-threshold \(50\)/ },
    { flags: { 'image-minimum-gc-age': '2 minutes' }, error: /--image-minimum-gc-age 2 minutes: a duration such as 2m0s/ },
  ];
  for (const c of cases) {
    if (c.error) assert.throws(() => imageGcPolicyFromFlags(c.flags), c.error, JSON.stringify(c.flags));
    else assert.deepEqual(imageGcPolicyFromFlags(c.flags), c.policy, JSON.stringify(c.flags));
  }
});
