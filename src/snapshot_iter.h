/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The snapshot through BPF iterators: iter/tcp per network namespace, iter/task_file for owners. */
#ifndef SW_SNAPSHOT_ITER_H
#define SW_SNAPSHOT_ITER_H

#include <stddef.h>

#include "netns.h"

/* Bytes read from an iterator: an array of fixed-size records. */
struct sw_iter_buf {
	char *p;
	size_t len, cap;
};

struct sw_snap_iter;

/*
 * Loads bpf/snapshot.bpf.c and attaches both iterators. Returns 0 or -errno
 * with the reason in why (the kernel refused the programs or the links).
 */
int sw_snap_iter_open(struct sw_snap_iter **out, char *why, size_t whylen);
/*
 * Appends one struct sw_snap_sock per TCP socket of the network namespace ns
 * (NULL: the caller's own) to out; home is an fd of the caller's namespace.
 * Returns 0 or -errno.
 */
int sw_snap_iter_socks(struct sw_snap_iter *it, const struct sw_netns_ref *ns, int home,
		       struct sw_iter_buf *out);
/*
 * Appends one struct sw_snap_owner per file descriptor of a TCP socket (per
 * subflow for an MPTCP socket), in every process, with the socket's netns.
 */
int sw_snap_iter_owners(struct sw_snap_iter *it, struct sw_iter_buf *out);
void sw_snap_iter_close(struct sw_snap_iter *it);

#endif /* SW_SNAPSHOT_ITER_H */
