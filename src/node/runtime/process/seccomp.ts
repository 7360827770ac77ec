/**
 * seccomp for the process runtime: a container's profile, compiled here into
 * the classic BPF program the kernel runs on each of its syscalls, which the
 * pod shim loads just before the container's command (shim/seccomp.c).
 *
 *   securityContext.seccompProfile ─▶ profileFor()  ─▶ compileSeccomp() ─▶ spec `seccomp=<hex>`
 *     RuntimeDefault: runtimeDefaultProfile()          (syscall numbers from `skiff-shim syscalls`)
 *     Localhost: DIR/seccomp/<file>, the OCI JSON format the kubelet's Localhost profiles use
 *     Unconfined, none, or privileged: no filter
 *
 * The program: a syscall of another architecture is killed (and on x86_64
 * an x32 one refused); then one block
 * per rule and syscall name — the number, then the rule's argument
 * conditions — returning the rule's action; the profile's default action
 * last. The first rule that matches decides.
 *
 * RuntimeDefault here is skiff's own profile, a deny list: what containerd's
 * default profile keeps from a container without the capability that would
 * allow it (mounts, namespaces, modules, the clock, reboot, BPF, perf …),
 * and what it keeps from every container (the kernel keyring, io_uring and
 * syscalls no program needs). It fails those with EPERM; everything else is
 * allowed.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { endianness } from 'node:os';
import { join, normalize } from 'node:path';
import { capabilityNumbers } from './security.js';

/** A seccomp profile in the OCI runtime spec's JSON form (what Localhost profiles hold). */
export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  syscalls?: SeccompRule[];
}

export interface SeccompRule {
  names?: string[];
  /** The older form: one name. */
  name?: string;
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
}

/** A profile that cannot be compiled: the container cannot be created (CreateContainerError). */
export class SeccompProfileError extends Error {}

/** The machine's syscalls, as the pod shim was built for them. */
export interface SyscallTable {
  /** AUDIT_ARCH_* of this machine (seccomp_data.arch). */
  arch: number;
  numbers: Map<string, number>;
}

const EPERM = 1;
const ENOSYS = 38;

/** seccomp return values (linux/seccomp.h). */
const RET = { KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, TRACE: 0x7ff00000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000 };

/** Classic BPF opcodes (linux/filter.h). */
const BPF = { LD_W_ABS: 0x20, JEQ: 0x15, JGT: 0x25, JGE: 0x35, AND: 0x54, RET: 0x06 };

/** Where seccomp_data's fields are. */
const OFFSET = { nr: 0, arch: 4, args: 16 };

const AUDIT_ARCH_X86_64 = 0xc000003e;
/** x32 syscalls on x86_64 carry this bit: they are refused, as they would bypass rules on the 64-bit numbers. */
const X32_SYSCALL_BIT = 0x40000000;

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
const maxInstructions = 4096;

/** A profile file larger than this is refused (profiles are a few KiB). */
const maxProfileBytes = 1024 * 1024;

function actionValue(action: string, errnoRet: number | undefined, where: string): number {
  const data = (errnoRet ?? EPERM) & 0xffff;
  switch (action) {
    case 'SCMP_ACT_ALLOW':
      return RET.ALLOW;
    case 'SCMP_ACT_ERRNO':
      return RET.ERRNO | data;
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return RET.KILL_THREAD;
    case 'SCMP_ACT_KILL_PROCESS':
      return RET.KILL_PROCESS;
    case 'SCMP_ACT_TRAP':
      return RET.TRAP;
    case 'SCMP_ACT_TRACE':
      return RET.TRACE | data;
    case 'SCMP_ACT_LOG':
      return RET.LOG;
    default:
      throw new SeccompProfileError(`${where}: action ${JSON.stringify(action)} is not one skiff's process runtime can apply (SCMP_ACT_ALLOW, _ERRNO, _KILL, _KILL_PROCESS, _KILL_THREAD, _TRAP, _TRACE, _LOG)`);
  }
}

interface Instruction {
  code: number;
  k: number;
  /** Labels jumped to when the condition holds / does not; none: the next instruction. */
  whenTrue?: string;
  whenFalse?: string;
}

/** Instructions with symbolic jump targets, resolved to the 8-bit forward offsets BPF has. */
class Assembler {
  readonly instructions: Instruction[] = [];
  private readonly labels = new Map<string, number>();
  private next = 0;

  label(): string {
    return `L${this.next++}`;
  }

  place(label: string): void {
    this.labels.set(label, this.instructions.length);
  }

  load(offset: number): void {
    this.instructions.push({ code: BPF.LD_W_ABS, k: offset });
  }

  and(mask: number): void {
    this.instructions.push({ code: BPF.AND, k: mask >>> 0 });
  }

  jump(code: number, k: number, whenTrue?: string, whenFalse?: string): void {
    this.instructions.push({ code, k: k >>> 0, whenTrue, whenFalse });
  }

  ret(value: number): void {
    this.instructions.push({ code: BPF.RET, k: value >>> 0 });
  }

  /** The program as struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k each, in the machine's byte order. */
  bytes(): Buffer {
    if (this.instructions.length > maxInstructions) {
      throw new SeccompProfileError(`the seccomp profile compiles to ${this.instructions.length} BPF instructions, more than the kernel's ${maxInstructions}`);
    }
    const out = Buffer.alloc(this.instructions.length * 8);
    const little = endianness() === 'LE';
    this.instructions.forEach((instruction, index) => {
      const offset = (label: string | undefined) => {
        if (label === undefined) return 0;
        const distance = this.labels.get(label)! - (index + 1);
        if (distance < 0 || distance > 255) throw new SeccompProfileError('a rule of the seccomp profile compiles to a jump longer than BPF allows');
        return distance;
      };
      const at = index * 8;
      if (little) out.writeUInt16LE(instruction.code, at);
      else out.writeUInt16BE(instruction.code, at);
      out.writeUInt8(offset(instruction.whenTrue), at + 2);
      out.writeUInt8(offset(instruction.whenFalse), at + 3);
      if (little) out.writeUInt32LE(instruction.k, at + 4);
      else out.writeUInt32BE(instruction.k, at + 4);
    });
    return out;
  }
}

/** A JSON number as the unsigned 64-bit value it stands for (past 2^53 JSON numbers are approximate: the top is ~0). */
function unsigned64(value: number, where: string): bigint {
  if (!Number.isInteger(value) || value < 0) throw new SeccompProfileError(`${where}: ${value} is not an unsigned integer`);
  const big = BigInt(value);
  return big > 0xffffffffffffffffn ? 0xffffffffffffffffn : big;
}

const halves = (value: bigint) => ({ high: Number(value >> 32n), low: Number(value & 0xffffffffn) });

/**
 * One argument condition: falls through when it holds, jumps to `fail`
 * when it does not. Arguments are 64-bit, compared as two 32-bit halves
 * (the high one first), as libseccomp does.
 */
function condition(asm: Assembler, arg: NonNullable<SeccompRule['args']>[number], fail: string, where: string): void {
  if (!Number.isInteger(arg.index) || arg.index < 0 || arg.index > 5) throw new SeccompProfileError(`${where}: argument index ${arg.index} (0 to 5)`);
  const low = OFFSET.args + arg.index * 8;
  const high = low + 4;
  const value = halves(unsigned64(arg.value, where));
  const pass = asm.label();
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      asm.load(high);
      asm.jump(BPF.JEQ, value.high, undefined, fail);
      asm.load(low);
      asm.jump(BPF.JEQ, value.low, undefined, fail);
      break;
    case 'SCMP_CMP_NE':
      asm.load(high);
      asm.jump(BPF.JEQ, value.high, undefined, pass);
      asm.load(low);
      asm.jump(BPF.JEQ, value.low, fail, undefined);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      const wanted = halves(unsigned64(arg.valueTwo ?? 0, where));
      asm.load(high);
      asm.and(value.high);
      asm.jump(BPF.JEQ, wanted.high, undefined, fail);
      asm.load(low);
      asm.and(value.low);
      asm.jump(BPF.JEQ, wanted.low, undefined, fail);
      break;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
    case 'SCMP_CMP_LT':
    case 'SCMP_CMP_LE': {
      // Greater (or equal) decides on the high halves unless they are equal; LT and LE are the opposite of GE and GT.
      const greater = arg.op === 'SCMP_CMP_GT' || arg.op === 'SCMP_CMP_LE';
      const [above, notAbove] = arg.op === 'SCMP_CMP_GT' || arg.op === 'SCMP_CMP_GE' ? [pass, fail] : [fail, pass];
      asm.load(high);
      asm.jump(BPF.JGT, value.high, above, undefined);
      asm.jump(BPF.JEQ, value.high, undefined, notAbove);
      asm.load(low);
      asm.jump(greater ? BPF.JGT : BPF.JGE, value.low, above, notAbove);
      break;
    }
    default:
      throw new SeccompProfileError(`${where}: comparison ${JSON.stringify(arg.op)} is not one of SCMP_CMP_EQ, _NE, _LT, _LE, _GT, _GE, _MASKED_EQ`);
  }
  asm.place(pass);
}

/**
 * The profile as a BPF program for this machine. Syscall names this
 * machine does not have are skipped, as runc (through libseccomp) does.
 */
export function compileSeccomp(profile: SeccompProfile, table: SyscallTable): Buffer {
  if (typeof profile !== 'object' || profile === null || typeof profile.defaultAction !== 'string') {
    throw new SeccompProfileError('the seccomp profile has no defaultAction');
  }
  const asm = new Assembler();
  // Another architecture (a 32-bit program) would be filtered by the wrong numbers: it is killed.
  const ownArch = asm.label();
  asm.load(OFFSET.arch);
  asm.jump(BPF.JEQ, table.arch, ownArch, undefined);
  asm.ret(RET.KILL_PROCESS);
  asm.place(ownArch);
  if (table.arch === AUDIT_ARCH_X86_64) {
    const native = asm.label();
    asm.load(OFFSET.nr);
    asm.jump(BPF.JGE, X32_SYSCALL_BIT, undefined, native);
    asm.ret(RET.ERRNO | ENOSYS);
    asm.place(native);
  }
  (profile.syscalls ?? []).forEach((rule, index) => {
    const where = `syscalls[${index}]`;
    const names = rule.names ?? (rule.name ? [rule.name] : []);
    if (!Array.isArray(names) || names.some((name) => typeof name !== 'string')) throw new SeccompProfileError(`${where}: names must be a list of syscall names`);
    const action = actionValue(rule.action, rule.errnoRet, where);
    for (const name of names) {
      const number = table.numbers.get(name);
      if (number === undefined) continue;
      const next = asm.label();
      asm.load(OFFSET.nr);
      asm.jump(BPF.JEQ, number, undefined, next);
      for (const arg of rule.args ?? []) condition(asm, arg, next, `${where} (${name})`);
      asm.ret(action);
      asm.place(next);
    }
  });
  asm.ret(actionValue(profile.defaultAction, profile.defaultErrnoRet, 'defaultAction'));
  return asm.bytes();
}

/** Syscalls RuntimeDefault refuses to a container without the capability (none: to every container). */
const runtimeDefaultDenials: { names: string[]; unless?: string }[] = [
  { names: ['mount', 'umount', 'umount2', 'mount_setattr', 'move_mount', 'open_tree', 'fsopen', 'fsconfig', 'fsmount', 'fspick', 'pivot_root'], unless: 'SYS_ADMIN' },
  { names: ['setns', 'unshare', 'quotactl', 'quotactl_fd', 'fanotify_init', 'lookup_dcookie', 'swapon', 'swapoff', 'bpf', 'perf_event_open'], unless: 'SYS_ADMIN' },
  { names: ['create_module', 'delete_module', 'finit_module', 'init_module', 'get_kernel_syms', 'query_module'], unless: 'SYS_MODULE' },
  { names: ['kexec_file_load', 'kexec_load', 'reboot'], unless: 'SYS_BOOT' },
  { names: ['clock_adjtime', 'clock_settime', 'settimeofday', 'stime'], unless: 'SYS_TIME' },
  { names: ['iopl', 'ioperm'], unless: 'SYS_RAWIO' },
  { names: ['acct'], unless: 'SYS_PACCT' },
  { names: ['kcmp', 'process_vm_readv', 'process_vm_writev', 'userfaultfd'], unless: 'SYS_PTRACE' },
  { names: ['get_mempolicy', 'mbind', 'set_mempolicy', 'move_pages'], unless: 'SYS_NICE' },
  { names: ['syslog'], unless: 'SYSLOG' },
  { names: ['vhangup'], unless: 'SYS_TTY_CONFIG' },
  { names: ['open_by_handle_at'], unless: 'DAC_READ_SEARCH' },
  // The kernel keyring is not namespaced; io_uring has bypassed seccomp and audit; the rest no program needs.
  { names: ['add_key', 'keyctl', 'request_key', 'io_uring_setup', 'io_uring_enter', 'io_uring_register', 'nfsservctl', 'sysfs', '_sysctl', 'uselib', 'ustat', 'vm86', 'vm86old'] },
];

/** clone's flags for new namespaces (linux/sched.h): NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
const cloneNamespaceFlags = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

/** skiff's RuntimeDefault for a container with these capabilities (numbers): see the file's comment. */
export function runtimeDefaultProfile(capabilities: number[]): SeccompProfile {
  const has = (name: string) => capabilities.includes(capabilityNumbers[name]);
  const syscalls: SeccompRule[] = runtimeDefaultDenials.filter((denial) => !denial.unless || !has(denial.unless)).map((denial) => ({ names: denial.names, action: 'SCMP_ACT_ERRNO' }));
  if (!has('SYS_ADMIN')) {
    // clone makes no new namespace (flags on its first argument); clone3 hides its flags in memory, so it is "not there",
    // and the C library falls back to clone.
    syscalls.push(
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: cloneNamespaceFlags, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['clone'], action: 'SCMP_ACT_ERRNO' },
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS },
    );
  }
  return { defaultAction: 'SCMP_ACT_ALLOW', syscalls };
}

/** A Localhost profile: a JSON file under the node's seccomp profile root (never outside it). */
export function readLocalhostProfile(root: string, name: string): SeccompProfile {
  const path = normalize(join(root, name));
  if (!path.startsWith(`${normalize(root)}/`)) throw new SeccompProfileError(`seccomp profile ${JSON.stringify(name)} is outside the node's profile directory ${root}`);
  let text: string;
  try {
    if (statSync(path).size > maxProfileBytes) throw new SeccompProfileError(`seccomp profile ${path} is larger than ${maxProfileBytes / 1024} KiB`);
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof SeccompProfileError) throw err;
    throw new SeccompProfileError(`cannot load seccomp profile "${path}": ${(err as Error).message}`);
  }
  try {
    return JSON.parse(text) as SeccompProfile;
  } catch (err) {
    throw new SeccompProfileError(`seccomp profile ${path} is not JSON: ${(err as Error).message}`);
  }
}

const tables = new Map<string, SyscallTable>();

/** The syscall table the shim binary was built with (`skiff-shim syscalls`), asked once per binary. */
export function syscallTable(shimBinary: string): SyscallTable {
  let table = tables.get(shimBinary);
  if (!table) {
    const lines = execFileSync(shimBinary, ['syscalls'], { encoding: 'utf8' }).split('\n');
    const arch = Number(/^arch (\d+)$/.exec(lines[0] ?? '')?.[1]);
    if (!arch) throw new SeccompProfileError(`${shimBinary} does not know this machine's architecture: seccomp profiles cannot be applied here`);
    const numbers = new Map<string, number>();
    for (const line of lines.slice(1)) {
      const [name, number] = line.split(' ');
      if (name && /^\d+$/.test(number ?? '')) numbers.set(name, Number(number));
    }
    tables.set(shimBinary, (table = { arch, numbers }));
  }
  return table;
}
