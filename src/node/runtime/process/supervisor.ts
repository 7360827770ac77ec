/**
 * The per-container supervisor: a small bash script that the runtime starts
 * in its own session for every container, so the container does not depend
 * on the agent — the agent may stop, crash or be killed, and the container
 * keeps running; the next agent finds it through the files the supervisor
 * keeps in the container's state directory:
 *
 *   cgroups   the cgroup.procs files to join (written by the runtime)
 *   mounts    bind mounts to make: `<source>\t<target>\t<ro|rw>` (root only:
 *             the supervisor then runs in the container's own mount namespace)
 *   workdir   the directory the command starts in
 *   stdout, stderr   FIFOs the runtime reads into the CRI log; the supervisor
 *             holds them open for writing, so the container never gets
 *             EPIPE while no agent reads (it blocks once the pipe is full)
 *   stdin     a FIFO the runtime writes to (containers with spec.stdin)
 *   tty       present when the command runs on a terminal (spec.tty)
 *   exit      the container's exit code, written when it ends
 *   ready     written once the supervisor hears SIGTERM (before, it would just
 *             die) and holds stdin's read end (before, closing the write end
 *             would lose what was written)
 *   supervisor.log   why the supervisor itself failed (exit code 125)
 *
 * SIGTERM to the process group reaches the container; the supervisor
 * ignores it once the command runs and waits for the real exit code (before
 * that, it notes the request and does not start the command at all).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const supervisorScript = `# skiff container supervisor: $1 is the container's state directory, the rest its command.
dir=$1; shift
stop=
trap 'stop=1' TERM INT
# The stdin FIFO is opened before saying ready: the runtime may close its end only after that.
if [ -p "$dir/stdin" ]; then
  if [ -e "$dir/stdin-once" ]; then exec 5<"$dir/stdin"; else exec 5<>"$dir/stdin"; fi
else
  exec 5</dev/null
fi
: > "$dir/ready"
exec 2>>"$dir/supervisor.log" </dev/null
while IFS= read -r procs; do echo 0 > "$procs" || exit 125; done < "$dir/cgroups"
if [ -s "$dir/mounts" ]; then
  while IFS=$'\\t' read -r src dst mode; do
    if [ -d "$src" ]; then mkdir -p "$dst" || exit 125; else [ -e "$dst" ] || { mkdir -p "$(dirname "$dst")" && : > "$dst"; } || exit 125; fi
    mount --bind "$src" "$dst" || exit 125
    if [ "$mode" = ro ]; then mount -o remount,bind,ro "$dst" || exit 125; fi
  done < "$dir/mounts"
fi
cd "$(cat "$dir/workdir")" || exit 125
exec 3<>"$dir/stdout" 4<>"$dir/stderr"
# A container with a terminal runs on a pseudo-terminal that util-linux script makes.
if [ -e "$dir/tty" ]; then set -- script --quiet --return --flush --command "$(printf '%q ' "$@")" /dev/null; fi
# Asked to stop before the command even started: it never runs.
if [ -n "$stop" ]; then echo 143 > "$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"; exit 0; fi
"$@" <&5 >&3 2>&4 3>&- 4>&- 5<&- &
child=$!
exec 5<&-
# From here on SIGTERM is the container's business: the supervisor just waits for its exit code.
trap '' TERM INT
wait $child; code=$?
echo $code > "$dir/exit.tmp" && mv "$dir/exit.tmp" "$dir/exit"
`;

/** Writes the script where supervisors are started from; returns its path. */
export function installSupervisor(stateDir: string): string {
  mkdirSync(stateDir, { recursive: true });
  const path = join(stateDir, 'supervisor.sh');
  writeFileSync(path, supervisorScript, { mode: 0o755 });
  return path;
}
