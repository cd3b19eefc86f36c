// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The syslog sinks: local /dev/log, RFC 5424 over UDP and TCP, reconnects with backoff. */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "sink_int.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define SEND_TIMEOUT_MS 1000 /* also bounds connect(2) on Linux */
#define APP_NAME_MAX 48 /* RFC 5424 */

struct syslog_sink {
	struct sw_syslog_id id;
	char hostname[256];
	char app_name[APP_NAME_MAX + 1];
	int fd; /* -1 while disconnected */
	bool had_conn; /* a connection existed before: the next one is a reconnect */
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

static int setup_socket(int fd)
{
	struct timeval tv = { SEND_TIMEOUT_MS / 1000, (SEND_TIMEOUT_MS % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ? -errno : 0;
}

static int connect_unix(const struct sw_sink *s)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, err;

	if (strlen(s->spec.path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, s->spec.path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	err = setup_socket(fd);
	if (!err && connect(fd, (struct sockaddr *)&sun, sizeof(sun)))
		err = -errno;
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

static int connect_inet(const struct sw_sink *s)
{
	struct addrinfo hints = { .ai_socktype = socket_type(s), .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	char port[8];
	int fd, err = -EHOSTUNREACH;

	snprintf(port, sizeof(port), "%u", s->spec.port);
	if (getaddrinfo(s->spec.host, port, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		err = setup_socket(fd);
		if (!err && connect(fd, ai->ai_addr, ai->ai_addrlen))
			err = -errno;
		if (!err)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return ai ? fd : err;
}

static void disconnect(struct syslog_sink *y)
{
	if (y->fd >= 0)
		close(y->fd);
	y->fd = -1;
}

static void back_off(struct sw_sink *s, struct syslog_sink *y)
{
	sw_sink_count_error(s);
	disconnect(y);
	y->backoff_ms = y->backoff_ms ? y->backoff_ms * 2 : BACKOFF_MIN_MS;
	if (y->backoff_ms > BACKOFF_MAX_MS)
		y->backoff_ms = BACKOFF_MAX_MS;
	clock_gettime(CLOCK_MONOTONIC, &y->retry_at);
	sw_timespec_add_ms(&y->retry_at, y->backoff_ms);
}

/* A syslog receiver never talks back on TCP: readable means closed. */
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

/* 0 when connected, -EAGAIN while waiting for the next attempt. */
static int ensure_connected(struct sw_sink *s, struct syslog_sink *y)
{
	struct timespec now;
	int fd;

	if (y->fd >= 0 && s->spec.type == SW_SINK_SYSLOG_TCP && peer_closed(y->fd))
		disconnect(y); /* reconnect at once; back off only if that fails */
	if (y->fd >= 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (sw_timespec_before(&now, &y->retry_at))
		return -EAGAIN;
	fd = s->spec.type == SW_SINK_SYSLOG_UNIX ? connect_unix(s) : connect_inet(s);
	if (fd < 0) {
		back_off(s, y);
		return -EAGAIN;
	}
	y->fd = fd;
	if (y->had_conn)
		atomic_fetch_add(&s->reconnects, 1);
	y->had_conn = true;
	return 0;
}

static int send_frame(struct sw_sink *s, struct syslog_sink *y, size_t len)
{
	struct iovec iov[2];
	struct msghdr mh = { .msg_iov = iov };
	char prefix[24];
	ssize_t n;
	int plen;

	if (s->spec.type != SW_SINK_SYSLOG_TCP)
		return send(y->fd, y->frame, len, MSG_NOSIGNAL) < 0 ? -errno : 0;

	plen = sw_syslog_octet_prefix(len, prefix, sizeof(prefix));
	iov[0] = (struct iovec){ prefix, plen };
	iov[1] = (struct iovec){ y->frame, len };
	mh.msg_iovlen = 2;
	while (mh.msg_iovlen) {
		n = sendmsg(y->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
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
	if (err == -EMSGSIZE) {
		/* this record can never be sent; the connection is fine */
		sw_sink_count_error(s);
		sw_sink_count_unwritten(s, r);
		return err;
	}
	if (err) {
		/* keep the record queued; a half-sent TCP frame dies with the connection */
		back_off(s, y);
		return -EAGAIN;
	}
	y->backoff_ms = 0;
	sw_sink_count_written(s, 1);
	return 0;
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
	disconnect(s->priv);
	free(s->priv);
	s->priv = NULL;
}

const struct sw_sink_ops sw_sink_syslog_ops = {
	.open = syslog_open,
	.write = syslog_write,
	.reopen = syslog_reopen,
	.deadline = syslog_deadline,
	.close = syslog_close,
};
