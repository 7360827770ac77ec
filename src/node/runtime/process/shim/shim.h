/*
 * skiff-shim: the small native helper of skiff's process runtime.
 *
 * One binary, two roles:
 *   - the node helper (`skiff-shim node STATE_DIR`), started once by the
 *     agent: it makes pod sandboxes on request, each a forked copy of itself
 *     (a fork of a process this small costs a fraction of a millisecond,
 *     where a fork of the agent costs several), and plugs their network in
 *     with netlink (no `ip` program per pod);
 *   - the pod shim, one per pod: it holds the pod's namespaces (the pause
 *     process of upstream), starts the pod's containers on request, is their
 *     parent, and records how each one ended — whether or not an agent is
 *     running at the time.
 *
 * And a one-shot for image layers (`skiff-shim layer-nodes ROOT LISTFILE`,
 * layer.c): the nodes an unpacked layer needs that Node.js cannot make.
 *
 * See README.md beside this file for the protocol and the files involved.
 */
#ifndef SKIFF_SHIM_H
#define SKIFF_SHIM_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/syscall.h>

/*
 * openat2 (Linux 5.6+), which resolves a path beneath a directory without
 * following symlinks out: layer.c and rootfs.c use it where they can.
 * -DSKIFF_NO_OPENAT2 builds without it, to test what older kernels get
 * (layer.c walks components; a root file system is refused, saying why).
 */
#if defined(__has_include) && !defined(SKIFF_NO_OPENAT2)
#if __has_include(<linux/openat2.h>) && defined(SYS_openat2)
#include <linux/openat2.h>
#define HAVE_OPENAT2 1
#endif
#endif

/* How a pod is isolated: not at all (plain processes), by root, or in a user namespace of an ordinary user. */
#define ISOLATE_NONE 0
#define ISOLATE_ROOT 1
#define ISOLATE_ROOTLESS 2

/* How a pod is set up: which namespaces of its own it gets. */
struct pod_request {
  const char *id;          /* the sandbox id, echoed in the reply */
  const char *dir;         /* the sandbox's state directory */
  const char *hostname;
  int isolate;             /* ISOLATE_*: own PID and IPC namespaces (root), and a user namespace (rootless) */
  int own_network;         /* own network and UTS namespaces, plugged into the bridge */
  const char *veth;        /* the host end of the pod's veth pair */
  const char *ip;          /* the pod's address, with prefix_length on eth0 */
  int prefix_length;
  const char *gateway;     /* the bridge's address: the pod's default route */
  const char *bridge;
  const char *mac;         /* eth0's hardware address (derived from the IP) */
};

/* netlink.c: the pod's side of the network, set up without a program per pod. */
int plug_pod_network(const struct pod_request *req, pid_t pod_pid, char *error, size_t error_size);
int delete_link(const char *name);

/* pod.c: the pod shim's life, from its birth in its new namespaces. */
void run_pod_shim(const struct pod_request *req, const char *events_path, int ready_fd) __attribute__((noreturn));

/* container.c: a container process, from the shim's clone to the exec of its command. */
struct container {
  struct container *next;
  char id[64];
  char dir[4096];
  pid_t pid;            /* in the pod's PID namespace (the shim's children) */
  pid_t host_pid;       /* the same process as the node sees it: what the agent signals */
  int start_failed;     /* the child could not exec: start-error says why */
  int terminated_by_default; /* a SIGTERM it had no handler for ended it (see terminate() in pod.c) */
  int exited;           /* reaped; its exit file is written */
  int stdout_fd, stderr_fd;  /* the shim's holds on the output FIFOs */
  int stdin_fd;         /* a terminal's input, relayed from the stdin FIFO */
  int stdin_hold;       /* a writer on stdin (stdinOnce) until the agent has opened its own */
  int master;           /* the terminal's master side (tty) */
  int relay_out;        /* where the terminal's output goes: the stdout FIFO */
  char relay[4096];     /* terminal output the FIFO could not take yet */
  size_t relay_offset, relay_length;
};
struct container *container_start(const char *id, const char *dir, int isolated, char *error, size_t error_size);
void container_close(struct container *c);

/* rootfs.c: a container's root file system from its image (overlay, /proc, /sys, /dev, bind mounts, masks) and the pivot_root into it. */
struct bind_mount { const char *source, *target; int read_only; };
struct rootfs {
  const char *dir;                 /* where the overlay is mounted: the container's root */
  const char *lower[500];          /* the image's layers, top-most first (overlayfs's own limit is 500) */
  const char *upper, *work;        /* the container's writable layer */
  const char *masked[64], *read_only_paths[64];
  int lowerc, maskedc, read_only_pathc;
  int read_only, privileged;
};
int enter_rootfs(const struct rootfs *rootfs, const struct bind_mount *mounts, int mountc, const char *cwd, const char *terminal, char *error, size_t error_size);

/* A container's spec file (see container.c): read by the shim to start it, and by `skiff-shim exec` to run a command as it. */
#define MAX_ENTRIES 4096
struct container_spec {
  char *text;
  char *argv[MAX_ENTRIES];
  char *envp[MAX_ENTRIES];
  char *cgroups[16];
  struct bind_mount mounts[256];
  int argc, envc, cgroupc, mountc;
  const char *cwd;
  enum { STDIN_NONE, STDIN_KEEP, STDIN_ONCE } stdin_mode;
  int tty;
  pid_t pid_namespace_of;
  struct rootfs rootfs;      /* rootfs.dir is NULL: the node's file system */
  int has_user;              /* uid, gid and groups given: otherwise the shim's (root) */
  uid_t uid;
  gid_t gid;
  gid_t groups[64];
  int groupc;
  int has_capabilities;      /* capabilities given: otherwise all of root's */
  unsigned long long capabilities;
  int no_new_privileges;
  unsigned char *seccomp;    /* the container's syscall filter (struct sock_filter[]), or NULL */
  size_t seccomp_length;     /* its instructions */
  int has_oom_score_adj;     /* oom_score_adj given: otherwise the shim's own */
  int oom_score_adj;
};
int read_container_spec(const char *dir, struct container_spec *spec, char *error, size_t error_size);
/* seccomp.c: the spec's filter, its loading in the child, and `skiff-shim syscalls`. */
int parse_seccomp(const char *hex, struct container_spec *spec);
void install_seccomp(const struct container_spec *spec, int report);
int print_syscalls(void);
/* In a child about to exec: the spec's user, groups, capabilities and no_new_privs; on failure, the reason goes to `report` and the child ends. */
void take_identity(const struct container_spec *spec, int report);
void fail(int report, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* exec.c: `skiff-shim exec`, a command run in a running container's namespaces as the container (kubectl exec, exec probes and hooks). */
int run_exec(int argc, char **argv);
/* portforward.c: `skiff-shim port-forward PID PORT`, one connection to a port inside a pod's network namespace. */
int run_port_forward(int argc, char **argv);

/* layer.c: `skiff-shim layer-nodes`, an image layer's device nodes, FIFOs and overlayfs whiteouts; the exit status. */
int apply_layer_nodes(const char *root, const char *list_path);

/* util */
void set_error(char *error, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int write_file(const char *path, const char *data);
int write_file_atomically(const char *path, const char *data);
int write_all(int fd, const char *data, size_t length);

#endif
