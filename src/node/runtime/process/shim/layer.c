/*
 * `skiff-shim layer-nodes ROOT LISTFILE`: the part of unpacking an image
 * layer that Node.js cannot do, for lack of mknod and setxattr. The agent
 * unpacks everything else of the layer into ROOT (a directory of its own
 * that nothing else writes to), lists what is left in LISTFILE, and runs
 * this once per layer. Each line of LISTFILE is one node, fields separated
 * by tabs:
 *
 *   c PATH MODE MAJOR MINOR UID GID   a character device
 *   b PATH MODE MAJOR MINOR UID GID   a block device
 *   p PATH MODE UID GID               a FIFO
 *   w PATH                            an overlayfs whiteout: a character
 *                                     device 0/0 that hides PATH in the
 *                                     layers below
 *   o PATH                            an overlayfs opaque directory: the
 *                                     xattr trusted.overlay.opaque=y on the
 *                                     directory PATH ('.' for ROOT itself)
 *   x PATH NAME HEX                   the extended attribute NAME, its value
 *                                     in hex, on the file or directory PATH:
 *                                     security.capability (file
 *                                     capabilities; root only — an ordinary
 *                                     user's node leaves them out) or user.*
 *                                     other than user.overlay.*
 *
 * MODE is octal permission bits (setuid, setgid and sticky included), the
 * other numbers decimal. PATH is relative to ROOT, made of plain components
 * (no '.', '..' or empty ones).
 *
 * The layer came from a registry and may be hostile: a symlink it made in
 * ROOT must never take a node outside. Each PATH's directory is opened
 * beneath ROOT with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS) — on a
 * kernel before 5.6, component by component with O_NOFOLLOW — and the node
 * is made relative to that descriptor, without following its last component.
 *
 * Exits 0 once every line is applied; 1 at the first failure, saying which
 * line and why on stderr (the agent then discards the whole layer); 2 on a
 * usage error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include "shim.h"


#define MAX_FIELDS 7
#define OPAQUE_XATTR "trusted.overlay.opaque"
#define USER_OPAQUE_XATTR "user.overlay.opaque"
#define CAPABILITY_XATTR "security.capability"
/* Linux's XATTR_SIZE_MAX. */
#define MAX_XATTR_VALUE 65536

/* Whether PATH is relative and made of plain components only ("." alone names ROOT). */
static int is_plain_path(const char *path) {
  size_t length = strlen(path);
  if (length == 0 || length >= PATH_MAX || path[0] == '/') return 0;
  if (!strcmp(path, ".")) return 1;
  for (const char *component = path; ; ) {
    const char *end = strchrnul(component, '/');
    size_t size = end - component;
    if (size == 0 || size > NAME_MAX) return 0;
    if ((size == 1 && component[0] == '.') || (size == 2 && component[0] == '.' && component[1] == '.')) return 0;
    if (!*end) return 1;
    component = end + 1;
  }
}

/* Walks PATH from ROOT one directory at a time, never following a symlink: for kernels without openat2. */
static int open_directory_by_walking(int root, const char *path, int flags) {
  char copy[PATH_MAX];
  snprintf(copy, sizeof copy, "%s", path);
  int fd = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || !strcmp(copy, ".")) {
    if (fd < 0 || flags == O_PATH) return fd;
    int opened = openat(fd, ".", flags | O_DIRECTORY | O_CLOEXEC);
    int saved = errno;
    close(fd);
    errno = saved;
    return opened;
  }
  char *rest = copy;
  for (char *component = strsep(&rest, "/"); component; component = strsep(&rest, "/")) {
    /* A symlink is not a directory under O_NOFOLLOW: ENOTDIR, even with O_PATH. */
    int next = openat(fd, component, (rest ? O_PATH : flags) | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int saved = errno;
    close(fd);
    errno = saved;
    if (next < 0) return -1;
    fd = next;
  }
  return fd;
}

/*
 * Opens the directory PATH beneath ROOT without following any symlink;
 * FLAGS is O_PATH (to make nodes in it) or O_RDONLY (to set an xattr on it).
 */
static int open_directory_beneath(int root, const char *path, int flags) {
#ifdef HAVE_OPENAT2
  static int openat2_missing;
  if (!openat2_missing) {
    struct open_how how = {
      .flags = flags | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC,
      .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = syscall(SYS_openat2, root, path, &how, sizeof how);
    /* ENOSYS before Linux 5.6; EPERM from a seccomp filter that does not know the call. */
    if (fd >= 0 || (errno != ENOSYS && errno != EPERM)) return fd;
    openat2_missing = 1;
  }
#endif
  return open_directory_by_walking(root, path, flags);
}

static int parse_number(const char *text, int base, unsigned long max, unsigned long *value) {
  if (!*text || *text == '-' || *text == '+' || *text == ' ') return -1;
  char *end;
  errno = 0;
  unsigned long parsed = strtoul(text, &end, base);
  if (*end || errno || parsed > max) return -1;
  *value = parsed;
  return 0;
}

/* Splits a line at every tab (empty fields kept); -1 when there are more than MAX. */
static int split_fields(char *line, char **fields, int max) {
  int count = 0;
  for (char *field = line; field; ) {
    if (count == max) return -1;
    fields[count++] = field;
    field = strchr(field, '\t');
    if (field) *field++ = '\0';
  }
  return count;
}

/* Makes one device, FIFO or whiteout: PATH's directory opened safely, the node made relative to it. */
static int make_node(int root, const char *path, mode_t type, unsigned long mode, dev_t device, long uid, long gid, char *error, size_t error_size) {
  char parent[PATH_MAX];
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
  if (!strcmp(path, ".")) {
    set_error(error, error_size, "%s: the layer's root cannot be a node", path);
    return -1;
  }
  int dir = open_directory_beneath(root, parent, O_PATH);
  if (dir < 0) {
    set_error(error, error_size, "directory %s in the layer (symlinks are not followed): %s", parent, strerror(errno));
    return -1;
  }
  int failed = 0;
  /* An ordinary user (a rootless node) may make FIFOs and whiteouts, not devices: those are left out, as rootless containerd does. */
  int as_user = geteuid() != 0;
  if (as_user && (type == S_IFCHR || type == S_IFBLK) && device != makedev(0, 0)) {
    fprintf(stderr, "skiff-shim layer-nodes: %s: a device, left out (not root)\n", path);
  } else if (mknodat(dir, name, type | mode, device)) {
    set_error(error, error_size, "mknod %s: %s", path, strerror(errno));
    failed = -1;
  } else if (as_user) {
    /* Owned by the node's user, which is root in a rootless pod's user namespace. */
  } else if (uid >= 0 && fchownat(dir, name, uid, gid, AT_SYMLINK_NOFOLLOW)) {
    set_error(error, error_size, "chown %s: %s", path, strerror(errno));
    failed = -1;
  } else if (uid >= 0 && fchmodat(dir, name, mode, 0)) {
    /* Again after the chown, which clears setuid and setgid (and the node was just made: no symlink). */
    set_error(error, error_size, "chmod %s: %s", path, strerror(errno));
    failed = -1;
  }
  close(dir);
  return failed;
}

static int make_opaque(int root, const char *path, char *error, size_t error_size) {
  int dir = open_directory_beneath(root, path, O_RDONLY);
  if (dir < 0) {
    set_error(error, error_size, "directory %s in the layer (symlinks are not followed): %s", path, strerror(errno));
    return -1;
  }
  /* An ordinary user may not set trusted.* xattrs: a rootless node's overlays read user.overlay.* instead (mounted with userxattr). */
  const char *name = geteuid() == 0 ? OPAQUE_XATTR : USER_OPAQUE_XATTR;
  int failed = fsetxattr(dir, name, "y", 1, 0);
  if (failed) set_error(error, error_size, "set %s on %s: %s", name, path, strerror(errno));
  close(dir);
  return failed;
}

/* Whether a layer may set the xattr NAME: never one that steers the overlay mount (trusted.*, user.overlay.*). */
static int is_layer_xattr(const char *name) {
  if (!strcmp(name, CAPABILITY_XATTR)) return 1;
  return !strncmp(name, "user.", 5) && strncmp(name, "user.overlay.", 13) && strlen(name) > 5 && strlen(name) <= 255;
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

/*
 * Sets one xattr on the file or directory PATH (never on what a symlink
 * points at, never on a device: opening one would call its driver). The
 * file is found with O_PATH, which opens nothing, and the xattr set through
 * /proc/self/fd — a path, because fsetxattr does not take O_PATH descriptors.
 */
static int set_layer_xattr(int root, const char *path, const char *name, const char *hex, char *error, size_t error_size) {
  size_t hex_length = strlen(hex);
  if (!is_layer_xattr(name) || hex_length % 2 || hex_length / 2 > MAX_XATTR_VALUE) {
    set_error(error, error_size, "xattr %s: not one a layer may set, or a value that is not hex of at most %d bytes", name, MAX_XATTR_VALUE);
    return -1;
  }
  if (!strcmp(name, CAPABILITY_XATTR) && geteuid() != 0) {
    /* Setting file capabilities takes CAP_SETFCAP: a rootless node's containers run without them, as rootless containerd's. */
    fprintf(stderr, "skiff-shim layer-nodes: %s: file capabilities, left out (not root)\n", path);
    return 0;
  }
  static unsigned char value[MAX_XATTR_VALUE];
  for (size_t i = 0; i < hex_length / 2; i++) {
    int high = hex_digit(hex[2 * i]), low = hex_digit(hex[2 * i + 1]);
    if (high < 0 || low < 0) {
      set_error(error, error_size, "xattr %s: the value is not lowercase hex", name);
      return -1;
    }
    value[i] = (unsigned char)(high << 4 | low);
  }
  char parent[PATH_MAX];
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  snprintf(parent, sizeof parent, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
  int dir = open_directory_beneath(root, parent, O_PATH);
  if (dir < 0) {
    set_error(error, error_size, "directory %s in the layer (symlinks are not followed): %s", parent, strerror(errno));
    return -1;
  }
  int fd = openat(dir, strcmp(path, ".") ? base : ".", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  int saved = errno;
  close(dir);
  if (fd < 0) {
    set_error(error, error_size, "open %s: %s", path, strerror(saved));
    return -1;
  }
  struct stat status;
  int failed = 0;
  if (fstat(fd, &status)) {
    set_error(error, error_size, "stat %s: %s", path, strerror(errno));
    failed = -1;
  } else if (S_ISREG(status.st_mode) || S_ISDIR(status.st_mode)) {
    char through[64];
    snprintf(through, sizeof through, "/proc/self/fd/%d", fd);
    if (setxattr(through, name, value, hex_length / 2, 0) == 0) {
      /* Set. */
    } else if (errno == ENOTSUP || (geteuid() != 0 && (errno == EACCES || errno == EPERM))) {
      /*
       * The file system under the data dir keeps no such xattrs (containerd, too, goes on), or
       * an ordinary user may not write them on a file the layer made read-only.
       */
      fprintf(stderr, "skiff-shim layer-nodes: %s: xattr %s left out: %s\n", path, name, strerror(errno));
    } else {
      set_error(error, error_size, "set xattr %s on %s: %s", name, path, strerror(errno));
      failed = -1;
    }
  }
  close(fd);
  return failed;
}

/* Applies one line of the list; its fields are already split. */
static int apply_node(int root, char **fields, int count, char *error, size_t error_size) {
  const char *kind = fields[0];
  if (count < 2 || strlen(kind) != 1) {
    set_error(error, error_size, "expected KIND PATH …");
    return -1;
  }
  const char *path = fields[1];
  if (!is_plain_path(path)) {
    set_error(error, error_size, "%s: not a relative path of plain components", path);
    return -1;
  }
  unsigned long mode, major, minor, uid, gid;
  switch (kind[0]) {
  case 'c':
  case 'b':
    if (count != 7 || parse_number(fields[2], 8, 07777, &mode) || parse_number(fields[3], 10, 0xfffffffful, &major) ||
        parse_number(fields[4], 10, 0xfffffffful, &minor) || parse_number(fields[5], 10, 0xfffffffeul, &uid) ||
        parse_number(fields[6], 10, 0xfffffffeul, &gid)) {
      set_error(error, error_size, "expected %s PATH MODE MAJOR MINOR UID GID", kind);
      return -1;
    }
    return make_node(root, path, kind[0] == 'c' ? S_IFCHR : S_IFBLK, mode, makedev(major, minor), uid, gid, error, error_size);
  case 'p':
    if (count != 5 || parse_number(fields[2], 8, 07777, &mode) || parse_number(fields[3], 10, 0xfffffffeul, &uid) ||
        parse_number(fields[4], 10, 0xfffffffeul, &gid)) {
      set_error(error, error_size, "expected p PATH MODE UID GID");
      return -1;
    }
    return make_node(root, path, S_IFIFO, mode, 0, uid, gid, error, error_size);
  case 'w':
    if (count != 2) break;
    /* What overlayfs takes for a deleted file: a character device 0/0 (owned by us, root, like containerd's). */
    return make_node(root, path, S_IFCHR, 0, makedev(0, 0), -1, -1, error, error_size);
  case 'o':
    if (count != 2) break;
    return make_opaque(root, path, error, error_size);
  case 'x':
    if (count != 4) {
      set_error(error, error_size, "expected x PATH NAME HEX");
      return -1;
    }
    return set_layer_xattr(root, path, fields[2], fields[3], error, error_size);
  }
  set_error(error, error_size, "unknown line (expected c, b, p, w, o or x and its fields)");
  return -1;
}

int apply_layer_nodes(const char *root_path, const char *list_path) {
  /* Modes are the layer's, exactly: no umask in the way. */
  umask(0);
  int root = open(root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) {
    fprintf(stderr, "skiff-shim layer-nodes: %s: %s\n", root_path, strerror(errno));
    return 1;
  }
  FILE *list = fopen(list_path, "re");
  if (!list) {
    fprintf(stderr, "skiff-shim layer-nodes: %s: %s\n", list_path, strerror(errno));
    close(root);
    return 1;
  }
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length;
  int number = 0, status = 0;
  while ((length = getline(&line, &capacity, list)) > 0) {
    number++;
    if (line[length - 1] == '\n') line[--length] = '\0';
    if (length == 0) continue;
    char *fields[MAX_FIELDS];
    char error[PATH_MAX + 256] = "";
    int count = split_fields(line, fields, MAX_FIELDS);
    if (count < 0) set_error(error, sizeof error, "too many fields");
    if (count < 0 || apply_node(root, fields, count, error, sizeof error)) {
      fprintf(stderr, "skiff-shim layer-nodes: %s line %d: %s\n", list_path, number, error);
      status = 1;
      break;
    }
  }
  if (!status && ferror(list)) {
    fprintf(stderr, "skiff-shim layer-nodes: read %s: %s\n", list_path, strerror(errno));
    status = 1;
  }
  free(line);
  fclose(list);
  close(root);
  return status;
}
