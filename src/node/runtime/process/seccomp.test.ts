/**
 * The seccomp compiler, run on a small classic-BPF interpreter (the
 * instructions compileSeccomp emits): which action each syscall and
 * arguments get. The kernel's own verdicts are runtime.test.ts's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileSeccomp, readLocalhostProfile, runtimeDefaultProfile, SeccompProfileError, type SeccompProfile, type SyscallTable } from './seccomp.js';
import { capabilityNumbers, defaultCapabilities } from './security.js';

const x86_64 = 0xc000003e;
const table: SyscallTable = { arch: x86_64, numbers: new Map([['read', 0], ['mkdir', 83], ['clone', 56], ['clone3', 435], ['unshare', 272], ['mount', 165], ['keyctl', 250], ['personality', 135], ['reboot', 169]]) };

/** Runs the program on one syscall (seccomp_data: nr, arch, args) and returns what it returns. */
function verdict(program: Buffer, call: { nr: number; arch?: number; args?: bigint[] }): number {
  const word = (offset: number): number => {
    if (offset === 0) return call.nr;
    if (offset === 4) return call.arch ?? x86_64;
    const index = Math.floor((offset - 16) / 8);
    const value = call.args?.[index] ?? 0n;
    return Number((offset - 16) % 8 === 0 ? value & 0xffffffffn : value >> 32n);
  };
  let a = 0;
  for (let pc = 0; pc * 8 < program.length; pc++) {
    const code = program.readUInt16LE(pc * 8);
    const jt = program.readUInt8(pc * 8 + 2);
    const jf = program.readUInt8(pc * 8 + 3);
    const k = program.readUInt32LE(pc * 8 + 4);
    if (code === 0x20) a = word(k);
    else if (code === 0x54) a = (a & k) >>> 0;
    else if (code === 0x06) return k;
    else if (code === 0x15) pc += a === k ? jt : jf;
    else if (code === 0x25) pc += a > k ? jt : jf;
    else if (code === 0x35) pc += a >= k ? jt : jf;
    else assert.fail(`unexpected opcode ${code}`);
  }
  return assert.fail('the program ran off its end');
}

const ALLOW = 0x7fff0000;
const errno = (n: number) => 0x00050000 | n;
const KILL_PROCESS = 0x80000000;

describe('compileSeccomp', () => {
  const profile: SeccompProfile = {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 38,
    syscalls: [
      { names: ['read', 'not-on-this-machine'], action: 'SCMP_ACT_ALLOW' },
      { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      { name: 'personality', action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, op: 'SCMP_CMP_EQ' }] },
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0x7e020000, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['reboot'], action: 'SCMP_ACT_ALLOW', args: [{ index: 1, value: 0x1_0000_0005, op: 'SCMP_CMP_GT' }, { index: 2, value: 100, op: 'SCMP_CMP_LE' }] },
      { names: ['mount'], action: 'SCMP_ACT_ALLOW', args: [{ index: 3, value: 7, op: 'SCMP_CMP_NE' }] },
    ],
  };
  const program = compileSeccomp(profile, table);
  const cases: { name: string; call: { nr: number; arch?: number; args?: bigint[] }; expected: number }[] = [
    { name: 'a syscall the profile allows', call: { nr: 0 }, expected: ALLOW },
    { name: 'one it refuses with its own errno', call: { nr: 83 }, expected: errno(13) },
    { name: 'one it does not name: the default action', call: { nr: 250 }, expected: errno(38) },
    { name: 'EQ that holds', call: { nr: 135, args: [8n] }, expected: ALLOW },
    { name: 'EQ on the low half only is not enough', call: { nr: 135, args: [0x1_0000_0008n] }, expected: errno(38) },
    { name: 'MASKED_EQ: no namespace flag', call: { nr: 56, args: [0x11n] }, expected: ALLOW },
    { name: 'MASKED_EQ: CLONE_NEWUSER', call: { nr: 56, args: [0x10000000n] }, expected: errno(38) },
    { name: 'GT on the high half', call: { nr: 169, args: [0n, 0x2_0000_0000n, 1n] }, expected: ALLOW },
    { name: 'GT: equal high halves, larger low half', call: { nr: 169, args: [0n, 0x1_0000_0006n, 100n] }, expected: ALLOW },
    { name: 'GT: equal value is not greater', call: { nr: 169, args: [0n, 0x1_0000_0005n, 1n] }, expected: errno(38) },
    { name: 'GT holds but LE does not', call: { nr: 169, args: [0n, 0x2_0000_0000n, 101n] }, expected: errno(38) },
    { name: 'NE: another value', call: { nr: 165, args: [0n, 0n, 0n, 8n] }, expected: ALLOW },
    { name: 'NE: the same value', call: { nr: 165, args: [0n, 0n, 0n, 7n] }, expected: errno(38) },
    { name: 'NE: same low half, other high half', call: { nr: 165, args: [0n, 0n, 0n, 0x1_0000_0007n] }, expected: ALLOW },
    { name: 'another architecture is killed', call: { nr: 0, arch: 0x40000003 }, expected: KILL_PROCESS },
    { name: 'an x32 syscall is refused', call: { nr: 0x40000000 }, expected: errno(38) },
  ];
  for (const c of cases) it(c.name, () => assert.equal(verdict(program, c.call), c.expected));

  it('refuses what it cannot compile, saying where', () => {
    const bad: [SeccompProfile, RegExp][] = [
      [{} as SeccompProfile, /no defaultAction/],
      [{ defaultAction: 'SCMP_ACT_NOTIFY' }, /defaultAction: action "SCMP_ACT_NOTIFY" is not one/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 6, value: 0, op: 'SCMP_CMP_EQ' }] }] }, /syscalls\[0\] \(read\): argument index 6/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ALMOST' }] }] }, /comparison "SCMP_CMP_ALMOST"/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: 'read' as unknown as string[], action: 'SCMP_ACT_ALLOW' }] }, /syscalls\[0\]: names must be a list/],
      [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: Array.from({ length: 3000 }, () => ({ names: ['read'], action: 'SCMP_ACT_ALLOW' })) }, /more than the kernel's 4096/],
    ];
    for (const [profile, message] of bad) assert.throws(() => compileSeccomp(profile, table), (err: Error) => err instanceof SeccompProfileError && message.test(err.message));
  });
});

describe('runtimeDefaultProfile', () => {
  const defaults = defaultCapabilities.map((name) => capabilityNumbers[name]);
  const program = compileSeccomp(runtimeDefaultProfile(defaults), table);
  const cases: { name: string; call: { nr: number; args?: bigint[] }; expected: number }[] = [
    { name: 'read is allowed', call: { nr: 0 }, expected: ALLOW },
    { name: 'unshare is refused', call: { nr: 272 }, expected: errno(1) },
    { name: 'mount is refused', call: { nr: 165 }, expected: errno(1) },
    { name: 'the keyring is refused', call: { nr: 250 }, expected: errno(1) },
    { name: 'clone of a thread is allowed', call: { nr: 56, args: [0x3d0f00n] }, expected: ALLOW },
    { name: 'clone into a new network namespace is refused', call: { nr: 56, args: [0x40000000n] }, expected: errno(1) },
    { name: 'clone3 is "not there" (the C library falls back to clone)', call: { nr: 435 }, expected: errno(38) },
  ];
  for (const c of cases) it(c.name, () => assert.equal(verdict(program, c.call), c.expected));

  it('allows what a capability the container has allows (CAP_SYS_ADMIN: mount, unshare, clone3)', () => {
    const admin = compileSeccomp(runtimeDefaultProfile([...defaults, capabilityNumbers.SYS_ADMIN]), table);
    for (const nr of [165, 272, 435]) assert.equal(verdict(admin, { nr }), ALLOW);
    assert.equal(verdict(admin, { nr: 56, args: [0x40000000n] }), ALLOW);
    assert.equal(verdict(admin, { nr: 250 }), errno(1), 'the keyring stays refused');
  });
});

describe('readLocalhostProfile', () => {
  it('reads JSON under the root, and refuses a path outside it, a missing file and a file that is not JSON', (t) => {
    const root = mkdtempSync(join(tmpdir(), 'skiff-seccomp-root-'));
    t.after(() => rmSync(root, { recursive: true, force: true }));
    writeFileSync(join(root, 'ok.json'), '{"defaultAction":"SCMP_ACT_ALLOW"}');
    writeFileSync(join(root, 'bad.json'), 'not json');
    assert.deepEqual(readLocalhostProfile(root, 'ok.json'), { defaultAction: 'SCMP_ACT_ALLOW' });
    assert.throws(() => readLocalhostProfile(root, '../../etc/passwd'), /outside the node's profile directory/);
    assert.throws(() => readLocalhostProfile(root, 'missing.json'), /cannot load seccomp profile ".*missing\.json": ENOENT/);
    assert.throws(() => readLocalhostProfile(root, 'bad.json'), /is not JSON/);
  });
});
