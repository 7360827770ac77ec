/** The Kubernetes libraries on the CEL environment (environment.ts): a table of expressions and results. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { kubernetesEnvironment } from './environment.js';

const env = kubernetesEnvironment(['self']);
const run = (expression: string, self: unknown = {}) => env.parse(expression)({ self });

describe('the Kubernetes CEL libraries', () => {
  const cases: [string, unknown][] = [
    ['[1, 2, 3].isSorted()', true],
    ['[3, 1].isSorted()', false],
    ['[1, 2, 3].sum()', 6n],
    ['[1.5, 2.5].sum()', 4],
    ['[3, 1, 2].min()', 1n],
    ['["b", "c", "a"].max()', 'c'],
    ['[1, 2, 1].indexOf(1)', 0n],
    ['[1, 2, 1].lastIndexOf(1)', 2n],
    ['"abc 123 def 456".find("[0-9]+")', '123'],
    ['"abc 123 def 456".findAll("[0-9]+")', ['123', '456']],
    ['"abc 123 def 456".findAll("[0-9]+", 1)', ['123']],
    ['"hello".charAt(1)', 'e'],
    ['"a-b-c".replace("-", "+")', 'a+b+c'],
    ['"a-b-c".replace("-", "+", 1)', 'a+b-c'],
    ['"abc".reverse()', 'cba'],
    ['quantity("1Gi").isGreaterThan(quantity("500Mi"))', true],
    ['quantity("100m").compareTo(quantity("0.1"))', 0n],
    ['quantity("1").add(quantity("500m")).asApproximateFloat()', 1.5],
    ['quantity("2k").sub(1000).asInteger()', 1000n],
    ['isQuantity("1.5Gi") && !isQuantity("1.5GB")', true],
    ['url("https://example.com:8443/a/b?x=1&x=2").getPort()', '8443'],
    ['url("https://example.com/a").getHostname()', 'example.com'],
    ['isURL("https://example.com") && !isURL("not a url")', true],
    ['ip("10.0.0.1").family() == 4 && ip("fd00::1").family() == 6', true],
    ['isIP("10.0.0.1") && !isIP("10.0.0.01") && !isIP("::ffff:1.2.3.4") && !isIP("fe80::1%eth0")', true],
    ['ip("127.0.0.1").isLoopback() && ip("::1").isLoopback() && ip("10.1.2.3").isGlobalUnicast()', true],
    ['cidr("10.0.0.0/8").containsIP("10.200.1.1") && !cidr("10.0.0.0/8").containsIP(ip("11.0.0.1"))', true],
    ['cidr("10.0.0.0/8").containsCIDR("10.1.0.0/16") && !cidr("10.1.0.0/16").containsCIDR("10.0.0.0/8")', true],
    ['string(cidr("10.1.2.3/8").masked())', '10.0.0.0/8'],
    ['cidr("fd00::/64").prefixLength()', 64n],
    ['string(ip("fd00:0:0:0:0:0:0:1"))', 'fd00::1'],
    ['isCIDR("10.0.0.0/33") || isCIDR("10.0.0.0")', false],
    ['format.dns1123Label().validate("ok-name").hasValue()', false],
    ['format.dns1123Label().validate("Bad_Name").hasValue()', true],
    ['format.uuid().validate("not-a-uuid").value().size() > 0', true],
    ['self.replicas <= self.max', true],
    ['self.?missing.orValue(7) == 7', true],
    ['self.items.all(i, i.startsWith("a"))', true],
  ];
  for (const [expression, expected] of cases) {
    it(expression, () => assert.deepEqual(run(expression, { replicas: 2n, max: 3n, items: ['ab', 'ac'] }), expected));
  }

  it('errors are errors, not crashes', () => {
    assert.throws(() => run('quantity("nope")'), /invalid quantity/);
    assert.throws(() => run('[].min()'), /empty list/);
    assert.throws(() => run('self.nothing == 1'), /No such key: nothing/);
  });
});
