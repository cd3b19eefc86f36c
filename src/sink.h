/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Output sinks: a bounded queue and a writer thread each, so that no sink can block the tracer. */
#ifndef SW_SINK_H
#define SW_SINK_H

#include <stdbool.h>
#include <stddef.h>

#include "event.h"

struct sw_sink;

/*
 * Formats one record as one line (no trailing newline) into buf; returns the
 * length, or -ENOSPC if it does not fit. Called on the sink's own thread.
 */
typedef int (*sw_format_fn)(const struct sw_record *r, void *ctx, char *buf, size_t size);

#define SW_SINK_QUEUE_LEN 65536 /* default records per sink queue */
#define SW_SINK_ROTATE_KEEP 5 /* default rotated files kept */
#define SW_SINK_APP_NAME "sockwatch"
#define SW_SINK_LINE_MAX 8192 /* longest formatted line */
#define SW_SINK_DRAIN_MS 2000 /* how long sw_sink_close() waits for a stuck sink */
#define SW_SINK_DRAIN_MAX_MS 3000 /* syslog: the whole drain at close, progress or not */

struct sw_sink_opts {
	sw_format_fn format; /* line formatter (JSON, ECS or text); required */
	void *format_ctx;
	size_t queue_len; /* records per sink queue, 0 = SW_SINK_QUEUE_LEN */
	unsigned long long rotate_size; /* file: bytes, 0 = off */
	unsigned int rotate_interval; /* file: seconds, 0 = off */
	unsigned int rotate_keep; /* file: rotated files kept, 0 = SW_SINK_ROTATE_KEEP */
	const char *app_name; /* syslog APP-NAME, NULL = SW_SINK_APP_NAME */
	bool batch_wakeups; /* submits do not wake the writer: the caller kicks per batch */
};

struct sw_sink_stats {
	unsigned long long written; /* lines written, lost records included */
	unsigned long long dropped; /* records this sink did not write (queue full, write failed) */
	unsigned long long errors; /* failed writes, sends, connects, opens, compressions */
	/* syslog: re-established after a failure (not a SIGHUP's reopen); file: PATH gone, opened again */
	unsigned long long reconnects;
	unsigned long long rotations; /* file: rotations done */
	unsigned long long gone; /* writes refused as the reader went (EPIPE; EIO: tty hung up) */
};

/*
 * Checks a sink spec without opening anything. Returns 0, or -EINVAL with a
 * short lowercase reason in err (e.g. "missing path").
 */
int sw_sink_check_spec(const char *spec, char *err, size_t n);

/*
 * Parses spec ("stdout", "file:PATH", "syslog", "syslog+unix:PATH",
 * "syslog+udp://HOST[:PORT]", "syslog+tcp://HOST[:PORT]"), opens the output
 * and starts the writer thread. -EINVAL for a bad spec, -ELOOP for a file
 * that is a symlink, other -errno from open/socket.
 */
int sw_sink_open(const char *spec, const struct sw_sink_opts *o, struct sw_sink **out);

/*
 * Queues a copy of r. Never blocks: -ENOBUFS when the queue is full (the
 * record is counted as dropped for this sink). The first record queued after
 * drops is preceded by a SW_EV_LOST record carrying the count and r->seq.
 * One submitting thread per sink.
 */
int sw_sink_submit(struct sw_sink *s, const struct sw_record *r);

/* Async-signal-safe: asks the sink to reopen its file or socket before its next write. */
void sw_sink_reopen(struct sw_sink *s);
/* Wakes the writer if records are queued: submits do not, so call it after a batch. */
void sw_sink_kick(struct sw_sink *s);

/*
 * Drains the queue (waiting at most SW_SINK_DRAIN_MS for a sink that cannot
 * write; a syslog sink's drain ends SW_SINK_DRAIN_MAX_MS after the call, even
 * while it still writes), stops the thread and frees the sink. Returns 0, or
 * -ETIMEDOUT if records had to be discarded. Must not run concurrently with
 * submit.
 */
int sw_sink_close(struct sw_sink *s);
/* The same, and fills *final (if not NULL) with the counters after the drain. */
int sw_sink_close_stats(struct sw_sink *s, struct sw_sink_stats *final);

void sw_sink_stats(const struct sw_sink *s, struct sw_sink_stats *st);
/* The spec the sink was opened with; also the lost_where of its lost records. */
const char *sw_sink_name(const struct sw_sink *s);

/*
 * Whether two of the n specs of a run are one output: the same spec ("stdout"
 * and "-" are one), or file: outputs whose paths are the same once made
 * absolute and rid of "." components and repeated or trailing '/' (".." is
 * kept: after a symlink it is not the lexical parent). With by_file (once the
 * outputs are open) also two that are the same file now, by device and inode:
 * file: outputs, and stdout redirected to one of them. Two writers of one file
 * lose records uncounted (rotation renames it under the other). If so, returns
 * true with the indexes of the first such pair in *earlier and *later.
 */
bool sw_sink_specs_clash(const char *const *specs, unsigned int n, bool by_file,
			 unsigned int *earlier, unsigned int *later);

/* A fixed set of sinks fed together (the -o options of one run). */
#define SW_SINK_SET_MAX 16

struct sw_sink_set {
	struct sw_sink *sinks[SW_SINK_SET_MAX];
	unsigned int n;
};

/* Opens spec and adds it to the set; -E2BIG when the set is full. */
int sw_sink_set_open(struct sw_sink_set *set, const char *spec, const struct sw_sink_opts *o);
/* Submits r to every sink; returns how many sinks dropped it. */
unsigned int sw_sink_set_submit(struct sw_sink_set *set, const struct sw_record *r);
/* Wakes the writers of sinks with queued records (call once per batch of submits). */
void sw_sink_set_kick(struct sw_sink_set *set);
/* Async-signal-safe. */
void sw_sink_set_reopen(struct sw_sink_set *set);
/* Closes every sink; returns the first error. */
int sw_sink_set_close(struct sw_sink_set *set);

#endif /* SW_SINK_H */
