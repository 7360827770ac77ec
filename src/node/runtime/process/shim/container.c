/*
 * One container: its spec (written by the agent into the container's state
 * directory), its FIFOs or terminal, and the child the pod shim clones for
 * it — which joins the container's cgroups, makes its mounts (in a mount
 * namespace of its own when the pod is isolated), and executes the command.
 *
 * The spec file is a list of NUL-terminated `key=value` entries:
 *   arg=…          the command line, one entry per argument, in order
 *   env=NAME=…     the environment
 *   cwd=…          the working directory
 *   cgroup=…       a cgroup.procs file to join
 *   mount-ro=… / mount-rw=…  a bind mount's source, followed by target=…
 *   stdin=none|keep|once     no stdin / a stdin that stays open / one that
 *                  ends when the first attached client leaves (stdinOnce)
 *   tty=1          the command runs on a pseudo-terminal
 *   pid-namespace-of=PID     join that (node) PID's PID namespace instead of
 *                  getting one of its own (an ephemeral container's target)
 *   rootfs=DIR     run in the image's root file system, assembled at DIR
 *                  (isolated pods; see rootfs.c) — without it, the node's
 *                  file system with the bind mounts on top; then:
 *     lower=…      an unpacked layer, one entry each, top-most first
 *     upper=…, work=…          the container's writable layer (overlayfs)
 *     readonly-rootfs=0|1, privileged=0|1
 *     masked=…, readonly-path=…  paths hidden / made read-only (one each)
 *   uid=N, gid=N, group=N    who the command runs as (group: supplementary, one each)
 *   capabilities=N,N,…       the only capabilities it may have (linux/capability.h numbers)
 *   no-new-privileges=1      no_new_privs: no gaining privileges by exec
 *
 * In an isolated pod, a container gets a mount namespace and a PID
 * namespace of its own, as with runc: its command is PID 1 there, and the
 * whole namespace ends with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shim.h"

#define MAX_SPEC (1 << 20)



/* Adds to one of the spec's lists; an entry past its end is an error, not silently dropped (a layer missing from a root file system would be). */
static int add(const char **list, int *count, int capacity, const char *value) {
  if (*count >= capacity) return -1;
  list[(*count)++] = value;
  return 0;
}

/* A number of the spec: the whole value, decimal. */
static int number(const char *value, unsigned long *out) {
  char *end;
  errno = 0;
  *out = strtoul(value, &end, 10);
  return errno || end == value || *end || value[0] == '-' ? -1 : 0;
}

/* The capabilities' numbers as a set (bit N for capability N). */
static int capability_set(const char *value, unsigned long long *set) {
  *set = 0;
  for (const char *p = value; *p;) {
    char *end;
    unsigned long cap = strtoul(p, &end, 10);
    if (end == p || cap > 63 || (*end && *end != ',')) return -1;
    *set |= 1ULL << cap;
    p = *end ? end + 1 : end;
  }
  return 0;
}

/* The entries of an image's root file system, the identity and the privileges: -1 for a value that cannot be used. */
static int read_security_entry(struct container_spec *spec, const char *key, const char *value) {
  struct rootfs *r = &spec->rootfs;
  unsigned long n = 0;
  if (!strcmp(key, "rootfs")) r->dir = value;
  else if (!strcmp(key, "lower")) return add(r->lower, &r->lowerc, sizeof r->lower / sizeof *r->lower, value);
  else if (!strcmp(key, "upper")) r->upper = value;
  else if (!strcmp(key, "work")) r->work = value;
  else if (!strcmp(key, "readonly-rootfs")) r->read_only = !strcmp(value, "1");
  else if (!strcmp(key, "privileged")) r->privileged = !strcmp(value, "1");
  else if (!strcmp(key, "masked")) return add(r->masked, &r->maskedc, sizeof r->masked / sizeof *r->masked, value);
  else if (!strcmp(key, "readonly-path")) return add(r->read_only_paths, &r->read_only_pathc, sizeof r->read_only_paths / sizeof *r->read_only_paths, value);
  else if (!strcmp(key, "uid")) {
    if (number(value, &n) || n > 0xfffffffe) return -1;
    spec->uid = n, spec->has_user = 1;
  } else if (!strcmp(key, "gid")) {
    if (number(value, &n) || n > 0xfffffffe) return -1;
    spec->gid = n, spec->has_user = 1;
  } else if (!strcmp(key, "group")) {
    if (number(value, &n) || n > 0xfffffffe || spec->groupc >= 64) return -1;
    spec->groups[spec->groupc++] = n;
  } else if (!strcmp(key, "capabilities")) {
    spec->has_capabilities = 1;
    return capability_set(value, &spec->capabilities);
  } else if (!strcmp(key, "no-new-privileges")) spec->no_new_privileges = !strcmp(value, "1");
  else if (!strcmp(key, "seccomp")) return parse_seccomp(value, spec);
  else if (!strcmp(key, "oom-score-adj")) {
    char *end;
    long adj = strtol(value, &end, 10);
    if (*end || end == value || adj < -1000 || adj > 1000) return -1;
    spec->oom_score_adj = (int)adj, spec->has_oom_score_adj = 1;
  }
  return 0;
}

int read_container_spec(const char *dir, struct container_spec *spec, char *error, size_t error_size) {
  char path[4096];
  memset(spec, 0, sizeof *spec);
  snprintf(path, sizeof path, "%s/spec", dir);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    set_error(error, error_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  spec->text = malloc(MAX_SPEC + 1);
  size_t length = 0;
  ssize_t n;
  while (spec->text && length < MAX_SPEC && (n = read(fd, spec->text + length, MAX_SPEC - length)) > 0) length += n;
  close(fd);
  if (!spec->text || length == 0 || length >= MAX_SPEC) {
    set_error(error, error_size, "%s: empty, unreadable or over 1 MiB", path);
    return -1;
  }
  spec->text[length] = '\0';
  spec->cwd = "/";
  for (char *entry = spec->text, *next; entry < spec->text + length; entry = next) {
    next = entry + strlen(entry) + 1;
    char *value = strchr(entry, '=');
    if (!value) continue;
    *value++ = '\0';
    if (!strcmp(entry, "arg") && spec->argc < MAX_ENTRIES - 1) spec->argv[spec->argc++] = value;
    else if (!strcmp(entry, "env") && spec->envc < MAX_ENTRIES - 1) spec->envp[spec->envc++] = value;
    else if (!strcmp(entry, "cwd")) spec->cwd = value;
    else if (!strcmp(entry, "cgroup") && spec->cgroupc < 16) spec->cgroups[spec->cgroupc++] = value;
    else if ((!strcmp(entry, "mount-ro") || !strcmp(entry, "mount-rw")) && spec->mountc < 256) {
      spec->mounts[spec->mountc].source = value;
      spec->mounts[spec->mountc].read_only = entry[6] == 'r' && entry[7] == 'o';
    } else if (!strcmp(entry, "target") && spec->mountc < 256 && spec->mounts[spec->mountc].source) spec->mounts[spec->mountc++].target = value;
    else if (!strcmp(entry, "stdin")) spec->stdin_mode = !strcmp(value, "once") ? STDIN_ONCE : !strcmp(value, "keep") ? STDIN_KEEP : STDIN_NONE;
    else if (!strcmp(entry, "tty")) spec->tty = !strcmp(value, "1");
    else if (!strcmp(entry, "pid-namespace-of")) spec->pid_namespace_of = atoi(value);
    else if (read_security_entry(spec, entry, value)) {
      set_error(error, error_size, "%s: %s=%s: unusable, or one too many", path, entry, value);
      return -1;
    }
  }
  if (!spec->argc) {
    set_error(error, error_size, "%s: no command", path);
    return -1;
  }
  return 0;
}

/* mkdir -p */
static int make_directories(const char *path) {
  char copy[4096];
  snprintf(copy, sizeof copy, "%s", path);
  for (char *slash = copy + 1; *slash; slash++) {
    if (*slash != '/') continue;
    *slash = '\0';
    if (mkdir(copy, 0755) && errno != EEXIST) return -1;
    *slash = '/';
  }
  return mkdir(copy, 0755) && errno != EEXIST ? -1 : 0;
}

/* A bind mount needs something to mount on: a directory for a directory, a file for anything else. */
static int make_mount_point(const char *source, const char *target) {
  struct stat st;
  if (stat(source, &st) == 0 && S_ISDIR(st.st_mode)) return make_directories(target);
  if (access(target, F_OK) == 0) return 0;
  char parent[4096];
  snprintf(parent, sizeof parent, "%s", target);
  char *slash = strrchr(parent, '/');
  if (slash && slash != parent) {
    *slash = '\0';
    if (make_directories(parent)) return -1;
  }
  int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  close(fd);
  return 0;
}

/* In the child: report why the container cannot start (the shim reads it from the pipe) and end. */
void __attribute__((noreturn)) fail(int report, const char *fmt, ...) {
  char message[1024];
  va_list args;
  va_start(args, fmt);
  vsnprintf(message, sizeof message, fmt, args);
  va_end(args);
  write_all(report, message, strlen(message));
  _exit(127);
}

/* The node's file system, with the bind mounts on top (a container without an image). */
static void mount_on_node(struct container_spec *spec, int report) {
  for (int i = 0; i < spec->mountc; i++) {
    const char *source = spec->mounts[i].source, *target = spec->mounts[i].target;
    if (make_mount_point(source, target)) fail(report, "mount point %s: %s", target, strerror(errno));
    if (mount(source, target, NULL, MS_BIND | MS_REC, NULL)) fail(report, "mount %s on %s: %s", source, target, strerror(errno));
    if (spec->mounts[i].read_only && mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL)) fail(report, "make %s read-only: %s", target, strerror(errno));
  }
  /* A /proc of the container's PID namespace. */
  if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) fail(report, "mount /proc: %s", strerror(errno));
}

/*
 * The terminal's slave, as the controlling terminal of the new session.
 * Opened before any mount: its path is the node's (/dev/pts/N), gone from a
 * container's own root once it is pivoted into.
 */
static int open_terminal(const char *terminal, int report) {
  int slave = open(terminal, O_RDWR);
  if (slave < 0 || ioctl(slave, TIOCSCTTY, 0)) fail(report, "terminal %s: %s", terminal, strerror(errno));
  return slave;
}

/*
 * The capability bounding set cut to the container's: every capability the
 * kernel knows (PR_CAPBSET_READ fails past its last — what
 * /proc/sys/kernel/cap_last_cap says, without a /proc the container may
 * have masked) and the container may not have is dropped. Returns the
 * container's set, less numbers this kernel does not know (ignored, as runc
 * does).
 */
static unsigned long long limit_capabilities(const struct container_spec *spec, int report) {
  unsigned long long kept = 0;
  for (int cap = 0; prctl(PR_CAPBSET_READ, cap, 0, 0, 0) >= 0; cap++) {
    if (cap < 64 && (spec->capabilities >> cap & 1)) kept |= 1ULL << cap;
    else if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)) fail(report, "drop capability %d from the bounding set: %s", cap, strerror(errno));
  }
  return kept;
}

/*
 * Root's own sets cut to the container's: permitted and effective. The
 * inheritable set is left empty, as containerd and Docker do since
 * CVE-2022-24769 (a program with inheritable file capabilities would gain
 * them through it, even run by a user without them).
 */
static void set_root_capabilities(unsigned long long set, int report) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) data[i].permitted = data[i].effective = (unsigned)(set >> (32 * i));
  if (syscall(SYS_capset, &header, data)) fail(report, "set capabilities: %s", strerror(errno));
}

/*
 * Who the command runs as, and with what: the bounding set first (dropping
 * needs CAP_SETPCAP, which the switch of user takes away), then groups, gid
 * and uid — a uid other than 0 loses every capability there (no keepcaps),
 * what runc gives a user without ambient ones — and root's own sets last.
 * The seccomp filter goes last too, or first when there is no no_new_privs
 * (see install_seccomp).
 */
void take_identity(const struct container_spec *spec, int report) {
  /*
   * The OOM killer's order (the pod's QoS class), while still root: lowering it takes CAP_SYS_RESOURCE. A rootless
   * node cannot go below its own, and the container keeps the shim's, as containerd's restrict_oom_score_adj does.
   */
  if (spec->has_oom_score_adj) {
    char adj[16];
    snprintf(adj, sizeof adj, "%d", spec->oom_score_adj);
    if (write_file("/proc/self/oom_score_adj", adj) && errno != EACCES && errno != EPERM) fail(report, "oom_score_adj %s: %s", adj, strerror(errno));
  }
  /* Without no_new_privs the kernel takes a filter only from a process with CAP_SYS_ADMIN: now, before the switch of user. */
  if (!spec->no_new_privileges) install_seccomp(spec, report);
  unsigned long long kept = spec->has_capabilities ? limit_capabilities(spec, report) : 0;
  if (spec->has_user) {
    if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)) fail(report, "keepcaps: %s", strerror(errno));
    if (setgroups(spec->groupc, spec->groups)) fail(report, "set supplementary groups: %s", strerror(errno));
    if (setgid(spec->gid)) fail(report, "set gid %u: %s", (unsigned)spec->gid, strerror(errno));
    if (setuid(spec->uid)) fail(report, "set uid %u: %s", (unsigned)spec->uid, strerror(errno));
  }
  if (spec->has_capabilities && geteuid() == 0) set_root_capabilities(kept, report);
  if (spec->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) fail(report, "no_new_privs: %s", strerror(errno));
  /* Last of all: the filter need not allow what the switch of identity calls. */
  if (spec->no_new_privileges) install_seccomp(spec, report);
}

/* The child, between the clone and the exec. `report` is closed by a successful exec. */
static void __attribute__((noreturn)) become_container(struct container_spec *spec, int isolated, int in, int out, int err, const char *terminal, int report) {
  sigset_t all;
  sigemptyset(&all);
  sigprocmask(SIG_SETMASK, &all, NULL);
  signal(SIGPIPE, SIG_DFL);
  /* Its own session and process group: the agent signals the group, and a terminal needs a session. */
  if (setsid() < 0) fail(report, "setsid: %s", strerror(errno));
  for (int i = 0; i < spec->cgroupc; i++) {
    if (write_file(spec->cgroups[i], "0")) fail(report, "join cgroup %s: %s", spec->cgroups[i], strerror(errno));
  }
  if (terminal) in = out = err = open_terminal(terminal, report);
  if (spec->rootfs.dir && !isolated) fail(report, "a container's own root file system (%s) needs an isolated pod", spec->rootfs.dir);
  if (isolated) {
    /* Nothing mounted here may reach the node's mount namespace. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) fail(report, "make mounts private: %s", strerror(errno));
    char error[1024];
    if (!spec->rootfs.dir) mount_on_node(spec, report);
    else if (enter_rootfs(&spec->rootfs, spec->mounts, spec->mountc, spec->cwd, terminal, error, sizeof error)) fail(report, "%s", error);
  }
  if (chdir(spec->cwd)) fail(report, "chdir to %s: %s", spec->cwd, strerror(errno));
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) fail(report, "stdio: %s", strerror(errno));
  /* The terminal is 0, 1 and 2 now: its own descriptor would leak into the command. */
  if (terminal && in > 2) close(in);
  take_identity(spec, report);
  spec->argv[spec->argc] = NULL;
  spec->envp[spec->envc] = NULL;
  /* execvp looks the command up in this environment's PATH — the container's, in its own root by now. */
  environ = spec->envp;
  execvp(spec->argv[0], spec->argv);
  if (errno == ENOENT && !strchr(spec->argv[0], '/')) fail(report, "exec: \"%s\": executable file not found in $PATH", spec->argv[0]);
  fail(report, "exec: \"%s\": %s", spec->argv[0], strerror(errno));
}

/*
 * The PID the node sees for a child of ours. In the pod's PID namespace the
 * clone returns the child's number there (2, 3, …); a pidfd's fdinfo, read
 * through the node's /proc, tells its number in the node's namespace.
 */
static pid_t host_pid(pid_t pid) {
  int pidfd = syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) return -1;
  char path[64], text[1024];
  snprintf(path, sizeof path, "/proc/self/fdinfo/%d", pidfd);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
  if (fd >= 0) close(fd);
  close(pidfd);
  if (n <= 0) return -1;
  text[n] = '\0';
  char *line = strstr(text, "\nPid:");
  return line ? (pid_t)atoi(line + 5) : -1;
}

static int open_fifo(const char *dir, const char *name, int flags) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (mkfifo(path, 0600) && errno != EEXIST) return -1;
  return open(path, flags | O_CLOEXEC);
}

struct container *container_start(const char *id, const char *dir, int isolated, char *error, size_t error_size) {
  struct container_spec spec;
  if (read_container_spec(dir, &spec, error, error_size)) {
    free(spec.text);
    free(spec.seccomp);
    return NULL;
  }
  struct container *c = calloc(1, sizeof *c);
  if (!c) {
    set_error(error, error_size, "out of memory");
    free(spec.text);
    free(spec.seccomp);
    return NULL;
  }
  snprintf(c->id, sizeof c->id, "%s", id);
  snprintf(c->dir, sizeof c->dir, "%s", dir);
  c->stdin_fd = c->stdin_hold = c->master = c->relay_out = -1;
  /* The shim holds both ends of the output FIFOs: the container never gets EPIPE while no agent reads. */
  c->stdout_fd = open_fifo(dir, "stdout", O_RDWR);
  c->stderr_fd = open_fifo(dir, "stderr", O_RDWR);
  int in = -1;
  if (spec.stdin_mode == STDIN_KEEP) in = open_fifo(dir, "stdin", O_RDWR);
  else if (spec.stdin_mode == STDIN_ONCE) {
    /* A writer held until the agent has opened its own end, so the container does not see an end of file first. */
    c->stdin_hold = open_fifo(dir, "stdin", O_RDWR | O_NONBLOCK);
    /* Never a blocking open: without the writer above it would hang the whole shim. */
    in = open_fifo(dir, "stdin", O_RDONLY | O_NONBLOCK);
    if (in >= 0 && !spec.tty) fcntl(in, F_SETFL, 0);
  } else in = open("/dev/null", O_RDONLY | O_CLOEXEC);
  char terminal[128] = "";
  if (spec.tty) {
    c->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (c->master >= 0 && !grantpt(c->master) && !unlockpt(c->master) && ptsname_r(c->master, terminal, sizeof terminal) == 0) {
      fcntl(c->master, F_SETFL, O_NONBLOCK);
      char path[4096];
      snprintf(path, sizeof path, "%s/stdout", dir);
      c->relay_out = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      /* The terminal's input comes from the stdin FIFO, relayed by the shim. */
      if (spec.stdin_mode != STDIN_NONE) {
        c->stdin_fd = in;
        fcntl(c->stdin_fd, F_SETFL, O_NONBLOCK);
        in = -1;
      }
    } else terminal[0] = '\0';
  }
  if (c->stdout_fd < 0 || c->stderr_fd < 0 || (in < 0 && !spec.tty) || (spec.tty && !terminal[0])) {
    set_error(error, error_size, "container %s: FIFOs or terminal: %s", id, strerror(errno));
    if (in >= 0) close(in);
    container_close(c);
    free(spec.text);
    free(spec.seccomp);
    free(c);
    return NULL;
  }
  int report[2];
  if (pipe2(report, O_CLOEXEC)) {
    set_error(error, error_size, "pipe: %s", strerror(errno));
    if (in >= 0) close(in);
    container_close(c);
    free(spec.text);
    free(spec.seccomp);
    free(c);
    return NULL;
  }
  /* A PID namespace of its own, or — for an ephemeral container with a target — the target's, for this one clone. */
  int flags = isolated ? CLONE_NEWNS | CLONE_NEWPID : 0, own_pid_namespace = -1;
  if (isolated && spec.pid_namespace_of > 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)spec.pid_namespace_of);
    int target = open(path, O_RDONLY | O_CLOEXEC);
    own_pid_namespace = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    if (target < 0 || own_pid_namespace < 0 || setns(target, CLONE_NEWPID)) {
      set_error(error, error_size, "the target container's process namespace (PID %d): %s", (int)spec.pid_namespace_of, strerror(errno));
      if (target >= 0) close(target);
      if (own_pid_namespace >= 0) close(own_pid_namespace);
      close(report[0]);
      close(report[1]);
      if (in >= 0) close(in);
      container_close(c);
      free(spec.text);
      free(spec.seccomp);
      free(c);
      return NULL;
    }
    close(target);
    flags &= ~CLONE_NEWPID;
  }
  pid_t pid = syscall(SYS_clone, SIGCHLD | flags, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    close(report[0]);
    become_container(&spec, isolated, in, c->stdout_fd, c->stderr_fd, terminal[0] ? terminal : NULL, report[1]);
  }
  if (own_pid_namespace >= 0) {
    /* Later containers of the pod get namespaces of their own again. */
    if (setns(own_pid_namespace, CLONE_NEWPID)) perror("skiff-pod: back to the pod's PID namespace");
    close(own_pid_namespace);
  }
  close(report[1]);
  if (in >= 0) close(in);
  free(spec.text);
  free(spec.seccomp);
  if (pid < 0) {
    set_error(error, error_size, "clone: %s", strerror(errno));
    close(report[0]);
    container_close(c);
    free(c);
    return NULL;
  }
  c->pid = pid;
  /* Without a PID namespace of the pod, the numbers are the node's already. */
  c->host_pid = host_pid(pid);
  if (c->host_pid <= 0 && !isolated) c->host_pid = pid;
  /* Until the exec, the child may still fail: its reason comes through the pipe, which the exec closes. */
  char reason[1024];
  ssize_t n, length = 0;
  while ((n = read(report[0], reason + length, sizeof reason - 1 - length)) > 0 || (n < 0 && errno == EINTR)) length += n > 0 ? n : 0;
  close(report[0]);
  if (length == 0 && c->host_pid <= 0) {
    /* The agent would signal and enter the wrong process with a number of the pod's namespace. */
    kill(pid, SIGKILL);
    length = snprintf(reason, sizeof reason, "cannot tell the container's PID on the node: %s", strerror(errno));
  }
  char path[4096];
  if (length > 0) {
    reason[length] = '\0';
    snprintf(path, sizeof path, "%s/start-error", dir);
    write_file(path, reason);
    c->start_failed = 1;
  } else {
    /* Before the event: an agent that misses it (or ends before recording it) finds the PID here. */
    char text[16];
    snprintf(path, sizeof path, "%s/pid", dir);
    snprintf(text, sizeof text, "%d\n", (int)c->host_pid);
    write_file_atomically(path, text);
  }
  return c;
}

void container_close(struct container *c) {
  int *fds[] = {&c->stdout_fd, &c->stderr_fd, &c->stdin_fd, &c->stdin_hold, &c->master, &c->relay_out};
  for (size_t i = 0; i < sizeof fds / sizeof *fds; i++) {
    if (*fds[i] >= 0) close(*fds[i]);
    *fds[i] = -1;
  }
}
