/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The snapshot through netlink sock_diag: inet_diag dumps of every TCP socket (v4 and v6), as ss does. */
#ifndef SW_SNAPSHOT_DIAG_H
#define SW_SNAPSHOT_DIAG_H

#include <stddef.h>
#include <linux/types.h>

#include "sockwatch.h"

/*
 * Sockets read from inet_diag dumps. inode[i] is the socket inode of v[i]
 * (what /proc/<pid>/fd links to), 0 for TIME_WAIT and request sockets and
 * for sockets no file refers to any more.
 */
struct sw_diag_socks {
	struct sw_snap_sock *v;
	__u32 *inode;
	size_t n, cap;
};

/* A NETLINK_SOCK_DIAG socket; it dumps the network namespace it is created in. fd or -errno. */
int sw_diag_open(void);
/*
 * Dumps every TCP socket (IPv4, then IPv6: listeners, established hash with
 * TIME_WAIT and request sockets) of fd's namespace into out, netns set to
 * netns. Returns 0 or -errno (the kernel's error for a refused dump).
 */
int sw_diag_dump(int fd, __u32 netns, struct sw_diag_socks *out);
void sw_diag_socks_free(struct sw_diag_socks *s);

/*
 * Parses one datagram of a dump with sequence number seq (other sequence
 * numbers are skipped), appending a record per SOCK_DIAG_BY_FAMILY message:
 * cookie (the socket cookie the tracer keys by), tuple (v4-mapped v6 as v4),
 * state (a request socket as SW_TCP_NEW_SYN_RECV, as the iterator reports
 * it), and for full sockets (those with INET_DIAG_INFO) uid and payload
 * bytes from tcp_info. skptr is always 0: sock_diag does not expose it.
 * Returns 1 after NLMSG_DONE, 0 if more datagrams follow, -EBADMSG for a
 * malformed datagram, the error of NLMSG_ERROR or of a failed NLMSG_DONE,
 * -ENOMEM.
 */
int sw_diag_parse(const void *buf, size_t len, __u32 seq, __u32 netns, struct sw_diag_socks *out);

#endif /* SW_SNAPSHOT_DIAG_H */
