/*
 * `skiff-shim port-forward PID PORT`: one connection to a port of a pod,
 * dialled from inside the pod's network namespace — what containerd's
 * port-forward does for the kubelet, and what `nsenter -n socat - TCP:…`
 * once did. The agent starts one per forwarded connection and relays the
 * client's bytes through this process's stdin and stdout.
 *
 *   PID   a process of the pod (its shim): its network namespace is joined,
 *         and first its user namespace when it has its own (a rootless pod,
 *         whose network namespace belongs to that user namespace);
 *   PORT  dialled at 127.0.0.1, then at ::1 if refused there — so a server
 *         that listens only on the pod's loopback is reached, as upstream's
 *         port-forward reaches it.
 *
 * The socket belongs to the namespace it was made in, so everything after
 * connect() is plain copying: stdin → socket, socket → stdout. stdin's end
 * becomes a half-close of the socket (the client sent all it will; the
 * answer still comes back). The socket's end ends the process: the pod's
 * server has closed, and a client that would still be writing has no one
 * to read it.
 *
 * Why it could not connect is written on stderr (one line, the agent passes
 * it to the client as the kubelet's port-forward error), exit code 1.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include "shim.h"

/* Opens /proc/PID/ns/NAME, or gives -1 with errno 0 when it is this process's own already (nothing to join). */
static int foreign_namespace(long pid, const char *name) {
  char path[64];
  struct stat theirs, ours;
  snprintf(path, sizeof path, "/proc/%ld/ns/%s", pid, name);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  snprintf(path, sizeof path, "/proc/self/ns/%s", name);
  if (fstat(fd, &theirs) == 0 && stat(path, &ours) == 0 && theirs.st_ino == ours.st_ino && theirs.st_dev == ours.st_dev) {
    close(fd);
    errno = 0;
    return -1;
  }
  return fd;
}

/* A TCP connection to PORT on the loopback of the namespace this process is in: IPv4 first, then IPv6. */
static int dial_loopback(int port) {
  struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&v4, sizeof v4) == 0) return fd;
  int saved = errno;
  if (fd >= 0) close(fd);
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&v6, sizeof v6) == 0) return fd;
  if (fd >= 0) close(fd);
  /* The IPv4 reason is the telling one (a pod may have no IPv6 at all). */
  errno = saved;
  return -1;
}

/* Copies what is ready from one descriptor to another; 1 at the end of input, -1 on an error. */
static int copy_ready(int from, int to) {
  char buffer[65536];
  ssize_t n = read(from, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? 0 : -1;
  if (n == 0) return 1;
  return write_all(to, buffer, n) ? -1 : 0;
}

int run_port_forward(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: skiff-shim port-forward PID PORT\n");
    return 2;
  }
  char *end;
  long pid = strtol(argv[1], &end, 10);
  if (*end || pid <= 0) {
    fprintf(stderr, "port-forward: %s is not a process id\n", argv[1]);
    return 2;
  }
  long port = strtol(argv[2], &end, 10);
  if (*end || port < 1 || port > 65535) {
    fprintf(stderr, "port-forward: %s is not a port\n", argv[2]);
    return 2;
  }
  /* Both opened before either is joined: after setns(user), /proc may say otherwise. */
  int user = foreign_namespace(pid, "user");
  if (user < 0 && errno) {
    fprintf(stderr, "the pod's process %ld is gone: %s\n", pid, strerror(errno));
    return 1;
  }
  int net = foreign_namespace(pid, "net");
  if (net < 0 && errno) {
    fprintf(stderr, "the pod's process %ld is gone: %s\n", pid, strerror(errno));
    return 1;
  }
  if ((user >= 0 && setns(user, CLONE_NEWUSER)) || (net >= 0 && setns(net, CLONE_NEWNET))) {
    fprintf(stderr, "join the pod's network namespace: %s\n", strerror(errno));
    return 1;
  }
  int sock = dial_loopback(port);
  if (sock < 0) {
    fprintf(stderr, "failed to connect to localhost:%ld inside the pod's network namespace: %s\n", port, strerror(errno));
    return 1;
  }
  /* A client gone mid-write is an ordinary end, not a reason to die by SIGPIPE. */
  signal(SIGPIPE, SIG_IGN);
  int input = 0;
  for (;;) {
    struct pollfd fds[2] = {{input, POLLIN, 0}, {sock, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      int done = copy_ready(input, sock);
      if (done) {
        /* The client has sent all it will: the pod's server reads its end. */
        shutdown(sock, SHUT_WR);
        input = -1;
        if (done < 0) break;
      }
    }
    if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && copy_ready(sock, 1)) break;
  }
  close(sock);
  return 0;
}
