/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* User-space event record: a kernel sw_event plus sequence number, wall time and enrichment. */
#ifndef SW_EVENT_H
#define SW_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include "sockwatch.h"

#define SW_SCHEMA_VERSION 1

/*
 * lost_where of the lost records that count entries evicted from the full
 * socket map: no record is missing, but the later records of those sockets
 * carry no owner (SW_F_NO_ENTRY).
 */
#define SW_LOST_SOCKET_MAP "socket-map"

struct sw_record {
	struct sw_event ev; /* the kernel's record (or one user space made) */
	__u64 seq; /* gap-free per run, assigned in delivery order */
	struct timespec wall; /* wall-clock time of ev.ts_ns */
	__u64 lost; /* SW_EV_LOST: how many events were lost */
	/* SW_EV_LOST: "ringbuf", "kernel" (skipped runs), SW_LOST_SOCKET_MAP or a sink's name */
	const char *lost_where;
};

/*
 * Whether the event's owner (pid, tid, comm, uid, ...) is known: not for a
 * socket older than the tracer. Those fields mean nothing then; when it is
 * known they all do, a pid 0 or an empty comm included.
 */
static inline bool sw_owner_known(const struct sw_event *e)
{
	return (e->flags & SW_F_OWNER_MASK) != SW_OWNER_NONE;
}

/* Whether r is a lost record about socket-map evictions (not records lost). */
bool sw_lost_is_evictions(const struct sw_record *r);
const char *sw_kind_name(unsigned int kind);
int sw_kind_from_name(const char *name); /* -EINVAL if unknown */
const char *sw_state_name(unsigned int state);
int sw_state_from_name(const char *name); /* -EINVAL if unknown */
/* Short reason for a failed connect: refused, timeout, reset, unreachable, ... */
const char *sw_error_reason(unsigned int err);
const char *sw_closer_name(unsigned int closer);

/* Decode one ring-buffer sample; -EINVAL if it is not a valid record. */
int sw_event_decode(const void *data, size_t size, struct sw_event *out);

#endif /* SW_EVENT_H */
