/*
 * `skiff-shim exec CONTAINER_DIR PID TERMINAL -- COMMAND…`: one command run
 * inside a running container, as the container itself runs — what `runc
 * exec` is to containerd. The agent starts it for `kubectl exec`, for exec
 * probes and for exec lifecycle hooks; it ends with the command's exit code
 * (128 + N for signal N).
 *
 *   CONTAINER_DIR  the container's state directory: its `spec` (container.c)
 *                  gives the environment, working directory, cgroups, user,
 *                  groups, capabilities and no_new_privs the command gets —
 *                  the container's own, so an exec is never more privileged
 *                  than the container;
 *   PID            the container's main process on the node, whose
 *                  namespaces (user, IPC, UTS, network, PID, mount) and root the
 *                  command joins; `-` for a pod that shares the node's;
 *   TERMINAL       `-`, or `ROWSxCOLS`: the command runs on a new
 *                  pseudo-terminal of that size, which this process relays
 *                  to its own stdin and stdout; lines `ROWS COLS` on fd 3
 *                  resize it.
 *
 * Why the command did not start (no such program, a working directory that
 * is gone) is written to fd 4 when it is open — the agent tells it apart
 * from the command's own output there — and to stderr otherwise; the exit
 * code is then 126 (or 127 for a program not found), as a shell's.
 *
 * The command is a child of this process (joining a PID namespace takes a
 * fork) and is killed with it (PR_SET_PDEATHSIG): the agent ends an exec by
 * killing this process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include "shim.h"

#define CONTROL_FD 3
#define REPORT_FD 4

/*
 * The namespaces a command joins, in the order joined: the user namespace
 * first (a rootless pod's: in it, this process may join the others), the
 * mount namespace last, while the node's /proc still names the others.
 */
static const struct { const char *name; int type; } namespaces[] = {
    {"user", CLONE_NEWUSER}, {"ipc", CLONE_NEWIPC}, {"uts", CLONE_NEWUTS}, {"net", CLONE_NEWNET}, {"pid", CLONE_NEWPID}, {"mnt", CLONE_NEWNS},
};
#define NAMESPACES (sizeof namespaces / sizeof *namespaces)

static int fd_open(int fd) { return fcntl(fd, F_GETFD) >= 0; }

/* Why the command could not start: on fd 4 for the agent, or stderr. */
static int refuse(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(int code, const char *fmt, ...) {
  char message[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  int fd = fd_open(REPORT_FD) ? REPORT_FD : 2;
  write_all(fd, message, strlen(message));
  if (fd == 2) write_all(2, "\n", 1);
  return code;
}

static int parse_size(const char *text, struct winsize *size) {
  unsigned rows, cols;
  char extra;
  if (sscanf(text, "%ux%u%c", &rows, &cols, &extra) != 2 || !rows || !cols || rows > 1000 || cols > 1000) return -1;
  memset(size, 0, sizeof *size);
  size->ws_row = rows, size->ws_col = cols;
  return 0;
}

/*
 * Opens the target's namespaces and root before joining any: once in its
 * mount namespace, /proc/PID may name another process or none. A namespace
 * this process shares already is skipped (setns into one's own is not
 * always allowed, and costs).
 */
static int open_target(pid_t pid, int fds[NAMESPACES], int *root) {
  char path[64];
  for (size_t i = 0; i < NAMESPACES; i++) {
    struct stat theirs, ours;
    snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, namespaces[i].name);
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) return -1;
    snprintf(path, sizeof path, "/proc/self/ns/%s", namespaces[i].name);
    if (fstat(fds[i], &theirs) == 0 && stat(path, &ours) == 0 && theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
      close(fds[i]);
      fds[i] = -1;
    }
  }
  snprintf(path, sizeof path, "/proc/%d/root", (int)pid);
  *root = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return *root < 0 ? -1 : 0;
}

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/*
 * A new pseudo-terminal for the command, from the container's own devpts
 * (its dev/pts/ptmx, reached through its root, `root`) so that the command
 * finds its terminal at /dev/pts/N there — `tty`, ttyname and ps name it,
 * as after runc exec; from the node's /dev/ptmx for a pod on the node's file
 * system, or a container without a devpts of its own. The other side is
 * opened from the master (TIOCGPTPEER), a path in neither mount namespace;
 * kernels before 4.13 open it by its number under the same devpts.
 */
static int open_terminal(int root, int *master, int *slave) {
  int own = root >= 0;
  *master = own ? openat(root, "dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC) : -1;
  if (*master < 0) {
    own = 0;
    *master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  }
  if (*master < 0 || unlockpt(*master)) return -1;
  *slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (*slave >= 0) return 0;
  unsigned int number;
  if (ioctl(*master, TIOCGPTN, &number)) return -1;
  char name[64];
  snprintf(name, sizeof name, "%s/pts/%u", own ? "dev" : "/dev", number);
  *slave = own ? openat(root, name, O_RDWR | O_NOCTTY | O_CLOEXEC) : open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  return *slave < 0 ? -1 : 0;
}

/* The child: its session and terminal, the container's root, directory and identity, then the command. */
static void __attribute__((noreturn)) become_command(struct container_spec *spec, char **argv, int root, int terminal, int report) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  if (terminal >= 0) {
    if (setsid() < 0 || ioctl(terminal, TIOCSCTTY, 0)) fail(report, "terminal: %s", strerror(errno));
    /* The command's user owns its terminal, as after a login (best effort: a user namespace may not map it). */
    if (spec->has_user && fchown(terminal, spec->uid, (gid_t)-1)) errno = 0;
    if (dup2(terminal, 0) < 0 || dup2(terminal, 1) < 0 || dup2(terminal, 2) < 0) fail(report, "terminal: %s", strerror(errno));
    if (terminal > 2) close(terminal);
  }
  /* The container's root, as its processes see it (after a pivot_root the mount namespace's root is it already; a chroot'd one is not). */
  if (root >= 0 && (fchdir(root) || chroot("."))) fail(report, "enter the container's root: %s", strerror(errno));
  if (chdir(spec->cwd)) fail(report, "chdir to %s: %s", spec->cwd, strerror(errno));
  take_identity(spec, report);
  /* Set after the change of user, which clears it: the command ends with this process. */
  prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
  spec->envp[spec->envc] = NULL;
  environ = spec->envp;
  execvp(argv[0], argv);
  if (errno == ENOENT && !strchr(argv[0], '/')) fail(report, "exec: \"%s\": executable file not found in $PATH", argv[0]);
  fail(report, "exec: \"%s\": %s", argv[0], strerror(errno));
}

/* Applies the resize lines (`ROWS COLS`) waiting on fd 3. Returns -1 once it has ended. */
static int read_resizes(int control, int master, char *pending, size_t *length, size_t capacity) {
  ssize_t n = read(control, pending + *length, capacity - 1 - *length);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return 0;
  if (n <= 0) return -1;
  *length += n;
  pending[*length] = '\0';
  char *line = pending, *newline;
  while ((newline = strchr(line, '\n'))) {
    *newline = '\0';
    unsigned rows, cols;
    if (sscanf(line, "%u %u", &rows, &cols) == 2 && rows && cols && rows <= 1000 && cols <= 1000) {
      struct winsize size = {.ws_row = rows, .ws_col = cols};
      ioctl(master, TIOCSWINSZ, &size);
    }
    line = newline + 1;
  }
  *length -= line - pending;
  memmove(pending, line, *length);
  /* A line longer than the buffer is nonsense: dropped. */
  if (*length >= capacity - 1) *length = 0;
  return 0;
}

/*
 * Between our stdin/stdout and the terminal's master side, until the
 * command has ended and its output is read. Writes to stdout block: a slow
 * client slows the command, no buffer grows.
 */
static void relay_terminal(int master, pid_t child) {
  int pidfd = syscall(SYS_pidfd_open, child, 0);
  int control = fd_open(CONTROL_FD) ? CONTROL_FD : -1, input = 0, ended = 0;
  char buffer[16384], pending[256];
  size_t pending_length = 0;
  fcntl(master, F_SETFL, O_NONBLOCK);
  for (;;) {
    struct pollfd fds[4] = {{master, POLLIN, 0}, {input, POLLIN, 0}, {control, POLLIN, 0}, {pidfd, POLLIN, 0}};
    /* Without a pidfd (before Linux 5.3), the command's end is looked for every 100 ms. */
    int ready = poll(fds, 4, ended ? 0 : pidfd < 0 ? 100 : -1);
    if (ready < 0 && errno != EINTR) break;
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(master, buffer, sizeof buffer);
      if (n > 0) {
        if (write_all(1, buffer, n)) break;
        continue;
      }
      /* EIO: no one holds the terminal any more. */
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) break;
    }
    if (ended) break; /* ended, and its output drained */
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      ssize_t n = read(input, buffer, sizeof buffer);
      if (n > 0) write_all(master, buffer, n);
      else if (n == 0 || errno != EINTR) input = -1; /* stdin closed: the terminal stays */
    }
    if (control >= 0 && (fds[2].revents & (POLLIN | POLLHUP | POLLERR)) && read_resizes(control, master, pending, &pending_length, sizeof pending)) control = -1;
    if (pidfd >= 0) {
      if (fds[3].revents & POLLIN) ended = 1;
    } else {
      siginfo_t info = {0};
      if (waitid(P_PID, child, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == child) ended = 1;
    }
  }
  if (pidfd >= 0) close(pidfd);
}

int run_exec(int argc, char **argv) {
  if (argc < 6 || strcmp(argv[4], "--")) {
    fprintf(stderr, "usage: skiff-shim exec CONTAINER_DIR PID|- ROWSxCOLS|- -- COMMAND...\n");
    return 126;
  }
  const char *dir = argv[1], *target = argv[2], *terminal_size = argv[3];
  char **command = argv + 5;
  static struct container_spec spec;
  char error[1024];
  if (read_container_spec(dir, &spec, error, sizeof error)) return refuse(126, "%s", error);
  int ns[NAMESPACES], root = -1;
  for (size_t i = 0; i < NAMESPACES; i++) ns[i] = -1;
  if (strcmp(target, "-")) {
    char *end;
    long pid = strtol(target, &end, 10);
    if (*end || pid <= 0 || open_target(pid, ns, &root)) return refuse(126, "the container's process %s is gone: %s", target, strerror(errno));
  }
  /* Counted with the container (what runc exec does), before the mount namespace hides the node's cgroup files. */
  for (int i = 0; i < spec.cgroupc; i++) {
    if (write_file(spec.cgroups[i], "0")) return refuse(126, "join cgroup %s: %s", spec.cgroups[i], strerror(errno));
  }
  /* The terminal: both sides open before joining the namespaces (open_terminal says where from). */
  int master = -1, slave = -1;
  if (strcmp(terminal_size, "-")) {
    struct winsize size;
    if (parse_size(terminal_size, &size)) return refuse(126, "terminal size %s: expected ROWSxCOLS", terminal_size);
    if (open_terminal(root, &master, &slave)) return refuse(126, "a terminal: %s", strerror(errno));
    ioctl(master, TIOCSWINSZ, &size);
  }
  for (size_t i = 0; i < NAMESPACES; i++) {
    if (ns[i] >= 0 && setns(ns[i], namespaces[i].type)) return refuse(126, "join the container's %s namespace: %s", namespaces[i].name, strerror(errno));
    if (ns[i] >= 0) close(ns[i]);
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC)) return refuse(126, "pipe: %s", strerror(errno));
  /* SIGCHLD at its default: waitpid below must see the child. */
  signal(SIGCHLD, SIG_DFL);
  pid_t child = fork();
  if (child < 0) return refuse(126, "fork: %s", strerror(errno));
  if (child == 0) {
    close(report[0]);
    if (master >= 0) close(master);
    become_command(&spec, command, root, slave, report[1]);
  }
  close(report[1]);
  if (slave >= 0) close(slave);
  /* The child's reason, if it fails before its exec (which closes the pipe). */
  char reason[1024];
  ssize_t n, length = 0;
  while ((n = read(report[0], reason + length, sizeof reason - 1 - length)) > 0 || (n < 0 && errno == EINTR)) length += n > 0 ? n : 0;
  close(report[0]);
  if (length > 0) {
    reason[length] = '\0';
    waitpid(child, NULL, 0);
    return refuse(strstr(reason, "not found in $PATH") || strstr(reason, strerror(ENOENT)) ? 127 : 126, "%s", reason);
  }
  if (master >= 0) relay_terminal(master, child);
  int status;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) return refuse(126, "wait: %s", strerror(errno));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
