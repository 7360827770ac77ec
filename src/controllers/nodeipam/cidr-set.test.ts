import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CidrSet, clusterCIDRProblem } from './cidr-set.js';

test('node ranges are cut from the cluster range, lowest free first', () => {
  const cases: { name: string; cluster: string; mask: number; occupied: string[]; released?: string[]; want: (string | undefined)[] }[] = [
    { name: 'empty /16 in /24s', cluster: '10.42.0.0/16', mask: 24, occupied: [], want: ['10.42.0.0/24', '10.42.1.0/24', '10.42.2.0/24'] },
    { name: 'skips taken ranges', cluster: '10.42.0.0/16', mask: 24, occupied: ['10.42.0.0/24', '10.42.2.0/24'], want: ['10.42.1.0/24', '10.42.3.0/24'] },
    { name: 'a released range comes back first', cluster: '10.42.0.0/16', mask: 24, occupied: ['10.42.0.0/24', '10.42.1.0/24', '10.42.2.0/24'], released: ['10.42.1.0/24'], want: ['10.42.1.0/24', '10.42.3.0/24'] },
    { name: 'ranges outside the cluster range are ignored', cluster: '10.42.0.0/16', mask: 24, occupied: ['10.61.0.0/24', '10.42.0.0/25', 'junk'], want: ['10.42.0.0/24'] },
    { name: 'a full range gives nothing', cluster: '10.42.0.0/23', mask: 24, occupied: ['10.42.1.0/24'], want: ['10.42.0.0/24', undefined] },
    { name: 'another mask size', cluster: '192.168.0.0/24', mask: 26, occupied: ['192.168.0.0/26'], want: ['192.168.0.64/26', '192.168.0.128/26', '192.168.0.192/26', undefined] },
    { name: 'a range the size of the cluster range', cluster: '10.9.0.0/24', mask: 24, occupied: [], want: ['10.9.0.0/24', undefined] },
  ];
  for (const c of cases) {
    const set = new CidrSet(c.cluster, c.mask);
    for (const cidr of c.occupied) set.occupy(cidr);
    for (const cidr of c.released ?? []) set.release(cidr);
    assert.deepEqual(c.want.map(() => set.allocateNext()), c.want, c.name);
  }
});

test('occupy says whether a range is one of the set\'s blocks', () => {
  const set = new CidrSet('10.42.0.0/16', 24);
  assert.equal(set.occupy('10.42.7.0/24'), true);
  assert.equal(set.occupy('10.42.7.5/24'), false, 'host bits set');
  assert.equal(set.occupy('10.43.0.0/24'), false, 'outside');
  assert.equal(set.occupy('10.42.0.0/16'), false, 'another size');
  assert.equal(set.size, 256);
});

test('cluster ranges and mask sizes that do not go together', () => {
  const cases: [string, number, RegExp | undefined][] = [
    ['10.42.0.0/16', 24, undefined],
    ['junk', 24, /not an IPv4 CIDR/],
    ['fd00::/48', 64, /not an IPv4 CIDR/],
    ['10.42.0.0/16', 8, /between 16 and 30/],
    ['10.42.0.0/16', 31, /between 16 and 30/],
  ];
  for (const [cidr, mask, want] of cases) {
    const problem = clusterCIDRProblem(cidr, mask);
    if (want) assert.match(problem ?? '', want, `${cidr} /${mask}`);
    else assert.equal(problem, undefined, `${cidr} /${mask}`);
  }
});
