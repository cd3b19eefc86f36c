/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Internals shared by the sink core and its backends (stdout, file, syslog); also used by tests. */
#ifndef SW_SINK_INT_H
#define SW_SINK_INT_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "sink.h"

enum sw_sink_type {
	SW_SINK_STDOUT,
	SW_SINK_FILE,
	SW_SINK_SYSLOG_UNIX,
	SW_SINK_SYSLOG_UDP,
	SW_SINK_SYSLOG_TCP,
};

#define SW_SYSLOG_DEV_LOG "/dev/log"
#define SW_SYSLOG_PORT 514

struct sw_sink_spec {
	enum sw_sink_type type;
	char path[PATH_MAX]; /* file, syslog+unix */
	char host[256]; /* syslog+udp, syslog+tcp: name or address, no brackets */
	unsigned short port;
};

/* Parses spec; on error returns -EINVAL and puts the reason in err. */
int sw_sink_spec_parse(const char *spec, struct sw_sink_spec *out, char *err, size_t n);

/* One queue entry: a record and how many records were lost just before it. */
struct sw_slot {
	struct sw_record rec;
	__u64 lost_before;
};

#define SW_SLOT_CHUNK 256 /* queue slots per chunk of memory */

/*
 * What a backend provides. write() returns 0 when the line was written (or
 * buffered), -EAGAIN when the output is not available yet (the record stays
 * queued and the core waits until deadline()), -ERESTART when it did not
 * take the line because lines buffered before it were just lost (counted:
 * the core writes the lost record first, then this record again at once),
 * or another -errno when the record is lost (the backend has counted the
 * error).
 */
struct sw_sink_ops {
	int (*open)(struct sw_sink *s); /* caller's thread, before the writer starts */
	int (*write)(struct sw_sink *s, const struct sw_record *r, const char *line, size_t len);
	void (*flush)(struct sw_sink *s); /* queue is empty: push out anything buffered */
	void (*reopen)(struct sw_sink *s); /* SIGHUP */
	void (*tick)(struct sw_sink *s); /* timers (rotation interval) */
	bool (*deadline)(struct sw_sink *s,
			 struct timespec *when); /* next wake-up, CLOCK_MONOTONIC */
	void (*close)(
		struct sw_sink *s); /* writer thread has stopped (or was cancelled): no writes */
	/*
	 * The longest the drain at close may last, in ms, however steadily the
	 * output takes records; 0: no such cap, a sink that keeps writing is
	 * waited for (each record written gives it SW_SINK_DRAIN_MS more).
	 */
	unsigned int drain_max_ms;
};

extern const struct sw_sink_ops sw_sink_stdout_ops;
extern const struct sw_sink_ops sw_sink_file_ops;
extern const struct sw_sink_ops sw_sink_syslog_ops;

struct sw_sink {
	const struct sw_sink_ops *ops;
	void *priv; /* backend state */
	char *name;
	struct sw_sink_spec spec;
	struct sw_sink_opts opts; /* defaults filled in */

	/*
	 * Single-producer single-consumer ring; indices only grow. Slot i is
	 * in chunks[i / SW_SLOT_CHUNK % nchunks]. The memory of a chunk the
	 * writer has emptied goes back to the producer through the free ring,
	 * so the memory in use follows the backlog, stays warm in the caches,
	 * and the full capacity is allocated only if it is ever needed.
	 */
	struct sw_slot **chunks;
	size_t nchunks;
	size_t cap;
	_Atomic __u64 head; /* next slot the writer reads */
	_Atomic __u64 tail; /* next slot the producer fills */
	struct sw_slot **free_chunks; /* ring of nchunks: the writer puts, the producer takes */
	_Atomic __u64 free_head; /* next the producer takes */
	_Atomic __u64 free_tail; /* next the writer puts */
	struct sw_slot **all_chunks; /* every chunk allocated, to free them at close */
	size_t nalloc;
	__u64 pending_lost; /* producer: drops not yet attached to a slot */
	__u64 next_seq; /* producer: seq after the last submitted record */

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* CLOCK_MONOTONIC */
	atomic_bool waiting; /* writer is (about to be) asleep on cond */
	atomic_bool stopping;
	atomic_int reopen; /* set from a signal handler */
	struct timespec stop_by; /* set with stopping */
	struct timespec
		drain_end; /* set with stopping if ops->drain_max_ms: stop_by never passes it */
	bool timed_out;
	__u64 writer_lost; /* writer: records lost after dequeue (write failures) */

	_Atomic unsigned long long written, dropped, errors, reconnects, rotations, gone;
	char line[SW_SINK_LINE_MAX];
};

/* Counters for backends; all of them are safe from any thread. */
void sw_sink_count_written(struct sw_sink *s, unsigned long long n);
void sw_sink_count_error(struct sw_sink *s);
/* A failed write: an error, and if err is -EPIPE the reader has gone. */
void sw_sink_count_write_error(struct sw_sink *s, int err);
/*
 * Dequeued lines that could not be written: records real records (counted as
 * dropped) and lost records carrying relost earlier losses. Both are reported
 * again in the next lost record. Writer thread only.
 */
void sw_sink_count_lost(struct sw_sink *s, unsigned long long records, unsigned long long relost);
/* The same for one line. */
void sw_sink_count_unwritten(struct sw_sink *s, const struct sw_record *r);
/*
 * Lines counted as written that never reached the receiver after all (a TCP
 * send queue that died with its connection): lines are no longer written,
 * and records and relost are counted as by sw_sink_count_lost(). Writer
 * thread, or after it has stopped.
 */
void sw_sink_count_undelivered(struct sw_sink *s, unsigned long long lines,
			       unsigned long long records, unsigned long long relost);
/*
 * Whether the sink is being closed and its time to drain is up: a backend
 * waiting for something that cannot be interrupted (a name lookup) stops
 * waiting then, so that sw_sink_close() stays bounded. Writer thread.
 */
bool sw_sink_giving_up(struct sw_sink *s);
/* Whether r is a lost record this sink made (not one from the ring buffer). */
bool sw_sink_own_lost(const struct sw_sink *s, const struct sw_record *r);

/*
 * How sw_write_all() writes to a descriptor. The writer thread can be
 * cancelled (sw_sink_close(), a stalled reader) only while it waits; a write
 * that is cancelled inside write(2) loses the count of what it wrote, so
 * where a reader can stall the writer waits in poll(2) instead, and writes
 * only what is taken at once.
 */
enum sw_fd_kind {
	SW_FD_BLOCKING, /* regular file or other device: write(2) itself waits (and is cancelled) */
	SW_FD_PIPE, /* pipe or FIFO shared with others: poll, then at most PIPE_BUF bytes */
	SW_FD_NONBLOCK, /* pipe, FIFO or tty with O_NONBLOCK of our own: write, poll when full */
	SW_FD_SOCKET, /* socket: send(MSG_DONTWAIT), poll when full */
};

/*
 * Writes buf[*off, len) to fd, advancing *off as the bytes are written;
 * where write(2) would block (a full pipe, also one another process made
 * non-blocking) it waits in poll(2). If the writer thread is cancelled
 * there, *off says exactly how far it got.
 */
int sw_write_all(int fd, enum sw_fd_kind kind, const char *buf, size_t len, size_t *off);
/*
 * How to write to fd, a descriptor others may share (stdout); *own gets a
 * descriptor of our own for it (a pipe or terminal reopened with O_NONBLOCK),
 * or -1.
 */
enum sw_fd_kind sw_fd_kind_of(int fd, int *own);

#define SW_FDBUF_SIZE 65536
#define SW_FDBUF_LINES 1024 /* lines per buffer */

/*
 * Line buffer over a file descriptor, flushed when the queue runs empty or
 * the buffer fills. When a write fails in the middle of a line, the lines
 * before it count as written, the lines after it as lost, and the rest of
 * the cut line stays buffered: it goes out first, before any other byte, so
 * that a line is never glued to a cut one. The file sink drops it (counted
 * as lost) when the output becomes another file.
 */
struct sw_fdbuf {
	int fd;
	enum sw_fd_kind kind;
	bool cut; /* buf starts with the rest of a line whose head is already written */
	size_t len; /* bytes buffered */
	size_t done; /* bytes of buf the flush in progress has written */
	unsigned int lines;
	__u32 end[SW_FDBUF_LINES]; /* where each line ends in buf, its '\n' included */
	__u64 relost[SW_FDBUF_LINES]; /* for one of the sink's lost records its count, else 0 */
	char buf[SW_FDBUF_SIZE];
};

/*
 * Buffers one line, after a flush if it does not fit: 0, or -ERESTART when
 * that flush lost lines (the line is not taken; see struct sw_sink_ops).
 */
int sw_fdbuf_add(struct sw_sink *s, struct sw_fdbuf *b, const struct sw_record *r, const char *line,
		 size_t len);
/*
 * Writes what is buffered; 0 or -errno (the error and the lines not written
 * are counted). *lost (if not NULL): whether lines were lost.
 */
int sw_fdbuf_flush(struct sw_sink *s, struct sw_fdbuf *b, bool *lost);
/*
 * Empties the buffer without writing: the lines a cancelled flush wrote count
 * as written, the others (a cut line too) as lost. Returns whether lines were
 * lost.
 */
bool sw_fdbuf_discard(struct sw_sink *s, struct sw_fdbuf *b);

void sw_timespec_add_ms(struct timespec *ts, long ms);
bool sw_timespec_before(const struct timespec *a, const struct timespec *b);

/*
 * getaddrinfo() that a stop does not wait for: a host name is looked up on a
 * thread of its own, and the writer waits for it until sw_sink_giving_up(s)
 * (-ETIMEDOUT: the lookup finishes alone, and frees what it has). An
 * address is converted at once. 0 with *res (freeaddrinfo() it), or
 * -EHOSTUNREACH when it does not resolve.
 */
struct addrinfo;
int sw_sink_resolve(struct sw_sink *s, const char *host, const char *port,
		    const struct addrinfo *hints, struct addrinfo **res);

/* Gzip-compresses src into dst (created 0640, never through a symlink). */
int sw_gzip_file(const char *src, const char *dst);

/* Syslog line building, exposed for tests. */
struct sw_syslog_id {
	const char *hostname; /* "-" if unknown */
	const char *app_name;
	int procid;
};

#define SW_SYSLOG_FACILITY 3 /* daemon */
#define SW_SYSLOG_PEN 32473 /* IANA example enterprise number (RFC 5612) */
#define SW_SYSLOG_SD_ID "sockwatch@32473"

int sw_syslog_pri(const struct sw_record *r);
/* Escapes '"', '\\' and ']' (RFC 5424 PARAM-VALUE); other non-printable bytes become \xHH. */
int sw_syslog_sd_escape(const char *in, size_t inlen, char *out, size_t size);
/* "<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG"; length or -ENOSPC. */
int sw_syslog_format_5424(const struct sw_syslog_id *id, const struct sw_record *r, const char *msg,
			  size_t msglen, char *buf, size_t size);
/* "<PRI>Mmm dd hh:mm:ss APP-NAME[PROCID]: MSG", the local /dev/log format of syslog(3). */
int sw_syslog_format_local(const struct sw_syslog_id *id, const struct sw_record *r,
			   const char *msg, size_t msglen, char *buf, size_t size);
/* RFC 6587 octet-counting prefix "LEN " for a message of len bytes; prefix length or -ENOSPC. */
int sw_syslog_octet_prefix(size_t len, char *buf, size_t size);

#endif /* SW_SINK_INT_H */
