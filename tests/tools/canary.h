/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A canary: a child process in a network namespace of its own that makes one
 * loopback TCP connection (connect, accept, close both ends) each time it is
 * asked. The tracer uses it to see that the kernel really delivers state
 * transitions to its programs before it says it is tracing.
 */
#ifndef SW_CANARY_H
#define SW_CANARY_H

#include <sys/types.h>
#include <linux/types.h>

struct sw_canary {
	pid_t pid;
	int cmd; /* write end: one byte per connection wanted */
	int ack; /* read end: one byte per connection made */
	__u32 netns; /* inode of the canary's namespace */
};

/* Starts the child; -errno (e.g. -EPERM without CAP_SYS_ADMIN for unshare). */
int sw_canary_start(struct sw_canary *c);
/* One connection through the child's loopback, on CPU cpu (-1: any), waited for; -errno. */
int sw_canary_connect(struct sw_canary *c, int cpu);
/* Ends the child and waits for it. */
void sw_canary_stop(struct sw_canary *c);

#endif /* SW_CANARY_H */
