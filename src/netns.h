/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding every network namespace (threads', sockets', `ip netns` mounts) and running code inside one. */
#ifndef SW_NETNS_H
#define SW_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/limits.h>
#include <linux/types.h>

/*
 * The longest path to a namespace: an `ip netns` mount, whose name may be
 * NAME_MAX bytes, under the longer of its two directories (the NUL counted).
 */
#define SW_NETNS_PATH_MAX (sizeof("/var/run/netns/") + NAME_MAX)

/* Processes seen living in a namespace that are kept as other ways into it. */
#define SW_NETNS_HOLDERS 8

/* How a visit of a namespace went (set by the visitor, src/snapshot.c). */
enum sw_netns_visit {
	SW_NETNS_UNVISITED = 0,
	SW_NETNS_ENTERED,
	SW_NETNS_FAILED, /* no way in opened it, or setns() refused it */
	SW_NETNS_REPLACED, /* failed, then found again through a socket: a later entry */
	SW_NETNS_SKIPPED, /* not the one asked for (--netns): never entered */
};

/*
 * One network namespace to visit: its inode and device, and the ways into
 * it. A path is opened only when the namespace is visited, and a process
 * seen in it then may have exited, or its pid may name a process in
 * another namespace: so what opens is checked against (dev, ino), and the
 * ways are tried in turn: an open fd (a namespace only a socket holds,
 * owned by the set; path then says where it was found), the `ip netns`
 * mount, then the threads of up to SW_NETNS_HOLDERS processes seen in it.
 */
struct sw_netns_ref {
	__u64 ino;
	__u64 dev;
	int fd; /* -1: none */
	enum sw_netns_visit visit;
	int err; /* SW_NETNS_FAILED: errno */
	char path[SW_NETNS_PATH_MAX]; /* a mount ("" if none), or where the fd came from */
	unsigned int nholders;
	struct sw_netns_holder {
		__u32 pid, tid; /* /proc/<pid>/task/<tid>/ns/net */
	} holders[SW_NETNS_HOLDERS]; /* distinct processes, in the order seen */
};

struct sw_netns_set {
	struct sw_netns_ref *v;
	size_t n, cap;
	__u64 nsfs_dev; /* st_dev of namespace files: anything else is not one */
};

/*
 * Every network namespace that `ip netns` keeps mounted (/run/netns, first:
 * a mount stays while processes come and go) or that a process or any of its
 * threads lives in (/proc/<pid>/task/<tid>/ns/net), each once (by inode),
 * with up to SW_NETNS_HOLDERS processes in it. The first entry is the
 * caller's own. Returns 0 or -errno.
 */
int sw_netns_collect(struct sw_netns_set *s);
void sw_netns_set_free(struct sw_netns_set *s);
/*
 * Whether the namespace with inode ino is in the set, other than as one
 * whose visit failed (SW_NETNS_FAILED).
 */
bool sw_netns_known(const struct sw_netns_set *s, __u64 ino);
/*
 * Adds the network namespace of the socket at descriptor fd of process pid
 * (a copy through pidfd_getfd(), then SIOCGSKNS) if it is not in the set:
 * for namespaces that only a socket keeps alive, and for one whose visit
 * failed although a socket shows it is alive (its failed entry is then
 * SW_NETNS_REPLACED). Returns 1 if added, 0 if known or not to be had (the
 * process or descriptor gone, not a socket, a kernel before 5.6), -ENOMEM.
 */
int sw_netns_add_socket(struct sw_netns_set *s, __u32 pid, __u32 fd);

/*
 * Calls fn(ctx) with the calling thread inside the network namespace ns,
 * then returns it to home (an fd of /proc/self/ns/net, opened before).
 * Each way in (struct sw_netns_ref) is tried until one opens this very
 * namespace. Sockets and iterator files created by fn keep the namespace
 * they were created in. Returns fn's result, or -errno if the namespace
 * cannot be entered (that of the first way in that failed).
 */
int sw_netns_run(const struct sw_netns_ref *ns, int home, int (*fn)(void *ctx), void *ctx);
/* The first way into ns, for messages: its mount, fd's origin, or first holder's path. */
void sw_netns_where(const struct sw_netns_ref *ns, char *buf, size_t size);

/* Inode of the calling thread's network namespace (0 if unknown). */
__u32 sw_self_netns(void);

#endif /* SW_NETNS_H */
