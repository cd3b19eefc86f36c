/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Renders one connection-table row as netstat-like text columns or a JSON object. */
#ifndef SW_CONN_FORMAT_H
#define SW_CONN_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "conntab.h"
#include "format.h"

struct sw_conn_fmt {
	enum sw_fmt fmt;
	bool names; /* service names from /etc/services instead of port numbers */
	bool live; /* live view columns: AGE and BYTES */
	bool netns_col; /* a NETNS column (set when some row is not in the host netns) */
	__u32 host_netns; /* rows in this netns leave NETNS blank */
	__u64 now_ns; /* CLOCK_MONOTONIC, for ages */
	unsigned int addr_width; /* LOCAL and REMOTE width in text mode (0: default) */
	int sort_col; /* enum sw_sort_col marked in the header, or -1 */
	bool reverse;
};

/* One row; returns its length (no newline) or -ENOSPC. */
int sw_conn_format(const struct sw_conn *c, const struct sw_conn_fmt *f, char *buf, size_t size);
/* Column titles (text mode only; 0-length for JSON). */
int sw_conn_format_header(const struct sw_conn_fmt *f, char *buf, size_t size);
/* "12s", "5m03s", "2h04m", "3d02h". */
void sw_format_age(__u64 ns, char *buf, size_t size);

#endif /* SW_CONN_FORMAT_H */
