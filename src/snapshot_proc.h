/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Owners of sockets from /proc/<pid>/fd (socket:[inode] links), with comm and effective uid. */
#ifndef SW_SNAPSHOT_PROC_H
#define SW_SNAPSHOT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "sockwatch.h"

/* A socket inode whose holders are wanted, and the cookie to file them under. */
struct sw_inode_cookie {
	__u64 inode;
	__u64 cookie;
};

struct sw_proc_owners {
	struct sw_snap_owner *v;
	size_t n, cap;
	/*
	 * Set by the caller to have the descriptors of the sockets not in map
	 * listed too (pid and fd only): some may be TCP sockets of a namespace
	 * not dumped yet.
	 */
	bool want_unknown;
	struct sw_snap_owner *unknown;
	size_t nunknown, ucap;
};

/*
 * For every process under procroot ("/proc"), one sw_snap_owner per file
 * descriptor that links to a socket inode found in map (sorted by inode, n
 * entries): cookie from map, skptr 0, pid, effective uid, fd and comm. A
 * process's descriptors come together (as with iter/task_file). Processes
 * that exit meanwhile or cannot be read are skipped. Returns 0, -ENOMEM, or
 * -errno when procroot itself cannot be read.
 */
int sw_proc_owners(const char *procroot, const struct sw_inode_cookie *map, size_t n,
		   struct sw_proc_owners *out);
void sw_proc_owners_free(struct sw_proc_owners *o);
/* Sorts map by inode for sw_proc_owners. */
void sw_inode_map_sort(struct sw_inode_cookie *map, size_t n);

/* Parsing helpers (unit-tested). */

/* The inode of a descriptor link "socket:[N]"; -EINVAL for any other target. */
int sw_proc_socket_inode(const char *link, __u64 *inode);
/* The effective uid (second number of the "Uid:" line) in /proc/<pid>/status text. */
int sw_proc_status_euid(const char *status, __u32 *euid);

#endif /* SW_SNAPSHOT_PROC_H */
