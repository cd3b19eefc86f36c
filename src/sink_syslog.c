// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The syslog sinks: local /dev/log (datagram or stream), RFC 5424 over UDP and TCP, reconnects. */
#include <errno.h>
#include <linux/sockios.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sink_int.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define SEND_TIMEOUT_MS 1000 /* datagram sends; also bounds connect(2) on Linux */
#define STALL_MS 5000 /* a stream receiver that takes nothing for this long is gone */
#define PROGRESS_CHECK_MS 100 /* a stream send waiting for room looks at the receiver's progress */
#define APP_NAME_MAX 48 /* RFC 5424 */
/*
 * TCP send buffer. Left to autotuning it grows to 4 MiB (tcp_wmem), all of
 * it lost when the receiver dies. 256 KiB (the kernel doubles it, and caps
 * it at net.core.wmem_max) still keeps half a MiB in flight: 5 MB/s, some
 * 15,000 records a second, at a 100 ms round trip; far more on a LAN.
 */
#define TCP_SNDBUF 262144
#define SENT_RING_MIN 1024 /* frames tracked at first; grows if acks lag */

/* A frame handed to the kernel on the current TCP connection, not yet known to be acknowledged. */
struct sent_frame {
	__u64 end; /* bytes sent on the connection up to the end of this frame */
	__u64 relost; /* one of the sink's lost records: its count */
	bool lost_line; /* one of the sink's lost records, not a record */
};

struct syslog_sink {
	struct sw_syslog_id id;
	char hostname[256];
	char app_name[APP_NAME_MAX + 1];
	int fd; /* -1 while disconnected */
	int unix_type; /* syslog+unix: SOCK_DGRAM, or SOCK_STREAM for a stream listener */
	/*
	 * TCP: the frames sent on this connection that may not have been
	 * acknowledged yet, oldest first, so that those a dead connection took
	 * along can be counted (SIOCOUTQ says how many bytes that was).
	 */
	__u64 sent; /* bytes handed to the kernel on this connection, a cut frame's too */
	struct sent_frame *ring;
	size_t ring_cap, ring_first, ring_len;
	bool conn_failed; /* a connection failed (or its receiver went): the next one is a reconnect */
	bool stop_failed; /* one failed (or was given up) while stopping: no other is made */
	long backoff_ms;
	struct timespec retry_at; /* CLOCK_MONOTONIC */
	char frame[SW_SINK_LINE_MAX + 1024];
};

/* RFC 5424 header fields are printable US-ASCII without spaces. */
static void printable_copy(char *dst, size_t size, const char *src)
{
	size_t i;

	for (i = 0; src[i] && i + 1 < size; i++)
		dst[i] = src[i] > ' ' && src[i] < 0x7f ? src[i] : '_';
	dst[i] = '\0';
	if (!i)
		strcpy(dst, "-");
}

static int socket_type(const struct sw_sink *s)
{
	return s->spec.type == SW_SINK_SYSLOG_TCP ? SOCK_STREAM : SOCK_DGRAM;
}

static int setup_socket(int fd, enum sw_sink_type type)
{
	struct timeval tv = { SEND_TIMEOUT_MS / 1000, (SEND_TIMEOUT_MS % 1000) * 1000 };
	int sndbuf = TCP_SNDBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	if (type == SW_SINK_SYSLOG_TCP &&
	    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		return -errno;
	return 0;
}

static int connect_unix_type(const struct sw_sink *s, int type)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(s->spec.path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, s->spec.path);
	fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = setup_socket(fd, s->spec.type);
	if (!err && connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * A datagram socket, as /dev/log is; a stream listener (syslog-ng's
 * unix-stream(), some containers' /dev/log) refuses that with EPROTOTYPE,
 * and gets a stream connection, as glibc's openlog() does. The type that
 * worked is tried first next time; a receiver restarted with the other type
 * is followed.
 */
static int connect_unix(const struct sw_sink *s, struct syslog_sink *y)
{
	int fd = connect_unix_type(s, y->unix_type);

	if (fd != -EPROTOTYPE)
		return fd;
	y->unix_type = y->unix_type == SOCK_DGRAM ? SOCK_STREAM : SOCK_DGRAM;
	return connect_unix_type(s, y->unix_type);
}

/* A connection with a byte stream: TCP, or a stream unix socket. */
static bool stream(const struct sw_sink *s, const struct syslog_sink *y)
{
	return s->spec.type == SW_SINK_SYSLOG_TCP ||
	       (s->spec.type == SW_SINK_SYSLOG_UNIX && y->unix_type == SOCK_STREAM);
}

/*
 * A name is resolved by sw_sink_resolve(), so that a nameserver that does
 * not answer cannot hold up a stop; each address's connect(2) is bounded by
 * SEND_TIMEOUT_MS, and no further address is tried once the sink gives up.
 */
static int connect_inet(struct sw_sink *s)
{
	struct addrinfo hints = { .ai_socktype = socket_type(s), .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char port[8];
	int fd = -1, err;

	snprintf(port, sizeof(port), "%u", s->spec.port);
	err = sw_sink_resolve(s, s->spec.host, port, &hints, &res);
	if (err)
		return err;
	err = -EHOSTUNREACH;
	for (ai = res; ai && !sw_sink_giving_up(s); ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		err = setup_socket(fd, s->spec.type);
		if (!err && connect(fd, ai->ai_addr, ai->ai_addrlen))
			err = -errno;
		if (!err)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd >= 0 ? fd : err;
}

static struct sent_frame *ring_at(struct syslog_sink *y, size_t i)
{
	return &y->ring[(y->ring_first + i) % y->ring_cap];
}

/* Bytes sent on the connection that its receiver has acknowledged. */
static __u64 acked_bytes(const struct syslog_sink *y)
{
	int unacked;

	if (ioctl(y->fd, SIOCOUTQ, &unacked) || unacked < 0 || (__u64)unacked > y->sent)
		return y->sent; /* cannot tell: nothing is counted as lost */
	return y->sent - unacked;
}

/* Forgets the frames the receiver has acknowledged. */
static void ring_prune(struct syslog_sink *y)
{
	__u64 acked = acked_bytes(y);

	while (y->ring_len && ring_at(y, 0)->end <= acked) {
		y->ring_first = (y->ring_first + 1) % y->ring_cap;
		y->ring_len--;
	}
}

static int ring_grow(struct syslog_sink *y)
{
	size_t cap = y->ring_cap ? 2 * y->ring_cap : SENT_RING_MIN, i;
	struct sent_frame *ring = malloc(cap * sizeof(*ring));

	if (!ring)
		return -ENOMEM;
	for (i = 0; i < y->ring_len; i++)
		ring[i] = *ring_at(y, i);
	free(y->ring);
	y->ring = ring;
	y->ring_cap = cap;
	y->ring_first = 0;
	return 0;
}

/*
 * Records a frame just sent. The ring holds what the send buffer can: once
 * full, the acknowledged frames go; it grows only while the receiver's
 * acknowledgements lag behind more frames than it has room for (small
 * ones). If memory runs out the oldest frame is forgotten, as if
 * acknowledged.
 */
static void ring_push(struct sw_sink *s, struct syslog_sink *y, const struct sw_record *r)
{
	struct sent_frame *f;

	if (y->ring_len == y->ring_cap) {
		if (y->ring_len)
			ring_prune(y);
		if (y->ring_len == y->ring_cap && ring_grow(y)) {
			if (!y->ring_cap)
				return; /* not tracked: counted as delivered */
			y->ring_first = (y->ring_first + 1) % y->ring_cap;
			y->ring_len--;
		}
	}
	f = ring_at(y, y->ring_len++);
	f->end = y->sent;
	f->lost_line = sw_sink_own_lost(s, r);
	f->relost = f->lost_line ? r->lost : 0;
}

/*
 * The connection has failed or its receiver has gone: the frames it never
 * acknowledged will never be read. They were counted as written; now they
 * count as lost, and the next lost record says so. Returns whether any were.
 */
static bool count_unacked(struct sw_sink *s, struct syslog_sink *y)
{
	unsigned long long lines = 0, records = 0, relost = 0;
	__u64 acked;
	struct sent_frame *f;

	if (!y->ring_len)
		return false;
	acked = acked_bytes(y);
	while (lines < y->ring_len) {
		f = ring_at(y, y->ring_len - 1 - lines);
		if (f->end <= acked)
			break;
		lines++;
		if (f->lost_line)
			relost += f->relost;
		else
			records++;
	}
	if (lines)
		sw_sink_count_undelivered(s, lines, records, relost);
	return lines > 0;
}

/* Closes the connection; what is in flight is still delivered (SIGHUP, exit). */
static void disconnect(struct syslog_sink *y)
{
	if (y->fd >= 0)
		close(y->fd);
	y->fd = -1;
	y->sent = 0;
	y->ring_len = 0;
}

/*
 * Closes a connection that failed, or whose receiver has gone: what it never
 * acknowledged is counted as lost, and discarded (a reset, not a FIN after
 * it), so that it cannot arrive after all. Nothing is sent again: the
 * receiver may have had part of it. Returns whether records were lost.
 */
static bool drop_connection(struct sw_sink *s, struct syslog_sink *y)
{
	struct linger abort_close = { .l_onoff = 1, .l_linger = 0 };
	bool lost;

	if (y->fd < 0)
		return false;
	y->conn_failed = true;
	if (atomic_load(&s->stopping))
		y->stop_failed = true;
	lost = count_unacked(s, y);
	if (s->spec.type == SW_SINK_SYSLOG_TCP)
		setsockopt(y->fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof(abort_close));
	disconnect(y);
	return lost;
}

static void back_off(struct sw_sink *s, struct syslog_sink *y)
{
	sw_sink_count_error(s);
	drop_connection(s, y);
	y->backoff_ms = y->backoff_ms ? y->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (y->backoff_ms > BACKOFF_MAX_MS)
		y->backoff_ms = BACKOFF_MAX_MS;
	clock_gettime(CLOCK_MONOTONIC, &y->retry_at);
	sw_timespec_add_ms(&y->retry_at, y->backoff_ms);
}

/* A syslog receiver never talks back on a stream: readable means closed. */
static bool peer_closed(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return false;
	if (p.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return true;
	return recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) == 0;
}

/*
 * 0 when connected, -EAGAIN while waiting for the next attempt, -ERESTART
 * when connected again after the receiver had gone with records in flight
 * (their lost record goes first). Once a connection has failed while the
 * sink stops, no other is made: a new one would only fill fresh buffers for
 * a receiver that takes nothing, and what is still queued is dropped when
 * the drain ends (SW_SINK_DRAIN_MS).
 */
static int ensure_connected(struct sw_sink *s, struct syslog_sink *y)
{
	struct timespec now;
	bool lost = false;
	int fd;

	if (y->fd >= 0 && stream(s, y) && peer_closed(y->fd))
		lost = drop_connection(s, y); /* reconnect at once; back off only if that fails */
	if (y->fd >= 0)
		return 0;
	if (y->stop_failed)
		return -EAGAIN;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (sw_timespec_before(&now, &y->retry_at))
		return -EAGAIN;
	fd = s->spec.type == SW_SINK_SYSLOG_UNIX ? connect_unix(s, y) : connect_inet(s);
	if (fd < 0) {
		back_off(s, y);
		return -EAGAIN;
	}
	y->fd = fd;
	if (y->conn_failed)
		atomic_fetch_add(&s->reconnects, 1); /* not after a SIGHUP's deliberate reopen */
	y->conn_failed = false;
	return lost ? -ERESTART : 0;
}

/* Bytes of the send queue the receiver has not taken (TCP: acknowledged; unix: read), or -1. */
static int send_queue(int fd)
{
	int n;

	return ioctl(fd, SIOCOUTQ, &n) ? -1 : n;
}

static long ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (t->tv_sec - now.tv_sec) * 1000 + (t->tv_nsec - now.tv_nsec + 999999) / 1000000;
}

/*
 * A stream send found the send buffer full: waits for room while the
 * receiver makes progress. The receiver is gone (-ETIMEDOUT) only when it
 * has taken nothing for STALL_MS (*idle_by). The kernel says there is room
 * (POLLOUT, or the end of a blocking send) only once a third of the buffer
 * is free (a quarter on a unix socket), which a reader taking 100 KB/s needs
 * more than a second for: a blocking send's 1 s time-out took it for dead
 * and reset it. So the wait also looks at the send queue every
 * PROGRESS_CHECK_MS, and each time it has shrunk (the receiver acknowledged
 * bytes) the receiver gets STALL_MS more. A TCP receiver acknowledges what
 * its application reads in steps, a window update after it has read some
 * 64-128 KB (half its receive buffer, at least one 64 KB loopback segment):
 * a reader taking 100 KB/s shows progress about once a second, hence the
 * 5 s. 0: try the send again; -ECANCELED: the sink gives up (its drain at
 * close is over); -ETIMEDOUT; or the error of poll(2).
 */
static int wait_for_room(struct sw_sink *s, int fd, struct timespec *idle_by)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int queued = send_queue(fd), now_queued, n;
	long ms;

	for (;;) {
		if (sw_sink_giving_up(s))
			return -ECANCELED;
		ms = ms_until(idle_by);
		if (ms <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, ms < PROGRESS_CHECK_MS ? ms : PROGRESS_CHECK_MS);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			return 0; /* room, or an error that the send reports */
		now_queued = send_queue(fd);
		if (now_queued >= 0 && now_queued < queued) {
			clock_gettime(CLOCK_MONOTONIC, idle_by);
			sw_timespec_add_ms(idle_by, STALL_MS);
		}
		queued = now_queued;
	}
}

/*
 * One datagram per message; on a stream, TCP frames each message as
 * "LEN SP MSG" (RFC 6587 octet counting), and a stream unix socket ends it
 * with a NUL byte, as glibc's syslog(3) does there (syslog-ng's unix-stream()
 * ends a message at a NUL as at a newline; rsyslog's imptcp on a socket
 * path with addtlFrameDelimiter="0").
 */
static int send_frame(struct sw_sink *s, struct syslog_sink *y, size_t len)
{
	struct iovec iov[2];
	struct msghdr mh = { .msg_iov = iov };
	struct timespec idle_by;
	char prefix[24];
	ssize_t n;
	int plen, err;

	if (!stream(s, y))
		return send(y->fd, y->frame, len, MSG_NOSIGNAL) < 0 ? -errno : 0;

	if (s->spec.type == SW_SINK_SYSLOG_TCP) {
		plen = sw_syslog_octet_prefix(len, prefix, sizeof(prefix));
		iov[0] = (struct iovec){ prefix, plen };
		iov[1] = (struct iovec){ y->frame, len };
		mh.msg_iovlen = 2;
	} else {
		y->frame[len] = '\0'; /* the formatter left room for it */
		iov[0] = (struct iovec){ y->frame, len + 1 };
		mh.msg_iovlen = 1;
	}
	/* non-blocking: the wait for room judges the receiver by its progress */
	clock_gettime(CLOCK_MONOTONIC, &idle_by);
	sw_timespec_add_ms(&idle_by, STALL_MS);
	while (mh.msg_iovlen) {
		n = sendmsg(y->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			err = wait_for_room(s, y->fd, &idle_by);
			if (err)
				return err;
			continue;
		}
		if (n < 0)
			return -errno;
		clock_gettime(CLOCK_MONOTONIC, &idle_by); /* the receiver made room */
		sw_timespec_add_ms(&idle_by, STALL_MS);
		y->sent += n;
		while (mh.msg_iovlen && (size_t)n >= mh.msg_iov->iov_len) {
			n -= mh.msg_iov->iov_len;
			mh.msg_iov++;
			mh.msg_iovlen--;
		}
		if (mh.msg_iovlen) {
			mh.msg_iov->iov_base = (char *)mh.msg_iov->iov_base + n;
			mh.msg_iov->iov_len -= n;
		}
	}
	return 0;
}

static int syslog_write(struct sw_sink *s, const struct sw_record *r, const char *line, size_t len)
{
	struct syslog_sink *y = s->priv;
	int n, err;

	err = ensure_connected(s, y);
	if (err)
		return err;
	if (s->spec.type == SW_SINK_SYSLOG_UNIX)
		n = sw_syslog_format_local(&y->id, r, line, len, y->frame, sizeof(y->frame));
	else
		n = sw_syslog_format_5424(&y->id, r, line, len, y->frame, sizeof(y->frame));
	if (n < 0) {
		sw_sink_count_error(s);
		sw_sink_count_unwritten(s, r);
		return n;
	}
	err = send_frame(s, y, n);
	if (err == -ECANCELED) {
		/*
		 * The drain at close is over with the receiver still not taking
		 * everything: the record stays queued, dropped with the rest,
		 * and the connection goes as a failed one does (no other is
		 * made while stopping): reset, and what its receiver has not
		 * acknowledged counted as dropped, not left to arrive or not
		 * after the exit.
		 */
		drop_connection(s, y);
		return -EAGAIN;
	}
	if (err == -EMSGSIZE) {
		/* this record can never be sent; the connection is fine */
		sw_sink_count_error(s);
		sw_sink_count_unwritten(s, r);
		return err;
	}
	if (err) {
		/*
		 * Keep the record queued; a half-sent TCP frame dies with the
		 * connection, and what it had not acknowledged is counted lost.
		 */
		back_off(s, y);
		return -EAGAIN;
	}
	y->backoff_ms = 0;
	if (s->spec.type == SW_SINK_SYSLOG_TCP)
		ring_push(s, y, r);
	sw_sink_count_written(s, 1);
	return 0;
}

/*
 * The queue is empty (or the sink stops): a stream receiver that has gone is
 * noticed now (for TCP, what it took along is counted, and announced by the
 * next lost record even if no record follows).
 */
static void syslog_flush(struct sw_sink *s)
{
	struct syslog_sink *y = s->priv;

	if (y->fd >= 0 && stream(s, y) && peer_closed(y->fd))
		drop_connection(s, y);
}

/*
 * When to try connecting again after a failure. With nothing failed
 * (retry_at zero: never connected yet, or reset by SIGHUP) there is no
 * deadline: the next record connects. Returning that zero time, in the
 * past, made an idle writer that had never connected spin.
 */
static bool syslog_deadline(struct sw_sink *s, struct timespec *when)
{
	struct syslog_sink *y = s->priv;

	if (y->fd >= 0 || (!y->retry_at.tv_sec && !y->retry_at.tv_nsec))
		return false;
	*when = y->retry_at;
	return true;
}

static void syslog_reopen(struct sw_sink *s)
{
	struct syslog_sink *y = s->priv;

	syslog_flush(s); /* a receiver already gone: its loss is counted */
	disconnect(y);
	y->retry_at = (struct timespec){ 0 };
}

static int syslog_open(struct sw_sink *s)
{
	struct syslog_sink *y;
	char host[256] = "";
	struct stat st;

	if (s->spec.type == SW_SINK_SYSLOG_UNIX) {
		if (stat(s->spec.path, &st))
			return -errno;
		if (!S_ISSOCK(st.st_mode))
			return -ENOTSOCK;
	}
	y = calloc(1, sizeof(*y));
	if (!y)
		return -ENOMEM;
	y->fd = -1;
	y->unix_type = SOCK_DGRAM;
	gethostname(host, sizeof(host) - 1);
	printable_copy(y->hostname, sizeof(y->hostname), host);
	printable_copy(y->app_name, sizeof(y->app_name), s->opts.app_name);
	y->id.hostname = y->hostname;
	y->id.app_name = y->app_name;
	y->id.procid = getpid();
	s->priv = y;
	return 0;
}

static void syslog_close(struct sw_sink *s)
{
	struct syslog_sink *y = s->priv;

	syslog_flush(s);
	disconnect(y);
	free(y->ring);
	free(y);
	s->priv = NULL;
}

const struct sw_sink_ops sw_sink_syslog_ops = {
	.open = syslog_open,
	.write = syslog_write,
	.flush = syslog_flush,
	.reopen = syslog_reopen,
	.deadline = syslog_deadline,
	.close = syslog_close,
	.drain_max_ms = SW_SINK_DRAIN_MAX_MS,
};
