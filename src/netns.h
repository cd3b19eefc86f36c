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

/*
 * One network namespace to visit: its inode, and a path that opens it or,
 * for one only a socket holds, an open fd of it (owned by the set) and in
 * path where it was found.
 */
struct sw_netns_ref {
	__u64 ino;
	int fd; /* -1: open path */
	char path[SW_NETNS_PATH_MAX];
};

struct sw_netns_set {
	struct sw_netns_ref *v;
	size_t n, cap;
	__u64 nsfs_dev; /* st_dev of namespace files: anything else is not one */
};

/*
 * Every network namespace that a process or any of its threads lives in
 * (/proc/<pid>/task/<tid>/ns/net) or that `ip netns` keeps mounted
 * (/run/netns), each once (by inode). The first entry is the caller's own.
 * Returns 0 or -errno.
 */
int sw_netns_collect(struct sw_netns_set *s);
void sw_netns_set_free(struct sw_netns_set *s);
/* Whether the namespace with inode ino is in the set. */
bool sw_netns_known(const struct sw_netns_set *s, __u64 ino);
/*
 * Adds the network namespace of the socket at descriptor fd of process pid
 * (a copy through pidfd_getfd(), then SIOCGSKNS) if it is not in the set:
 * for namespaces that only a socket keeps alive. Returns 1 if added, 0 if
 * known or not to be had (the process or descriptor gone, not a socket, a
 * kernel before 5.6), -ENOMEM.
 */
int sw_netns_add_socket(struct sw_netns_set *s, __u32 pid, __u32 fd);

/*
 * Calls fn(ctx) with the calling thread inside the network namespace ns,
 * then returns it to home (an fd of /proc/self/ns/net, opened before).
 * Sockets and iterator files created by fn keep the namespace they were
 * created in. Returns fn's result, or -errno if the namespace cannot be
 * entered.
 */
int sw_netns_run(const struct sw_netns_ref *ns, int home, int (*fn)(void *ctx), void *ctx);

/* Inode of the calling thread's network namespace (0 if unknown). */
__u32 sw_self_netns(void);

#endif /* SW_NETNS_H */
