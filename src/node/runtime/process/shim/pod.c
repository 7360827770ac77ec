/*
 * The pod shim: one process per pod, forked from the node helper into the
 * pod's new namespaces. It is
 *   - the pod's pause process: it holds the pod's network, UTS (hostname),
 *     IPC and PID namespaces for as long as the pod exists — the containers'
 *     own PID namespaces are nested in the pod's, so as its init the shim
 *     takes every process of the pod with it when it is killed;
 *   - the parent of the pod's containers: it starts each on the agent's
 *     request and writes how it ended into its state directory, whether or
 *     not an agent is running at the time.
 *
 * It listens on two things: the FIFO `control` in the sandbox's directory
 * (one request per line, from the agent) and SIGCHLD. What happens is told
 * in lines on the node's `events` FIFO; the files stay the truth, for an
 * agent that was away.
 *
 * Requests:  start <tab> ID <tab> DIR    clone and exec a container (spec in DIR)
 *            terminate <tab> ID          SIGTERM to the container (see terminate())
 *            opened <tab> ID             the agent holds the container's stdin now
 *            resize <tab> ID <tab> ROWS <tab> COLS   the size of the container's terminal
 *            forget <tab> ID             the agent has read the ended container's output
 * Events:    started <tab> ID <tab> PID   and   exited <tab> ID <tab> CODE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "shim.h"

static struct container *containers;
static int events_fd = -1;

static void emit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void emit(const char *fmt, ...) {
  char line[256];
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(line, sizeof line, fmt, args);
  va_end(args);
  /* Lines under PIPE_BUF are written whole; with no agent reading and the FIFO full, it is dropped (the files remain). */
  if (n > 0 && (size_t)n < sizeof line && write(events_fd, line, n) < 0) { /* dropped */ }
}

static struct container *find(const char *id) {
  for (struct container *c = containers; c; c = c->next)
    if (!strcmp(c->id, id)) return c;
  return NULL;
}

/*
 * The terminal's output into the stdout FIFO, with back-pressure: what the
 * FIFO cannot take now waits in the container's buffer, and the terminal is
 * not read again until it has gone out — so a container writing faster than
 * the agent reads blocks on its terminal, as it would on a pipe.
 * Returns 0 once the terminal has nothing more (closed, or no data now).
 */
static int relay_terminal_output(struct container *c) {
  for (;;) {
    if (c->relay_length > 0) {
      ssize_t n = write(c->relay_out, c->relay + c->relay_offset, c->relay_length);
      if (n < 0) return errno == EAGAIN ? 1 : 0;
      c->relay_offset += n;
      c->relay_length -= n;
      if (c->relay_length > 0) return 1;
    }
    if (c->master < 0) return 0;
    ssize_t n = read(c->master, c->relay, sizeof c->relay);
    if (n <= 0) return 0;
    c->relay_offset = 0;
    c->relay_length = n;
  }
}

/* A container has ended: what its terminal still holds goes out, waiting at most a second for a reader. */
static void drain_terminal(struct container *c) {
  for (int waited = 0; (c->master >= 0 || c->relay_length > 0) && relay_terminal_output(c) && waited < 1000; waited += 10) {
    struct pollfd out = {.fd = c->relay_out, .events = POLLOUT};
    poll(&out, 1, 10);
  }
}

static void relay_terminal_input(struct container *c) {
  char buffer[4096];
  ssize_t n = read(c->stdin_fd, buffer, sizeof buffer);
  if (n > 0) {
    write_all(c->master, buffer, n);
  } else if (n == 0) {
    /* The last writer is gone (stdinOnce, client detached): end of input, as a terminal says it. */
    write_all(c->master, "\x04", 1);
    close(c->stdin_fd);
    c->stdin_fd = -1;
  }
}

/* Whether a process has a handler for a signal, ignores or blocks it (/proc/PID/status). */
static int signal_handled(pid_t host_pid, int signal) {
  char path[64], text[4096];
  snprintf(path, sizeof path, "/proc/%d/status", (int)host_pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
  if (fd >= 0) close(fd);
  if (n <= 0) return 1;
  text[n] = '\0';
  /* Caught, ignored, or blocked — a process that blocks a signal may wait for it (sigwait, signalfd: tini does). */
  unsigned long long caught = 0, ignored = 0, blocked = 0;
  char *line = strstr(text, "\nSigBlk:");
  if (line) blocked = strtoull(line + 8, NULL, 16);
  line = strstr(text, "\nSigIgn:");
  if (line) ignored = strtoull(line + 8, NULL, 16);
  line = strstr(text, "\nSigCgt:");
  if (line) caught = strtoull(line + 8, NULL, 16);
  return ((caught | ignored | blocked) >> (signal - 1)) & 1;
}

/*
 * SIGTERM to a container's process group. A command that is PID 1 of its
 * namespace would ignore a SIGTERM it has no handler for (the kernel
 * protects a namespace's init), and end only with the SIGKILL after the
 * grace period; skiff stops it as SIGTERM stops any other program — it
 * ends at once with 143 — as a container with a minimal init (docker
 * --init) does, without a third process per pod.
 */
static void terminate(struct container *c, int isolated) {
  kill(-c->pid, SIGTERM);
  if (isolated && !c->exited && !signal_handled(c->host_pid, SIGTERM)) {
    c->terminated_by_default = 1;
    kill(c->pid, SIGKILL);
  }
}

static void handle_request(char *line, int isolated) {
  char *fields[4] = {0};
  int count = 0;
  for (char *field = strtok(line, "\t"); field && count < 4; field = strtok(NULL, "\t")) fields[count++] = field;
  if (count < 2) return;
  if (!strcmp(fields[0], "start") && count == 3) {
    if (find(fields[1])) {
      /* The agent starts a container once; a second start must not touch the first one's files. */
      fprintf(stderr, "skiff-pod: container %s was started already\n", fields[1]);
      return;
    }
    char error[1024] = "";
    struct container *c = container_start(fields[1], fields[2], isolated, error, sizeof error);
    if (!c) {
      /* Nothing was cloned: the container ends at once with the reason in start-error. */
      char path[4200];
      snprintf(path, sizeof path, "%s/start-error", fields[2]);
      write_file(path, error[0] ? error : "the container could not be started");
      snprintf(path, sizeof path, "%s/exit", fields[2]);
      write_file_atomically(path, "128\n");
      emit("started\t%s\t0\n", fields[1]);
      emit("exited\t%s\t128\n", fields[1]);
      return;
    }
    c->next = containers;
    containers = c;
    emit("started\t%s\t%d\n", c->id, (int)c->host_pid);
  } else if (!strcmp(fields[0], "terminate")) {
    struct container *c = find(fields[1]);
    if (c && !c->exited) terminate(c, isolated);
  } else if (!strcmp(fields[0], "opened")) {
    struct container *c = find(fields[1]);
    if (c && c->stdin_hold >= 0) {
      close(c->stdin_hold);
      c->stdin_hold = -1;
    }
  } else if (!strcmp(fields[0], "resize") && count == 4) {
    /* The terminal's new size; the kernel tells its foreground process group (SIGWINCH). */
    struct container *c = find(fields[1]);
    int rows = atoi(fields[2]), cols = atoi(fields[3]);
    struct winsize size = {.ws_row = rows, .ws_col = cols};
    if (c && c->master >= 0 && rows > 0 && cols > 0 && rows <= 1000 && cols <= 1000) ioctl(c->master, TIOCSWINSZ, &size);
  } else if (!strcmp(fields[0], "forget")) {
    for (struct container **link = &containers; *link; link = &(*link)->next) {
      struct container *c = *link;
      if (strcmp(c->id, fields[1]) || !c->exited) continue;
      *link = c->next;
      container_close(c);
      free(c);
      break;
    }
  }
}

/* Reaps every child that ended: containers get their exit file and event; orphans of the pod just go. */
static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    for (struct container *c = containers; c; c = c->next) {
      if (c->pid != pid || c->exited) continue;
      int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      if (c->start_failed) code = 128;
      if (c->terminated_by_default && WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) code = 128 + SIGTERM;
      /* The container is its main process: what it left running in its group goes with it
         (in its own PID namespace, the kernel has ended the rest already). */
      kill(-pid, SIGKILL);
      drain_terminal(c);
      if (c->master >= 0) close(c->master);
      if (c->stdin_fd >= 0) close(c->stdin_fd);
      c->master = c->stdin_fd = -1;
      char path[4200], text[16];
      snprintf(path, sizeof path, "%s/exit", c->dir);
      snprintf(text, sizeof text, "%d\n", code);
      write_file_atomically(path, text);
      c->exited = 1;
      emit("exited\t%s\t%d\n", c->id, code);
    }
  }
}

/*
 * The pod's sysctls, from DIR/sysctls (lines `NAME <tab> VALUE`, written by
 * the agent): each into /proc/sys, which shows the namespaces of the process
 * that opens it — this shim's, the pod's network and IPC namespaces. 0, or
 * -1 with why in `error`.
 */
static int apply_sysctls(const char *dir, char *error, size_t size) {
  char path[4200], line[4096];
  snprintf(path, sizeof path, "%s/sysctls", dir);
  FILE *file = fopen(path, "re");
  if (!file) return errno == ENOENT ? 0 : (set_error(error, size, "read %s: %s", path, strerror(errno)), -1);
  int failed = 0;
  while (!failed && fgets(line, sizeof line, file)) {
    line[strcspn(line, "\n")] = '\0';
    char *value = strchr(line, '\t');
    if (!value) continue;
    *value++ = '\0';
    /* net.ipv4.ip_local_port_range → /proc/sys/net/ipv4/ip_local_port_range (a name written with slashes keeps its dots: eno2.100). */
    char *slash = strchr(line, '/'), *dot = strchr(line, '.');
    int dotted = !slash || (dot && dot < slash);
    snprintf(path, sizeof path, "/proc/sys/%s", line);
    if (dotted) for (char *c = path + strlen("/proc/sys/"); *c; c++) *c = *c == '.' ? '/' : *c == '/' ? '.' : *c;
    if (strstr(path, "..") || write_file(path, value)) {
      set_error(error, size, "set sysctl %s to %s: %s", line, value, strerror(errno));
      failed = 1;
    }
  }
  fclose(file);
  return failed ? -1 : 0;
}

void run_pod_shim(const struct pod_request *req, const char *events_path, int ready_fd) {
  /* A session of its own: the agent's process group, terminal or end do not reach the pod. */
  setsid();
  prctl(PR_SET_NAME, "skiff-pod");
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  /* Without a PID namespace, the pod's orphans come back to the shim rather than to the machine's init. */
  if (!req->isolate) prctl(PR_SET_CHILD_SUBREAPER, 1);
  /* Nothing of the helper's: its requests and replies belong to the agent. */
  if (ready_fd > 3) syscall(SYS_close_range, 3, ready_fd - 1, 0);
  syscall(SYS_close_range, ready_fd + 1, ~0U, 0);
  char path[4200];
  snprintf(path, sizeof path, "%s/shim.log", req->dir);
  int null = open("/dev/null", O_RDONLY), log = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
  dup2(null, 0);
  /* Never the helper's stdout: what the shim says there would be read as the helper's replies. */
  dup2(log >= 0 ? log : null, 1);
  dup2(log >= 0 ? log : null, 2);
  if (null > 2) close(null);
  if (log > 2) close(log);
  if ((req->own_network || req->isolate == ISOLATE_ROOTLESS) && sethostname(req->hostname, strlen(req->hostname))) fprintf(stderr, "sethostname %s: %s\n", req->hostname, strerror(errno));
  char reason[1024];
  if (apply_sysctls(req->dir, reason, sizeof reason)) {
    /* Said on the ready pipe instead of "R": the helper answers the agent with it. */
    fprintf(stderr, "%s\n", reason);
    write_all(ready_fd, reason, strlen(reason));
    _exit(1);
  }
  snprintf(path, sizeof path, "%s/control", req->dir);
  if (mkfifo(path, 0600) && errno != EEXIST) fprintf(stderr, "mkfifo %s: %s\n", path, strerror(errno));
  /* Held read-write: the FIFO never reports an end of file between two agents. */
  int control = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  events_fd = open(events_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  sigprocmask(SIG_BLOCK, &mask, NULL);
  int signals = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (control < 0 || events_fd < 0 || signals < 0) {
    fprintf(stderr, "skiff-pod: control %d, events %d, signals %d: %s\n", control, events_fd, signals, strerror(errno));
    _exit(1);
  }
  write_all(ready_fd, "R", 1);
  close(ready_fd);

  char pending[8192];
  size_t pending_length = 0;
  for (;;) {
    struct pollfd fds[2 + 2 * 64];
    struct container *relayed[2 * 64];
    nfds_t count = 0;
    fds[count++] = (struct pollfd){.fd = control, .events = POLLIN};
    fds[count++] = (struct pollfd){.fd = signals, .events = POLLIN};
    for (struct container *c = containers; c && count < sizeof fds / sizeof *fds - 1; c = c->next) {
      /* While output waits for the FIFO, the FIFO is watched instead of the terminal. */
      if (c->relay_length > 0 && c->relay_out >= 0) relayed[count - 2] = c, fds[count++] = (struct pollfd){.fd = c->relay_out, .events = POLLOUT};
      else if (c->master >= 0) relayed[count - 2] = c, fds[count++] = (struct pollfd){.fd = c->master, .events = POLLIN};
      if (c->stdin_fd >= 0) relayed[count - 2] = c, fds[count++] = (struct pollfd){.fd = c->stdin_fd, .events = POLLIN};
    }
    if (poll(fds, count, -1) < 0) continue;
    if (fds[1].revents) {
      struct signalfd_siginfo info;
      while (read(signals, &info, sizeof info) > 0) {}
      reap();
    }
    for (nfds_t i = 2; i < count; i++) {
      if (!fds[i].revents) continue;
      struct container *c = relayed[i - 2];
      if (fds[i].fd == c->relay_out) {
        relay_terminal_output(c);
      } else if (fds[i].fd == c->master) {
        relay_terminal_output(c);
        /* Every writer of the terminal closed it: nothing more will come (the exit is reaped separately). */
        if (fds[i].revents & (POLLHUP | POLLERR) && !(fds[i].revents & POLLIN)) close(c->master), c->master = -1;
      } else if (fds[i].fd == c->stdin_fd) relay_terminal_input(c);
    }
    if (fds[0].revents & POLLIN) {
      ssize_t n = read(control, pending + pending_length, sizeof pending - 1 - pending_length);
      if (n > 0) pending_length += n;
      char *start = pending, *newline;
      while ((newline = memchr(start, '\n', pending + pending_length - start))) {
        *newline = '\0';
        handle_request(start, req->isolate);
        start = newline + 1;
      }
      pending_length -= start - pending;
      memmove(pending, start, pending_length);
      /* A line longer than the buffer is no request: drop it. */
      if (pending_length == sizeof pending - 1) pending_length = 0;
    }
  }
}
