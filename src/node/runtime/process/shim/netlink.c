/*
 * A pod's network, plugged in through rtnetlink — the messages `ip` would
 * send, without starting `ip` twice per pod:
 *
 *   host:  veth <name> ── on the bridge, up, hairpin on, no IPv6 address of
 *          its own; the host forgets any neighbour entry for the pod's IP
 *          (a deleted pod may have had it)
 *   pod:   lo up; eth0 with its MAC, its address and a default route via the
 *          bridge's address
 *
 * The pod's side is configured through a netlink socket opened inside the
 * pod's network namespace (a socket stays bound to the namespace it was made
 * in), so the node helper never runs anything there.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "shim.h"

/* One netlink request being built: a header, a fixed part, then attributes. */
struct message {
  struct nlmsghdr *header;
  char buffer[1024] __attribute__((aligned(NLMSG_ALIGNTO)));
};

static void *begin(struct message *m, int type, int flags, size_t fixed_size) {
  memset(m->buffer, 0, sizeof m->buffer);
  m->header = (struct nlmsghdr *)m->buffer;
  m->header->nlmsg_type = type;
  m->header->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  m->header->nlmsg_len = NLMSG_LENGTH(fixed_size);
  return NLMSG_DATA(m->header);
}

static struct rtattr *attribute(struct message *m, int type, const void *data, size_t length) {
  /* Every message here is a few hundred bytes of short names and addresses; callers check the names' lengths. */
  if (NLMSG_ALIGN(m->header->nlmsg_len) + RTA_SPACE(length) > sizeof m->buffer) {
    fprintf(stderr, "skiff-shim: a netlink message outgrew its buffer\n");
    abort();
  }
  struct rtattr *attr = (struct rtattr *)(m->buffer + NLMSG_ALIGN(m->header->nlmsg_len));
  attr->rta_type = type;
  attr->rta_len = RTA_LENGTH(length);
  if (length) memcpy(RTA_DATA(attr), data, length);
  m->header->nlmsg_len = NLMSG_ALIGN(m->header->nlmsg_len) + RTA_ALIGN(attr->rta_len);
  return attr;
}

static struct rtattr *nest(struct message *m, int type) { return attribute(m, type, NULL, 0); }

static void end_nest(struct message *m, struct rtattr *nested) {
  nested->rta_len = (char *)m->buffer + m->header->nlmsg_len - (char *)nested;
}

static void string_attribute(struct message *m, int type, const char *value) { attribute(m, type, value, strlen(value) + 1); }

/* Sends the request and reads the kernel's answer: 0, or the negative errno it reported. */
static int send_request(int fd, struct message *m) {
  if (send(fd, m->buffer, m->header->nlmsg_len, 0) < 0) return -errno;
  char reply[4096] __attribute__((aligned(NLMSG_ALIGNTO)));
  for (;;) {
    ssize_t n = recv(fd, reply, sizeof reply, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = (struct nlmsghdr *)reply; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_ERROR) return ((struct nlmsgerr *)NLMSG_DATA(h))->error;
    }
  }
}

static int open_netlink(void) { return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE); }

static int parse_mac(const char *text, unsigned char mac[6]) {
  return sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6 ? 0 : -1;
}

/* Sets a link up (by index, or by name when the index is 0), optionally onto a master. */
static int link_up(int fd, int index, const char *name, int master) {
  struct message m;
  struct ifinfomsg *info = begin(&m, RTM_NEWLINK, 0, sizeof *info);
  info->ifi_family = AF_UNSPEC;
  info->ifi_index = index;
  info->ifi_flags = IFF_UP;
  info->ifi_change = IFF_UP;
  if (!index) string_attribute(&m, IFLA_IFNAME, name);
  if (master) attribute(&m, IFLA_MASTER, &master, sizeof master);
  return send_request(fd, &m);
}

/* The veth pair: `name` stays here, its peer becomes eth0 in the pod's namespace, with its MAC. */
static int create_veth(int fd, const char *name, pid_t pod_pid, const unsigned char mac[6]) {
  struct message m;
  struct ifinfomsg *info = begin(&m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof *info);
  info->ifi_family = AF_UNSPEC;
  string_attribute(&m, IFLA_IFNAME, name);
  struct rtattr *linkinfo = nest(&m, IFLA_LINKINFO);
  string_attribute(&m, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nest(&m, IFLA_INFO_DATA);
  struct rtattr *peer = nest(&m, VETH_INFO_PEER);
  struct ifinfomsg peer_info = {.ifi_family = AF_UNSPEC};
  /* The peer's ifinfomsg sits in the attribute's payload, before its own attributes. */
  memcpy(RTA_DATA(peer), &peer_info, sizeof peer_info);
  m.header->nlmsg_len += NLMSG_ALIGN(sizeof peer_info);
  string_attribute(&m, IFLA_IFNAME, "eth0");
  uint32_t pid = pod_pid;
  attribute(&m, IFLA_NET_NS_PID, &pid, sizeof pid);
  attribute(&m, IFLA_ADDRESS, mac, 6);
  end_nest(&m, peer);
  end_nest(&m, data);
  end_nest(&m, linkinfo);
  return send_request(fd, &m);
}

/*
 * No IPv6 link-local address on the host's end of the veth (as `ip link set
 * NAME addrgenmode none`, before it goes up): a bridge port needs no address
 * of its own, and that address's duplicate address detection and multicast
 * reports were kernel work for every pod. The pod's own eth0 and lo keep
 * theirs. A kernel without IPv6 refuses the request: nothing to avoid then.
 */
static void without_ipv6_address(int fd, const char *name) {
  struct message m;
  struct ifinfomsg *info = begin(&m, RTM_NEWLINK, 0, sizeof *info);
  info->ifi_family = AF_UNSPEC;
  string_attribute(&m, IFLA_IFNAME, name);
  struct rtattr *spec = nest(&m, IFLA_AF_SPEC);
  struct rtattr *inet6 = nest(&m, AF_INET6);
  uint8_t mode = IN6_ADDR_GEN_MODE_NONE;
  attribute(&m, IFLA_INET6_ADDR_GEN_MODE, &mode, sizeof mode);
  end_nest(&m, inet6);
  end_nest(&m, spec);
  (void)send_request(fd, &m);
}

/* Hairpin: a pod reaching itself through a Service leaves and comes back on its own bridge port. */
static int set_hairpin(int fd, const char *name) {
  struct message m;
  struct ifinfomsg *info = begin(&m, RTM_NEWLINK, 0, sizeof *info);
  info->ifi_family = AF_UNSPEC;
  string_attribute(&m, IFLA_IFNAME, name);
  struct rtattr *linkinfo = nest(&m, IFLA_LINKINFO);
  string_attribute(&m, IFLA_INFO_SLAVE_KIND, "bridge");
  struct rtattr *data = nest(&m, IFLA_INFO_SLAVE_DATA);
  unsigned char on = 1;
  attribute(&m, IFLA_BRPORT_MODE, &on, sizeof on);
  end_nest(&m, data);
  end_nest(&m, linkinfo);
  return send_request(fd, &m);
}

/* The IP may have been a deleted pod's a moment ago: the host forgets the MAC it learnt for it. */
static int forget_neighbour(int fd, int bridge, struct in_addr ip) {
  struct message m;
  struct ndmsg *nd = begin(&m, RTM_DELNEIGH, 0, sizeof *nd);
  nd->ndm_family = AF_INET;
  nd->ndm_ifindex = bridge;
  attribute(&m, NDA_DST, &ip, sizeof ip);
  int err = send_request(fd, &m);
  return err == -ENOENT ? 0 : err;
}

static int add_address(int fd, int index, struct in_addr ip, int prefix_length) {
  struct message m;
  struct ifaddrmsg *addr = begin(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, sizeof *addr);
  addr->ifa_family = AF_INET;
  addr->ifa_prefixlen = prefix_length;
  addr->ifa_index = index;
  attribute(&m, IFA_LOCAL, &ip, sizeof ip);
  attribute(&m, IFA_ADDRESS, &ip, sizeof ip);
  return send_request(fd, &m);
}

static int add_default_route(int fd, int index, struct in_addr gateway) {
  struct message m;
  struct rtmsg *route = begin(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, sizeof *route);
  route->rtm_family = AF_INET;
  route->rtm_table = RT_TABLE_MAIN;
  route->rtm_protocol = RTPROT_BOOT;
  route->rtm_scope = RT_SCOPE_UNIVERSE;
  route->rtm_type = RTN_UNICAST;
  attribute(&m, RTA_GATEWAY, &gateway, sizeof gateway);
  attribute(&m, RTA_OIF, &index, sizeof index);
  return send_request(fd, &m);
}

/* A netlink socket inside the pod's network namespace, and eth0's index there. */
static int open_in_namespace(pid_t pod_pid, int *eth0) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/ns/net", (int)pod_pid);
  int pod = open(path, O_RDONLY | O_CLOEXEC), home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int fd = -1;
  if (pod >= 0 && home >= 0 && setns(pod, CLONE_NEWNET) == 0) {
    fd = open_netlink();
    *eth0 = if_nametoindex("eth0");
    if (setns(home, CLONE_NEWNET) != 0) {
      /* Stuck in the pod's namespace, the helper would plug every later pod in wrongly. */
      perror("skiff-shim: cannot return to the node's network namespace");
      _exit(70);
    }
  }
  if (pod >= 0) close(pod);
  if (home >= 0) close(home);
  return fd;
}

int plug_pod_network(const struct pod_request *req, pid_t pod_pid, char *error, size_t error_size) {
  struct in_addr ip, gateway;
  unsigned char mac[6];
  if (inet_pton(AF_INET, req->ip, &ip) != 1 || inet_pton(AF_INET, req->gateway, &gateway) != 1 || parse_mac(req->mac, mac) != 0) {
    set_error(error, error_size, "bad network request (ip %s, gateway %s, mac %s)", req->ip, req->gateway, req->mac);
    return -1;
  }
  int bridge = if_nametoindex(req->bridge);
  if (!bridge) {
    set_error(error, error_size, "bridge %s: %s", req->bridge, strerror(errno));
    return -1;
  }
  int host = open_netlink(), eth0 = 0, pod = -1, created = 0, err;
  const char *step = "netlink socket";
  if (host < 0) {
    err = -errno;
    goto done;
  }
  step = "create the veth pair";
  if ((err = create_veth(host, req->veth, pod_pid, mac))) goto done;
  created = 1;
  without_ipv6_address(host, req->veth);
  step = "put the veth on the bridge";
  if ((err = link_up(host, 0, req->veth, bridge))) goto done;
  step = "turn hairpin on";
  if ((err = set_hairpin(host, req->veth))) goto done;
  step = "flush the neighbour entry";
  if ((err = forget_neighbour(host, bridge, ip))) goto done;
  step = "enter the pod's network namespace";
  pod = open_in_namespace(pod_pid, &eth0);
  if (pod < 0 || !eth0) {
    err = -(errno ? errno : ENODEV);
    goto done;
  }
  step = "set lo up";
  if ((err = link_up(pod, 1, NULL, 0))) goto done;
  step = "address eth0";
  if ((err = add_address(pod, eth0, ip, req->prefix_length))) goto done;
  step = "set eth0 up";
  if ((err = link_up(pod, eth0, NULL, 0))) goto done;
  step = "add the default route";
  err = add_default_route(pod, eth0, gateway);
done:
  if (host >= 0) close(host);
  if (pod >= 0) close(pod);
  if (err) {
    set_error(error, error_size, "pod network (%s): %s", step, strerror(-err));
    /* Only a veth of ours: one that already existed under the name belongs to someone else. */
    if (created) delete_link(req->veth);
    return -1;
  }
  return 0;
}

int delete_link(const char *name) {
  int fd = open_netlink();
  if (fd < 0) return -errno;
  struct message m;
  struct ifinfomsg *info = begin(&m, RTM_DELLINK, 0, sizeof *info);
  info->ifi_family = AF_UNSPEC;
  string_attribute(&m, IFLA_IFNAME, name);
  int err = send_request(fd, &m);
  close(fd);
  return err == -ENODEV ? 0 : err;
}
