/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Snapshot of the TCP sockets that already exist, in every network namespace, with their owners. */
#ifndef SW_SNAPSHOT_H
#define SW_SNAPSHOT_H

#include <stddef.h>
#include <linux/types.h>

#include "sockwatch.h"

struct sw_snapshot {
	struct sw_snap_sock *socks;
	size_t nsocks;
	struct sw_snap_owner *owners; /* one per (process, fd) holding a TCP socket */
	size_t nowners;
	unsigned int nnetns; /* network namespaces iterated */
	unsigned int netns_failed; /* namespaces that could not be entered */
	__u64 host_netns; /* inode of this process's network namespace */
	__u64 taken_ns; /* CLOCK_MONOTONIC when the snapshot finished */
};

/* Called between steps (e.g. to drain the tracer's ring buffer); may be NULL. */
typedef void (*sw_snapshot_step_fn)(void *ctx);

/*
 * Runs the iter/tcp program once in every network namespace found through
 * /proc/<pid>/ns/net and /run/netns, and the iter/task_file program once.
 * Returns 0 or -errno with one line in err.
 */
int sw_snapshot_take(struct sw_snapshot *s, sw_snapshot_step_fn step, void *ctx, char *err,
		     size_t errlen);
void sw_snapshot_free(struct sw_snapshot *s);

/* Inode of the calling thread's network namespace (0 if unknown). */
__u32 sw_self_netns(void);

#endif /* SW_SNAPSHOT_H */
