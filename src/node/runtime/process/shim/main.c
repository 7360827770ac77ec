/*
 * The node helper: `skiff-shim node STATE_DIR`, started once by the agent.
 * It reads requests on stdin, one per line, fields separated by tabs, and
 * answers each on stdout (`ok <tab> ID <tab> PID` or `error <tab> ID <tab> WHY`):
 *
 *   sandbox  ID DIR HOSTNAME ISOLATE NETWORK [VETH IP PREFIX GATEWAY BRIDGE MAC]
 *            forks a pod shim into new namespaces (PID and IPC when ISOLATE
 *            is 1; network and UTS as well when NETWORK is 1, with the veth
 *            plugged into the bridge); answers with the shim's PID once it
 *            listens on DIR/control
 *   hello    ID
 *            answers once the helper is ready (the events FIFO exists)
 *   teardown ID PID VETH
 *            kills the pod shim (and with it, as the init of the pod's PID
 *            namespace, all of the pod), waits for its end, and deletes the
 *            pod's veth ('-': none)
 *
 * Arguments after STATE_DIR are cgroup.procs files the helper joins first, so
 * that every pod shim it forks is born in the pod shims' cgroup.
 *
 * It ends when stdin does (the agent stopped); the pod shims live on.
 *
 * `skiff-shim layer-nodes ROOT LISTFILE` is a one-shot of its own, run by
 * the agent while it unpacks an image layer: the device nodes, FIFOs and
 * overlayfs whiteouts Node.js cannot make (layer.c). `skiff-shim exec` is
 * another, a command run inside a running container (exec.c), and
 * `skiff-shim port-forward` a connection to a pod's port (portforward.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "shim.h"

void set_error(char *error, size_t size, const char *fmt, ...) {
  va_list args;
  va_start(args, fmt);
  vsnprintf(error, size, fmt, args);
  va_end(args);
}

int write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t n = write(fd, data, length);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    data += n;
    length -= n;
  }
  return 0;
}

int write_file(const char *path, const char *data) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  int failed = write_all(fd, data, strlen(data));
  int saved = errno;
  if (close(fd) || failed) {
    if (failed) errno = saved;
    return -1;
  }
  return 0;
}

/* Written beside, then renamed: a reader sees the whole file or none. */
int write_file_atomically(const char *path, const char *data) {
  char temporary[4400];
  snprintf(temporary, sizeof temporary, "%s.tmp", path);
  if (write_file(temporary, data)) {
    unlink(temporary);
    return -1;
  }
  return rename(temporary, path);
}

/* Whether a PID is one of our pod shims (and not a process that got the number of one that ended). */
static int is_pod_shim(pid_t pid) {
  char path[64], name[32] = "";
  snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  ssize_t n = read(fd, name, sizeof name - 1);
  close(fd);
  return n > 0 && !strncmp(name, "skiff-pod\n", 10);
}

/*
 * A rootless pod's user namespace: the node's user (whoever runs skiff) is
 * root in it, and no one else exists there — without newuidmap and
 * /etc/subuid, one user is all an ordinary user may map. setgroups is
 * denied first, as the kernel requires before an unprivileged gid_map.
 */
static int map_user(pid_t pid, char *error, size_t error_size) {
  char path[64], map[64];
  snprintf(path, sizeof path, "/proc/%d/setgroups", (int)pid);
  if (write_file(path, "deny") && errno != ENOENT) {
    set_error(error, error_size, "%s: %s", path, strerror(errno));
    return -1;
  }
  const char *files[] = {"uid_map", "gid_map"};
  unsigned ids[] = {(unsigned)getuid(), (unsigned)getgid()};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, files[i]);
    snprintf(map, sizeof map, "0 %u 1\n", ids[i]);
    if (write_file(path, map)) {
      set_error(error, error_size, "map the pod's user namespace (%s): %s", path, strerror(errno));
      return -1;
    }
  }
  return 0;
}

static void create_sandbox(struct pod_request *req, const char *events_path) {
  char error[1024] = "";
  int ready[2];
  if (pipe2(ready, O_CLOEXEC)) {
    printf("error\t%s\tpipe: %s\n", req->id, strerror(errno));
    return;
  }
  int flags = req->isolate ? CLONE_NEWPID | CLONE_NEWIPC : 0;
  if (req->own_network) flags |= CLONE_NEWNET | CLONE_NEWUTS;
  /* Rootless: a user namespace of its own too, where the node's user is root; its own hostname, the node's network. */
  int rootless = req->isolate == ISOLATE_ROOTLESS, mapped[2] = {-1, -1};
  if (rootless) {
    flags |= CLONE_NEWUSER | CLONE_NEWUTS;
    if (pipe2(mapped, O_CLOEXEC)) {
      printf("error\t%s\tpipe: %s\n", req->id, strerror(errno));
      close(ready[0]);
      close(ready[1]);
      return;
    }
  }
  /* Like fork, with the new namespaces: the child is the pod shim (PID 1 of the pod when isolated). */
  pid_t pid = syscall(SYS_clone, SIGCHLD | flags, NULL, NULL, NULL, NULL);
  if (pid == 0) {
    close(ready[0]);
    if (rootless) {
      /* Until its user namespace maps a user, the shim owns nothing it could make: it waits for the map. */
      char byte;
      close(mapped[1]);
      while (read(mapped[0], &byte, 1) < 0 && errno == EINTR) {}
      close(mapped[0]);
    }
    run_pod_shim(req, events_path, ready[1]);
  }
  close(ready[1]);
  if (rootless) {
    close(mapped[0]);
    if (pid > 0 && map_user(pid, error, sizeof error)) {
      kill(pid, SIGKILL);
      printf("error\t%s\t%s\n", req->id, error);
      close(mapped[1]);
      close(ready[0]);
      return;
    }
    close(mapped[1]);
  }
  if (pid < 0) {
    printf("error\t%s\tclone: %s\n", req->id, strerror(errno));
    close(ready[0]);
    return;
  }
  /* Before anything else: an agent that ends before recording the sandbox leaves its next start a way to find the shim. */
  char path[4200], text[16];
  snprintf(path, sizeof path, "%s/shim.pid", req->dir);
  snprintf(text, sizeof text, "%d\n", (int)pid);
  write_file_atomically(path, text);
  int plugged = !req->own_network || plug_pod_network(req, pid, error, sizeof error) == 0;
  /* "R" once the shim is ready; else why it could not be (its words, until it ends), or nothing. */
  char said[1024];
  ssize_t n, length = 0;
  while ((n = read(ready[0], said + length, sizeof said - 1 - length)) > 0 || (n < 0 && errno == EINTR)) {
    length += n > 0 ? n : 0;
    if (length == 1 && said[0] == 'R') break;
  }
  close(ready[0]);
  said[length] = '\0';
  if (!plugged || length != 1 || said[0] != 'R') {
    kill(pid, SIGKILL);
    if (plugged && length > 0) set_error(error, sizeof error, "%s", said);
    else if (plugged) set_error(error, sizeof error, "the pod shim ended while starting (see %s/shim.log)", req->dir);
    /* One line: the reply is tab-separated and ends with the line. */
    for (char *c = error; *c; c++) if (*c == '\n' || *c == '\t') *c = ' ';
    printf("error\t%s\t%s\n", req->id, error);
    return;
  }
  printf("ok\t%s\t%d\n", req->id, (int)pid);
}

/* Kills a pod shim and waits (at most 5 s) until it has ended — as the init of the pod's PID namespace, with every process of the pod. */
static void kill_and_wait(pid_t pid) {
  int pidfd = syscall(SYS_pidfd_open, pid, 0);
  kill(pid, SIGKILL);
  if (pidfd < 0) return;
  struct pollfd ended = {.fd = pidfd, .events = POLLIN};
  while (poll(&ended, 1, 5000) < 0 && errno == EINTR) {}
  close(pidfd);
}

static void teardown(const char *id, pid_t pid, const char *veth) {
  if (pid > 0 && is_pod_shim(pid)) kill_and_wait(pid);
  /* The veth goes by name, at once: the kernel would remove it only with the namespace, once its last process is gone. */
  int err = strcmp(veth, "-") ? delete_link(veth) : 0;
  if (err) printf("error\t%s\tdelete %s: %s\n", id, veth, strerror(-err));
  else printf("ok\t%s\t0\n", id);
}

int main(int argc, char **argv) {
  if (argc == 4 && !strcmp(argv[1], "layer-nodes")) return apply_layer_nodes(argv[2], argv[3]);
  if (argc >= 2 && !strcmp(argv[1], "exec")) return run_exec(argc - 1, argv + 1);
  if (argc >= 2 && !strcmp(argv[1], "port-forward")) return run_port_forward(argc - 1, argv + 1);
  if (argc == 2 && !strcmp(argv[1], "syscalls")) return print_syscalls();
  if (argc < 3 || strcmp(argv[1], "node")) {
    fprintf(stderr, "usage: skiff-shim node STATE_DIR [CGROUP_PROCS_FILE...]\n"
                    "       skiff-shim layer-nodes ROOT LISTFILE\n"
                    "       skiff-shim exec CONTAINER_DIR PID|- ROWSxCOLS|- -- COMMAND...\n(all run by the skiff agent)\n");
    return 2;
  }
  /* Out of the agent's cgroups, into the pod shims' (one cgroup.procs file an argument): the
     shims forked from here are born in them, and a service manager that stops the agent by
     killing its whole cgroup (systemd's KillMode=control-group) leaves the pods running. */
  for (int i = 3; i < argc; i++)
    if (write_file(argv[i], "0")) fprintf(stderr, "skiff-shim: join cgroup %s: %s (the pod shims stay in the agent's)\n", argv[i], strerror(errno));
  char events_path[4200];
  snprintf(events_path, sizeof events_path, "%s/events", argv[2]);
  if (mkfifo(events_path, 0600) && errno != EEXIST) {
    fprintf(stderr, "skiff-shim: mkfifo %s: %s\n", events_path, strerror(errno));
    return 1;
  }
  /* Pod shims are reaped by the kernel when they end (they are not waited for). */
  signal(SIGCHLD, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  char *line = NULL;
  size_t capacity = 0;
  while (getline(&line, &capacity, stdin) > 0) {
    line[strcspn(line, "\n")] = '\0';
    char *fields[12] = {0};
    int count = 0;
    for (char *field = strtok(line, "\t"); field && count < 12; field = strtok(NULL, "\t")) fields[count++] = field;
    if (count >= 6 && !strcmp(fields[0], "sandbox")) {
      struct pod_request req = {.id = fields[1], .dir = fields[2], .hostname = fields[3], .isolate = atoi(fields[4]), .own_network = atoi(fields[5])};
      if (req.own_network && count != 12) {
        printf("error\t%s\ta sandbox with its own network needs VETH IP PREFIX GATEWAY BRIDGE MAC\n", req.id);
        continue;
      }
      if (req.own_network) {
        req.veth = fields[6], req.ip = fields[7], req.prefix_length = atoi(fields[8]);
        req.gateway = fields[9], req.bridge = fields[10], req.mac = fields[11];
        if (strlen(req.veth) >= IFNAMSIZ || strlen(req.bridge) >= IFNAMSIZ || req.prefix_length < 1 || req.prefix_length > 32) {
          printf("error\t%s\tinterface names must be under %d characters, the prefix 1–32\n", req.id, IFNAMSIZ);
          continue;
        }
      }
      create_sandbox(&req, events_path);
    } else if (count == 2 && !strcmp(fields[0], "hello")) {
      printf("ok\t%s\t%d\n", fields[1], (int)getpid());
    } else if (count == 4 && !strcmp(fields[0], "teardown")) {
      if (strlen(fields[3]) >= IFNAMSIZ) printf("error\t%s\tinterface names must be under %d characters\n", fields[1], IFNAMSIZ);
      else teardown(fields[1], atoi(fields[2]), fields[3]);
    } else {
      printf("error\t%s\tunknown request\n", count > 1 ? fields[1] : "-");
    }
  }
  return 0;
}
