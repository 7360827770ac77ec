/** The node's sysctl allowlist: what the kubelet admits, and the words it rejects with. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { namespaceOfSysctl, normalizeSysctlName, safeSysctlAllowlist, SysctlAllowlist } from './sysctls.js';

describe('safeSysctlAllowlist', () => {
  it("is upstream's v1.32 list on a recent kernel, and leaves out what an old kernel does not namespace", () => {
    assert.deepEqual(safeSysctlAllowlist([6, 1]), [
      'kernel.shm_rmid_forced',
      'net.ipv4.ip_local_port_range',
      'net.ipv4.tcp_syncookies',
      'net.ipv4.ping_group_range',
      'net.ipv4.ip_unprivileged_port_start',
      'net.ipv4.ip_local_reserved_ports',
      'net.ipv4.tcp_keepalive_time',
      'net.ipv4.tcp_fin_timeout',
      'net.ipv4.tcp_keepalive_intvl',
      'net.ipv4.tcp_keepalive_probes',
      'net.ipv4.tcp_rmem',
      'net.ipv4.tcp_wmem',
    ]);
    const old = safeSysctlAllowlist([4, 5]);
    assert.ok(old.includes('net.ipv4.tcp_keepalive_time') && !old.includes('net.ipv4.tcp_fin_timeout') && !old.includes('net.ipv4.tcp_rmem'));
    assert.equal(safeSysctlAllowlist(null).length, 5, 'an unknown kernel gets the ones any kernel namespaces');
  });
});

describe('sysctl names', () => {
  for (const [name, normalized] of [
    ['net.ipv4.tcp_syncookies', 'net.ipv4.tcp_syncookies'],
    ['net/ipv4/tcp_syncookies', 'net.ipv4.tcp_syncookies'],
    ['net/ipv4/conf/eno2.100/rp_filter', 'net.ipv4.conf.eno2/100.rp_filter'],
    ['net.ipv4.conf.eno2/100.rp_filter', 'net.ipv4.conf.eno2/100.rp_filter'],
  ]) {
    it(`${name} is ${normalized}`, () => assert.equal(normalizeSysctlName(name), normalized));
  }
  for (const [name, namespace] of [
    ['kernel.shm_rmid_forced', 'IPC'],
    ['kernel.msgmax', 'IPC'],
    ['kernel.sem', 'IPC'],
    ['fs.mqueue.msg_max', 'IPC'],
    ['net.core.somaxconn', 'Net'],
    ['kernel.semaphore', undefined],
    ['vm.swappiness', undefined],
    ['kernel.pid_max', undefined],
  ] as const) {
    it(`${name} is in the ${namespace ?? 'no'} namespace`, () => assert.equal(namespaceOfSysctl(name), namespace));
  }
});

describe('SysctlAllowlist', () => {
  const allowlist = new SysctlAllowlist(['net.core.somaxconn', 'kernel.msg*'], safeSysctlAllowlist([6, 1]));
  const cases: { name: string; sysctls: string[]; hostNetwork?: boolean; hostIPC?: boolean; rejected?: string }[] = [
    { name: 'no sysctls', sysctls: [] },
    { name: 'a safe sysctl', sysctls: ['net.ipv4.ip_unprivileged_port_start'] },
    { name: 'a safe sysctl written with slashes', sysctls: ['net/ipv4/tcp_syncookies'] },
    { name: 'an unsafe sysctl the node allows', sysctls: ['net.core.somaxconn'] },
    { name: 'an unsafe sysctl under an allowed prefix', sysctls: ['kernel.msgmax'] },
    { name: 'an unsafe sysctl not allowed', sysctls: ['kernel.shm_rmid_forced', 'net.core.rmem_max'], rejected: 'Pod was rejected: forbidden sysctl: "net.core.rmem_max" not allowlisted' },
    { name: 'a node-wide sysctl', sysctls: ['vm.swappiness'], rejected: 'Pod was rejected: forbidden sysctl: "vm.swappiness" not allowlisted' },
    { name: 'a net sysctl on the host network', sysctls: ['net.ipv4.ip_local_port_range'], hostNetwork: true, rejected: 'Pod was rejected: forbidden sysctl: "net.ipv4.ip_local_port_range" not allowed with host Net enabled' },
    { name: 'an IPC sysctl with the host IPC', sysctls: ['kernel.msgmax'], hostIPC: true, rejected: 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowed with host IPC enabled' },
    { name: 'an IPC sysctl on the host network', sysctls: ['kernel.shm_rmid_forced'], hostNetwork: true },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.rejected ? 'rejected' : 'admitted'}`, () => {
      const pod = { spec: { hostNetwork: c.hostNetwork, hostIPC: c.hostIPC, securityContext: { sysctls: c.sysctls.map((name) => ({ name, value: '1' })) } } };
      assert.deepEqual(allowlist.admit(pod), c.rejected ? { reason: 'SysctlForbidden', message: c.rejected } : undefined);
    });
  }

  it('refuses patterns that are not namespaced sysctls, as the kubelet refuses to start with them', () => {
    for (const bad of ['kernel.*', 'vm.swappiness', 'net.core.*.x', '*', 'Net.core.somaxconn', '']) {
      assert.throws(() => new SysctlAllowlist([bad]), /sysctl pattern/, bad);
    }
    assert.doesNotThrow(() => new SysctlAllowlist(['net.*', 'fs.mqueue.*', 'kernel.sem', 'kernel.shm*', 'net/core/somaxconn']));
  });
});
