#!/usr/bin/env node
// Builds skiff-shim, the process runtime's native helper (src/node/runtime/process/shim/),
// into dist/shim/skiff-shim with the machine's C compiler ($CC, else cc).
// Skipped when the binary is newer than every source file. Without a compiler it warns and goes on.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'src', 'node', 'runtime', 'process', 'shim');
const sources = readdirSync(sourceDir).filter((f) => f.endsWith('.c') || f.endsWith('.h')).map((f) => join(sourceDir, f));
const output = join(root, 'dist', 'shim', 'skiff-shim');
const newest = Math.max(...sources.map((f) => statSync(f).mtimeMs), statSync(fileURLToPath(import.meta.url)).mtimeMs);
if (existsSync(output) && statSync(output).mtimeMs > newest) process.exit(0);
mkdirSync(dirname(output), { recursive: true });
const compiler = process.env.CC || 'cc';
try {
  // The machine's syscall names and numbers, from the C library's own headers (what `skiff-shim syscalls` prints
  // for the seccomp compiler): every __NR_ macro <sys/syscall.h> defines, one table entry each.
  const generated = join(dirname(output), 'generated');
  mkdirSync(generated, { recursive: true });
  const macros = execFileSync(compiler, ['-dM', '-E', '-x', 'c', '-'], { input: '#include <sys/syscall.h>\n', encoding: 'utf8' });
  const names = [...macros.matchAll(/^#define __NR_(\w+) /gm)].map((match) => match[1]).sort();
  writeFileSync(join(generated, 'syscall-table.h'), names.map((name) => `{"${name}", __NR_${name}},\n`).join(''));
  execFileSync(compiler, ['-O2', '-Wall', '-Wextra', '-I', generated, '-o', output, ...sources.filter((f) => f.endsWith('.c'))], { stdio: 'inherit' });
} catch {
  // Not fatal: the rest of skiff (the control plane, simulated nodes) runs without it, and the
  // process runtime says at start that it is missing.
  console.error(`warning: building skiff-shim with ${compiler} failed — the process runtime needs it (install a C compiler, e.g. Debian's gcc, and run npm run build)`);
}
