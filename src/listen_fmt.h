/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Renders one `sockwatch listen` alert (new listener, baseline, unlisten, flagged remote) as text or JSON. */
#ifndef SW_LISTEN_FMT_H
#define SW_LISTEN_FMT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>

#include "format.h"

enum sw_alert_level {
	SW_LEVEL_INFO = 0, /* expected: allowed by a rule, or an unlisten of an allowed listener */
	SW_LEVEL_ALERT, /* unexpected listener, or a connection to/from a flagged network */
};

enum sw_alert_kind {
	SW_ALERT_BASELINE = 0, /* a listener that existed when sockwatch started */
	SW_ALERT_LISTEN, /* a new listener: listen() returned */
	SW_ALERT_UNLISTEN, /* a listener went away */
	SW_ALERT_REMOTE, /* a connect or accept whose remote address a deny rule flags */
	SW_ALERT_LOST, /* records the kernel could not deliver: lost and where */
};

/* Everything one alert line says. Strings may be NULL (printed as "-" / null). */
struct sw_alert {
	enum sw_alert_kind kind;
	enum sw_alert_level level;
	struct timespec wall; /* when the kernel saw it (baseline: when the tracer was attached) */
	unsigned int family; /* SW_AF_INET / SW_AF_INET6 */
	__u8 laddr[16];
	__u16 lport;
	__u8 raddr[16]; /* SW_ALERT_REMOTE only */
	__u16 rport;
	const char *direction; /* SW_ALERT_REMOTE: "connect", "connect_failed" or "accept" */
	__u32 netns;
	bool host_netns;
	__u32 pid; /* 0: unknown owner */
	__u32 ppid;
	__u32 uid;
	/* uid (and user) known: the owner's, or without one a snapshot socket's own */
	bool uid_known;
	const char *user;
	const char *comm;
	const char *exe;
	const char *exe_check; /* "ok", "changed", "mismatch", NULL: see exe_check.h */
	const char *cgroup;
	const char *container;
	const char *cmdline;
	int rule_line; /* the allow (listeners) or deny (remote) rule that matched; 0 none */
	const char *rule_file; /* the file of that rule, when there are several; NULL: not said */
	/* a listen or unlisten found by a resynchronisation after lost records, not seen as
	 * it happened ("source":"resync") */
	bool resync;
	__u64 lost; /* SW_ALERT_LOST: how many records */
	const char *where; /* SW_ALERT_LOST: "ringbuf" or "kernel" */
};

const char *sw_alert_level_name(enum sw_alert_level l);
const char *sw_alert_kind_name(enum sw_alert_kind k);
/* Text or JSON: returns the length written (no newline), -ENOSPC, or -EINVAL for another format. */
int sw_listen_format(const struct sw_alert *a, enum sw_fmt fmt, char *buf, size_t size);

/* Longest line an alert can produce. */
#define SW_ALERT_LINE_MAX 16384

#endif /* SW_LISTEN_FMT_H */
