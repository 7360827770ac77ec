/** The /proc and cgroup parsers, on fixture text as the kernel writes it. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  deviceOfPath,
  isIgnoredInterface,
  parseFlatKeyed,
  parseMeminfo,
  parseNetDev,
  parsePidCgroup,
  parsePidStat,
  parsePidStatus,
  parseProcStat,
} from './proc-parse.js';
import { meminfoFixture, netDevFixture, procStatFixture } from './proc-fixtures.js';

describe('parseProcStat', () => {
  it('counts busy time (all but idle and iowait) in nanoseconds, and the cpus', () => {
    const cpu = parseProcStat(procStatFixture)!;
    // user+nice+system+irq+softirq+steal = 10132153+290696+3084719+0+25195+0 ticks of 10 ms.
    assert.equal(cpu.busyNanos, (10132153 + 290696 + 3084719 + 25195) * 1e7);
    assert.equal(cpu.cores, 2);
  });

  it('gives nothing for junk', () => {
    assert.equal(parseProcStat('nonsense'), undefined);
    assert.equal(parseProcStat('cpu  a b c d'), undefined);
  });
});

describe('parseMeminfo', () => {
  it('reads kB fields as bytes and counts as they are', () => {
    const memory = parseMeminfo(meminfoFixture);
    assert.equal(memory.MemTotal, 16314180 * 1024);
    assert.equal(memory['Inactive(file)'], 3983440 * 1024);
    assert.equal(memory.HugePages_Total, 0);
  });
});

describe('parseNetDev', () => {
  it('reads received and transmitted bytes per interface', () => {
    assert.deepEqual(parseNetDev(netDevFixture), [
      { name: 'lo', rxBytes: 4398012, txBytes: 4398012 },
      { name: 'eth0', rxBytes: 987654321, txBytes: 123456789 },
      { name: 'vethab12cd', rxBytes: 1000, txBytes: 2000 },
      { name: 'cni0', rxBytes: 5000, txBytes: 6000 },
    ]);
    assert.deepEqual(parseNetDev('header\nheader\n  eth0: 1 2 3\nbroken line\n'), []);
  });

  it("ignores cadvisor's interfaces", () => {
    assert.deepEqual(
      ['lo', 'eth0', 'veth1234', 'docker0', 'nerdctl0', 'cni0', 'Veth9'].filter((name) => !isIgnoredInterface(name)),
      ['eth0', 'cni0'],
    );
  });
});

describe('parsePidStat', () => {
  it('counts fields after the last parenthesis of comm', () => {
    const stat = '4242 (my (odd) proc) S 4200 4242 4242 0 -1 4194560 1234 0 0 0 150 50 7 3 20 0 1 0 12345 1000000 500 18446744073709551615';
    assert.deepEqual(parsePidStat(stat), { ppid: 4200, cpuNanos: (150 + 50 + 7 + 3) * 1e7 });
  });

  it('gives nothing for junk', () => {
    assert.equal(parsePidStat('no parenthesis'), undefined);
    assert.equal(parsePidStat('1 (x) S'), undefined);
  });
});

describe('parsePidStatus', () => {
  it('reads resident, anonymous and swapped memory', () => {
    const status = 'Name:\tnode\nVmRSS:\t   51200 kB\nRssAnon:\t   40960 kB\nRssFile:\t   10240 kB\nVmSwap:\t     128 kB\n';
    assert.deepEqual(parsePidStatus(status), { rssBytes: 51200 * 1024, anonBytes: 40960 * 1024, swapBytes: 128 * 1024 });
    assert.deepEqual(parsePidStatus('Name:\tkthreadd\n'), { rssBytes: 0, anonBytes: 0, swapBytes: 0 });
  });
});

describe('parsePidCgroup', () => {
  it('reads the unified path and the v1 controllers', () => {
    assert.deepEqual(parsePidCgroup('0::/skiff/uid-1/c1\n'), { unified: '/skiff/uid-1/c1', controllers: {} });
    assert.deepEqual(parsePidCgroup('12:memory:/skiff/u/c\n4:cpu,cpuacct:/skiff/u/c\n1:name=systemd:/user.slice\n0::/\n'), {
      unified: '/',
      controllers: { memory: '/skiff/u/c', cpu: '/skiff/u/c', cpuacct: '/skiff/u/c', 'name=systemd': '/user.slice' },
    });
  });
});

describe('parseFlatKeyed', () => {
  it('reads key value lines', () => {
    assert.deepEqual(parseFlatKeyed('anon 4096\nfile 8192\ninactive_file 1024\nbad line here\n'), { anon: 4096, file: 8192, inactive_file: 1024 });
  });
});

describe('deviceOfPath', () => {
  it('finds the longest mount point holding the path, with escapes', () => {
    const mounts = [
      '/dev/sda1 / ext4 rw,relatime 0 0',
      'tmpfs /run tmpfs rw 0 0',
      '/dev/sdb1 /var/lib/skiff ext4 rw 0 0',
      '/dev/sdc1 /mnt/with\\040space xfs rw 0 0',
    ].join('\n');
    assert.equal(deviceOfPath(mounts, '/var/lib/skiff/data'), '/dev/sdb1');
    assert.equal(deviceOfPath(mounts, '/var/lib/skiffy'), '/dev/sda1');
    assert.equal(deviceOfPath(mounts, '/mnt/with space/x'), '/dev/sdc1');
    assert.equal(deviceOfPath('', '/x'), undefined);
  });
});
