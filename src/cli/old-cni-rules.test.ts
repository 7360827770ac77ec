import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { oldCniRules } from './old-cni-rules.js';

describe("skiff's old CNI masquerade rules", () => {
  it('finds the rules of the "skiff" network, highest number first, and leaves every other rule', () => {
    const listing = [
      'Chain POSTROUTING (policy ACCEPT)',
      'num  target     prot opt source               destination         ',
      '1    CNI-5a3b0c  0    --  10.42.0.5            0.0.0.0/0            /* name: "skiff" id: "abc123" */',
      '2    MASQUERADE  0    --  172.17.0.0/16        0.0.0.0/0           ',
      '3    CNI-77ffee  0    --  10.88.0.3            0.0.0.0/0            /* name: "containerd-net" id: "def" */',
      '4    CNI-90d1e2  all  --  10.42.0.6            0.0.0.0/0            /* name: "skiff" id: "ghi456" */',
      '',
    ].join('\n');
    assert.deepEqual(oldCniRules(listing), [
      { number: 4, chain: 'CNI-90d1e2' },
      { number: 1, chain: 'CNI-5a3b0c' },
    ]);
  });

  it('finds nothing in an empty chain or without iptables', () => {
    assert.deepEqual(oldCniRules('Chain POSTROUTING (policy ACCEPT)\nnum  target     prot opt source               destination\n'), []);
    assert.deepEqual(oldCniRules(''), []);
  });
});
