/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Finding every network namespace (process namespaces and `ip netns` mounts) and running code inside one. */
#ifndef SW_NETNS_H
#define SW_NETNS_H

#include <stddef.h>
#include <linux/limits.h>
#include <linux/types.h>

/*
 * The longest path to a namespace: an `ip netns` mount, whose name may be
 * NAME_MAX bytes, under the longer of its two directories (the NUL counted).
 */
#define SW_NETNS_PATH_MAX (sizeof("/var/run/netns/") + NAME_MAX)

/* One network namespace to visit: its inode and a path that opens it. */
struct sw_netns_ref {
	__u64 ino;
	char path[SW_NETNS_PATH_MAX];
};

struct sw_netns_set {
	struct sw_netns_ref *v;
	size_t n, cap;
};

/*
 * Every network namespace that a process lives in (/proc/<pid>/ns/net) or
 * that `ip netns` keeps mounted (/run/netns), each once (by inode). The
 * first entry is the caller's own. Returns 0 or -errno.
 */
int sw_netns_collect(struct sw_netns_set *s);
void sw_netns_set_free(struct sw_netns_set *s);

/*
 * Calls fn(ctx) with the calling thread inside the network namespace at
 * path, then returns it to home (an fd of /proc/self/ns/net, opened before).
 * Sockets and iterator files created by fn keep the namespace they were
 * created in. Returns fn's result, or -errno if the namespace cannot be
 * entered.
 */
int sw_netns_run(const char *path, int home, int (*fn)(void *ctx), void *ctx);

/* Inode of the calling thread's network namespace (0 if unknown). */
__u32 sw_self_netns(void);

#endif /* SW_NETNS_H */
