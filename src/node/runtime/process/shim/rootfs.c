/*
 * A container's own root file system, made from its image: the unpacked
 * layers as an overlay, the container's /proc, /sys and /dev, the agent's
 * bind mounts (volumes, /etc/hosts, …), masked and read-only paths, and a
 * pivot_root into it — what runc does, in the child the pod shim clones
 * (container.c), which is in a mount and a PID namespace of its own already
 * and has made every mount private.
 *
 * The image came from a registry and may be hostile: a symlink in it
 * (`/etc/hosts -> /../../../etc/shadow`, or to any absolute path) must never
 * make a mount land on the node. Every path inside the root is resolved with
 * openat2(RESOLVE_IN_ROOT) — symlinks and ".." resolve as if the root were
 * "/" — what is missing is made one name at a time under a directory
 * resolved that way, and mounts go onto /proc/self/fd/N of the resolved
 * descriptor, so no path is walked twice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "shim.h"

#ifndef HAVE_OPENAT2
#define RESOLVE_NO_SYMLINKS 0x04
#endif

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#define SKIFF_MOUNT_ATTR_RDONLY 0x1
#define PROC_MAGIC 0x9fa0
/* Symlinks followed while making one missing path, as the kernel's own limit. */
#define MAX_LINKS 40
/* Missing directories made for one path: each is a frame of the recursion below, which must not outgrow the stack. */
#define MAX_DEPTH 256

/*
 * PATH inside the root ROOT (a descriptor of its directory), as an O_PATH
 * descriptor. RESOLVE_NO_MAGICLINKS: not even /proc/self/root of the
 * container's /proc leads out.
 */
static int resolve(int root, const char *path, unsigned long long extra) {
#ifdef HAVE_OPENAT2
  struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | extra};
  return syscall(SYS_openat2, root, path[0] ? path : "/", &how, sizeof how);
#else
  (void)root, (void)path, (void)extra;
  errno = ENOSYS;
  return -1;
#endif
}

/* What an error means, with openat2's absence said as what to do. */
static const char *why(int error) {
  return error == ENOSYS ? "openat2 is missing (a container's root file system needs Linux 5.6 or later)" : strerror(error);
}

/* "/a/b/c/" → "/a/b" and "c"; -1 when there is no last name ("/"). */
static int split(const char *path, char *parent, size_t parent_size, char *name, size_t name_size) {
  size_t length = strlen(path);
  while (length > 0 && path[length - 1] == '/') length--;
  size_t start = length;
  while (start > 0 && path[start - 1] != '/') start--;
  if (start == length || length - start >= name_size || start >= parent_size) return -1;
  snprintf(name, name_size, "%.*s", (int)(length - start), path + start);
  snprintf(parent, parent_size, "%.*s", (int)start, path);
  if (!parent[0]) snprintf(parent, parent_size, "/");
  return 0;
}

static int open_or_make(int root, const char *path, int directory, unsigned long long extra, int links, int depth);

/*
 * A missing mount point that is a dangling symlink in the image: what it
 * points to is made instead — inside the root, as runc does — so an image
 * whose /etc/resolv.conf points elsewhere still gets the agent's file.
 */
static int follow_dangling(int root, int dir, const char *parent, const char *name, int directory, unsigned long long extra, int links, int depth) {
  char target[PATH_MAX], next[PATH_MAX];
  ssize_t n = readlinkat(dir, name, target, sizeof target - 1);
  if (n < 0) return -1;
  target[n] = '\0';
  if (links >= MAX_LINKS) {
    errno = ELOOP;
    return -1;
  }
  /* Relative to the link's directory: ".." in it is resolved on the real directory, by openat2. */
  if (target[0] == '/') snprintf(next, sizeof next, "%s", target);
  else if ((size_t)snprintf(next, sizeof next, "%s/%s", parent, target) >= sizeof next) {
    errno = ENAMETOOLONG;
    return -1;
  }
  return open_or_make(root, next, directory, extra, links + 1, depth + 1);
}

/*
 * PATH inside the root, made if missing: its missing parents as
 * directories, then a directory or an empty file — each made with a single
 * name under a directory already resolved inside the root (mkdirat, mknodat:
 * neither follows a last symlink), so nothing is ever made outside it.
 */
static int open_or_make(int root, const char *path, int directory, unsigned long long extra, int links, int depth) {
  int fd = resolve(root, path, extra);
  if (fd >= 0 || errno != ENOENT) return fd;
  char parent[PATH_MAX], name[NAME_MAX + 1];
  if (depth >= MAX_DEPTH) {
    errno = ENAMETOOLONG;
    return -1;
  }
  if (split(path, parent, sizeof parent, name, sizeof name)) return -1;
  int dir = open_or_make(root, parent, 1, extra, links, depth + 1);
  if (dir < 0) return -1;
  struct stat st;
  if (!(extra & RESOLVE_NO_SYMLINKS) && fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
    fd = follow_dangling(root, dir, parent, name, directory, extra, links, depth);
    int saved = errno;
    close(dir);
    errno = saved;
    return fd;
  }
  int made = directory ? mkdirat(dir, name, 0755) : mknodat(dir, name, S_IFREG | 0644, 0);
  int saved = errno;
  close(dir);
  if (made && saved != EEXIST) {
    errno = saved;
    return -1;
  }
  return resolve(root, path, extra);
}

/* Where a mount goes: the resolved descriptor itself, never the path again. */
static const char *fd_path(int fd, char *buffer, size_t size) {
  snprintf(buffer, size, "/proc/self/fd/%d", fd);
  return buffer;
}

static int mount_on(int fd, const char *source, const char *type, unsigned long flags, const char *data) {
  char target[64];
  return mount(source, fd_path(fd, target, sizeof target), type, flags, data);
}

/* Read-only, keeping its other flags: a bind remount resets every flag it is not given. */
static int remount_read_only(const char *target) {
  struct statvfs st;
  if (statvfs(target, &st)) return -1;
  unsigned long flags = MS_REMOUNT | MS_BIND | MS_RDONLY;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return mount(NULL, target, NULL, flags, NULL);
}

/* The mount now on PATH (resolved again: the descriptor from before the mount names what is under it) made read-only. */
static int make_read_only(int root, const char *path) {
  int fd = resolve(root, path, 0);
  if (fd < 0) return -1;
  char target[64];
  int failed = remount_read_only(fd_path(fd, target, sizeof target));
  int saved = errno;
  close(fd);
  errno = saved;
  return failed;
}

/* Appends TEXT; in overlayfs's options a ':' or ',' in a name is escaped, as is the escape itself. */
static int append(char *out, size_t size, size_t *length, const char *text, int escape) {
  for (; *text; text++) {
    if (escape && strchr(":,\\", *text)) {
      if (*length + 1 >= size) return -1;
      out[(*length)++] = '\\';
    }
    if (*length + 1 >= size) return -1;
    out[(*length)++] = *text;
  }
  out[*length] = '\0';
  return 0;
}

/*
 * Whether this process is in a user namespace other than the node's (a
 * rootless pod): the initial one maps every id to itself.
 */
static int in_user_namespace(void) {
  char map[128] = "";
  int fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
  ssize_t n = fd >= 0 ? read(fd, map, sizeof map - 1) : -1;
  if (fd >= 0) close(fd);
  unsigned long inside, outside, count;
  return n > 0 && !(sscanf(map, "%lu %lu %lu", &inside, &outside, &count) == 3 && inside == 0 && outside == 0 && count == 4294967295UL);
}

/* overlayfs's options, the layers' names with their first SKIP bytes left off; -1 when over SIZE. */
static int overlay_options(const struct rootfs *r, size_t skip, char *out, size_t size) {
  size_t length = 0;
  /* In a user namespace, overlayfs keeps its markers (opaque directories) in user.overlay.* xattrs, which the unpacker wrote (Linux 5.11+). */
  int failed = append(out, size, &length, in_user_namespace() ? "userxattr,lowerdir=" : "lowerdir=", 0);
  for (int i = 0; i < r->lowerc && !failed; i++) {
    if (i) failed |= append(out, size, &length, ":", 0);
    failed |= append(out, size, &length, r->lower[i] + skip, 1);
  }
  if (r->upper && r->work) {
    failed |= append(out, size, &length, ",upperdir=", 0) || append(out, size, &length, r->upper, 1);
    failed |= append(out, size, &length, ",workdir=", 0) || append(out, size, &length, r->work, 1);
  }
  return failed ? -1 : 0;
}

/* The length of the longest directory every layer is in ("/a/b" of "/a/b/1", "/a/b/2"); 0 for "/" alone. */
static size_t common_parent(const struct rootfs *r) {
  size_t length = strlen(r->lower[0]);
  for (int i = 0; i < r->lowerc; i++)
    while (length > 0 && (strncmp(r->lower[i], r->lower[0], length) || r->lower[i][length] != '/')) length--;
  return length;
}

/*
 * The overlay of the image's layers (top-most first) and the container's
 * writable layer. mount(2) takes one page of options: with many layers, the
 * names are given relative to their common directory, made the working
 * directory for the mount (containerd's way), which overlayfs resolves them
 * against.
 */
static int mount_overlay(const struct rootfs *r, char *error, size_t error_size) {
  if (r->lowerc == 0) {
    set_error(error, error_size, "root file system %s: the image has no layers", r->dir);
    return -1;
  }
  size_t page = sysconf(_SC_PAGESIZE);
  char *options = malloc(page);
  if (!options) {
    set_error(error, error_size, "mount overlay on %s: out of memory", r->dir);
    return -1;
  }
  int failed = overlay_options(r, 0, options, page);
  if (failed) {
    size_t common = common_parent(r);
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%.*s", (int)common, r->lower[0]);
    if (common == 0 || overlay_options(r, common + 1, options, page)) {
      set_error(error, error_size, "mount overlay on %s: the names of its %d layers do not fit in the %zu bytes of mount options, even relative to their common directory %s",
                r->dir, r->lowerc, page - 1, common ? dir : "/");
      free(options);
      return -1;
    }
    if (chdir(dir)) {
      set_error(error, error_size, "mount overlay on %s: change to the layers' directory %s: %s", r->dir, dir, strerror(errno));
      free(options);
      return -1;
    }
  }
  /* Made by the agent; made here too if not, so that a missing one reads as what it is. */
  const char *dirs[] = {r->dir, r->upper, r->work};
  for (size_t i = 0; i < 3; i++)
    if (dirs[i] && mkdir(dirs[i], 0755) && errno != EEXIST) {
      set_error(error, error_size, "mount overlay on %s: make %s: %s", r->dir, dirs[i], strerror(errno));
      free(options);
      return -1;
    }
  failed = mount("overlay", r->dir, "overlay", 0, options);
  int saved = errno;
  free(options);
  if (failed) {
    set_error(error, error_size, "mount overlay on %s (%d layers): %s%s", r->dir, r->lowerc, strerror(saved), saved == EINVAL ? " (the kernel log says why)" : "");
    return -1;
  }
  return 0;
}

/*
 * /proc, /sys and /dev must be plain directories of the image (as runc
 * requires): made if missing, and a symlink there is refused rather than
 * followed — even inside the root, a /proc pointing at /etc is no image to run.
 */
static int special_dir(int root, const char *path, char *error, size_t error_size) {
  int fd = open_or_make(root, path, 1, RESOLVE_NO_SYMLINKS, 0, 0);
  if (fd < 0) set_error(error, error_size, "mount %s: %s", path, errno == ELOOP ? "it is a symlink in the image, not a directory" : why(errno));
  return fd;
}

/* The container's /proc: the proc of its PID namespace (the child is that namespace's init already). */
static int mount_proc(int root, char *error, size_t error_size) {
  int fd = special_dir(root, "/proc", error, error_size);
  if (fd < 0) return -1;
  int failed = mount_on(fd, "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  if (failed) set_error(error, error_size, "mount /proc: %s", strerror(errno));
  close(fd);
  return failed;
}

/*
 * /sys, read-only unless privileged. A sysfs can be mounted only by an owner
 * of the network namespace (EPERM otherwise, e.g. in a user namespace on the
 * host's network): then the node's /sys, bound read-only with all below it.
 */
static int mount_sys(int root, int privileged, char *error, size_t error_size) {
  int fd = special_dir(root, "/sys", error, error_size);
  if (fd < 0) return -1;
  int failed = mount_on(fd, "sysfs", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | (privileged ? 0 : MS_RDONLY), NULL);
  if (failed && errno == EPERM) {
    failed = mount_on(fd, "/sys", NULL, MS_BIND | MS_REC, NULL);
    if (!failed && !privileged) {
      close(fd);
      fd = resolve(root, "/sys", RESOLVE_NO_SYMLINKS);
      struct { uint64_t set, clear, propagation, userns; } attr = {.set = SKIFF_MOUNT_ATTR_RDONLY};
      failed = fd < 0 || syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr);
    }
  }
  if (failed) set_error(error, error_size, "mount /sys: %s", strerror(errno));
  if (fd >= 0) close(fd);
  return failed;
}

/*
 * A mount on NAME under the container's /dev (DEV, its descriptor). MAKE: the
 * directory may be made — not on a privileged container's /dev, which is the
 * node's own.
 */
static int mount_in_dev(int dev, const char *name, int make, const char *type, unsigned long flags, const char *data) {
  if (make && mkdirat(dev, name, 0755) && errno != EEXIST) return -1;
  int fd = openat(dev, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return -1;
  int failed = mount_on(fd, type, type, flags, data);
  int saved = errno;
  close(fd);
  errno = saved;
  return failed;
}

/* A character device of the container's /dev; without the right to make one (EPERM: a user namespace), the node's bound there. */
static int make_device(int dev, const char *name, unsigned major, unsigned minor) {
  if (mknodat(dev, name, S_IFCHR | 0666, makedev(major, minor)) == 0) return fchmodat(dev, name, 0666, 0); /* past the umask */
  if (errno != EPERM || mknodat(dev, name, S_IFREG | 0666, 0)) return -1;
  char source[64];
  snprintf(source, sizeof source, "/dev/%s", name);
  int fd = openat(dev, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int failed = fd < 0 || mount_on(fd, source, NULL, MS_BIND, NULL);
  if (fd >= 0) close(fd);
  return failed ? -1 : 0;
}

/* The terminal, also as /dev/console (as runc does): glibc's ttyname finds it there, where the node's /dev/pts/N is gone. */
static int bind_console(int dev, const char *terminal) {
  if (mknodat(dev, "console", S_IFREG | 0600, 0) && errno != EEXIST) return -1;
  int fd = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int failed = fd < 0 || mount_on(fd, terminal, NULL, MS_BIND, NULL);
  if (fd >= 0) close(fd);
  return failed ? -1 : 0;
}

/* The basic devices and links of a container's /dev, on the tmpfs just mounted there. */
static int populate_dev(int dev, const char *terminal, char *error, size_t error_size) {
  static const struct { const char *name; unsigned major, minor; } devices[] = {
    {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0},
  };
  static const struct { const char *name, *target; } links[] = {
    {"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"},
    {"stderr", "/proc/self/fd/2"}, {"core", "/proc/kcore"}, {"ptmx", "pts/ptmx"},
  };
  for (size_t i = 0; i < sizeof devices / sizeof *devices; i++)
    if (make_device(dev, devices[i].name, devices[i].major, devices[i].minor)) {
      set_error(error, error_size, "make /dev/%s: %s", devices[i].name, strerror(errno));
      return -1;
    }
  for (size_t i = 0; i < sizeof links / sizeof *links; i++)
    if (symlinkat(links[i].target, dev, links[i].name) && errno != EEXIST) {
      set_error(error, error_size, "make /dev/%s: %s", links[i].name, strerror(errno));
      return -1;
    }
  if (terminal && bind_console(dev, terminal)) {
    set_error(error, error_size, "make /dev/console of terminal %s: %s", terminal, strerror(errno));
    return -1;
  }
  return 0;
}

/*
 * /dev: a tmpfs with the basic devices — or, privileged, the node's /dev
 * with every device — and in both a /dev/pts of the container's own (its
 * terminals, not the node's), a /dev/shm and a /dev/mqueue.
 */
static int mount_dev(int root, const struct rootfs *r, const char *terminal, char *error, size_t error_size) {
  int fd = special_dir(root, "/dev", error, error_size);
  if (fd < 0) return -1;
  int failed = r->privileged ? mount_on(fd, "/dev", NULL, MS_BIND | MS_REC, NULL)
                             : mount_on(fd, "tmpfs", "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  close(fd);
  if (failed) {
    set_error(error, error_size, "mount /dev: %s", strerror(errno));
    return -1;
  }
  int dev = resolve(root, "/dev", RESOLVE_NO_SYMLINKS);
  if (dev < 0) {
    set_error(error, error_size, "/dev: %s", why(errno));
    return -1;
  }
  failed = !r->privileged && populate_dev(dev, terminal, error, error_size);
  /* The tty group (5) owns the terminals — where it exists: a rootless pod's user namespace maps root alone. */
  if (!failed && mount_in_dev(dev, "pts", !r->privileged, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5") &&
      (errno != EINVAL || mount_in_dev(dev, "pts", 0, "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"))) {
    set_error(error, error_size, "mount /dev/pts: %s", strerror(errno));
    failed = 1;
  }
  if (!failed && mount_in_dev(dev, "shm", !r->privileged, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k")) {
    set_error(error, error_size, "mount /dev/shm: %s", strerror(errno));
    failed = 1;
  }
  /* Optional (a kernel without POSIX message queues); the pod's IPC namespace's queues. */
  if (!failed) mount_in_dev(dev, "mqueue", !r->privileged, "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
  close(dev);
  return failed ? -1 : 0;
}

/*
 * One of the agent's bind mounts: the source is the node's, the target a
 * path in the container, made if missing (a directory for a directory).
 * A target that resolves into /proc is refused, as runc does: a mount there
 * could stand in for the kernel's own files of the container.
 */
static int bind_volume(int root, const struct bind_mount *m, char *error, size_t error_size) {
  struct stat st;
  int directory = stat(m->source, &st) == 0 && S_ISDIR(st.st_mode);
  int fd = open_or_make(root, m->target, directory, 0, 0, 0);
  if (fd < 0) {
    set_error(error, error_size, "mount point %s in the container: %s", m->target, why(errno));
    return -1;
  }
  struct statfs fs;
  if (fstatfs(fd, &fs) == 0 && fs.f_type == PROC_MAGIC) {
    set_error(error, error_size, "mount %s on %s: the target is in the container's /proc", m->source, m->target);
    close(fd);
    return -1;
  }
  int failed = mount_on(fd, m->source, NULL, MS_BIND | MS_REC, NULL);
  int saved = errno;
  close(fd);
  if (failed) {
    set_error(error, error_size, "mount %s on %s: %s", m->source, m->target, strerror(saved));
    return -1;
  }
  if (m->read_only && make_read_only(root, m->target)) {
    set_error(error, error_size, "make %s read-only: %s", m->target, why(errno));
    return -1;
  }
  return 0;
}

/* A masked path, where it exists: an empty read-only tmpfs over a directory, /dev/null over anything else. */
static int mask(int root, const char *path, char *error, size_t error_size) {
  int fd = resolve(root, path, 0);
  if (fd < 0 && errno == ENOENT) return 0;
  struct stat st;
  int failed = fd < 0 || fstat(fd, &st);
  if (!failed) failed = S_ISDIR(st.st_mode) ? mount_on(fd, "tmpfs", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
                                            : mount_on(fd, "/dev/null", NULL, MS_BIND, NULL);
  int saved = errno;
  if (fd >= 0) close(fd);
  if (failed) set_error(error, error_size, "mask %s: %s", path, why(saved));
  return failed ? -1 : 0;
}

/* A read-only path, where it exists: bound onto itself, then made read-only. */
static int protect(int root, const char *path, char *error, size_t error_size) {
  int fd = resolve(root, path, 0);
  if (fd < 0 && errno == ENOENT) return 0;
  char self[64];
  int failed = fd < 0 || mount_on(fd, fd_path(fd, self, sizeof self), NULL, MS_BIND | MS_REC, NULL);
  int saved = errno;
  if (fd >= 0) close(fd);
  if (!failed) {
    failed = make_read_only(root, path);
    saved = errno;
  }
  if (failed) set_error(error, error_size, "make %s read-only: %s", path, why(saved));
  return failed ? -1 : 0;
}

/*
 * Into the new root: pivot_root(".", ".") stacks the old root on the new
 * one, and detaching it leaves the container nothing of the node's tree —
 * with no directory for it to be made in the image.
 */
static int pivot(int root, const char *dir, char *error, size_t error_size) {
  if (fchdir(root) || syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/")) {
    set_error(error, error_size, "pivot_root into %s: %s", dir, strerror(errno));
    return -1;
  }
  return 0;
}

/*
 * After the pivot, inside the container: its working directory made if
 * missing (as runc does), before the root may turn read-only; then that.
 */
static int finish_root(const struct rootfs *r, const char *cwd, char *error, size_t error_size) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  int fd = root < 0 ? -1 : open_or_make(root, cwd, 1, 0, 0, 0);
  int saved = errno;
  if (root >= 0) close(root);
  if (fd < 0) {
    set_error(error, error_size, "working directory %s: %s", cwd, why(saved));
    return -1;
  }
  close(fd);
  if (r->read_only && remount_read_only("/")) {
    set_error(error, error_size, "make the root file system read-only: %s", strerror(errno));
    return -1;
  }
  return 0;
}

int enter_rootfs(const struct rootfs *r, const struct bind_mount *mounts, int mountc, const char *cwd, const char *terminal, char *error, size_t error_size) {
  if (mount_overlay(r, error, error_size)) return -1;
  /* Opened after the mount: the overlay's root, not the directory under it. */
  int root = open(r->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    set_error(error, error_size, "root file system %s: %s", r->dir, strerror(errno));
    return -1;
  }
  /* /dev before the bind mounts: some of them are in it (/dev/termination-log). */
  int failed = mount_proc(root, error, error_size) || mount_sys(root, r->privileged, error, error_size) || mount_dev(root, r, terminal, error, error_size);
  for (int i = 0; i < mountc && !failed; i++) failed = bind_volume(root, &mounts[i], error, error_size);
  /* Last, so that nothing mounted later uncovers them; a privileged container has none. */
  for (int i = 0; i < r->maskedc && !failed && !r->privileged; i++) failed = mask(root, r->masked[i], error, error_size);
  for (int i = 0; i < r->read_only_pathc && !failed && !r->privileged; i++) failed = protect(root, r->read_only_paths[i], error, error_size);
  if (!failed) failed = pivot(root, r->dir, error, error_size);
  close(root);
  return failed || finish_root(r, cwd, error, error_size) ? -1 : 0;
}
