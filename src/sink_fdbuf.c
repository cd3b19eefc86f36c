// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The line buffer of the stdout and file sinks: whole lines to a file descriptor, few write(2)s. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink_int.h"

/*
 * Waits for room: the one place where the writer thread can be cancelled
 * (a stalled reader must not make sw_sink_close() hang), and poll(2) has
 * nothing to lose there.
 */
static int wait_room(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int old, n;

	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	n = poll(&p, 1, -1);
	pthread_setcancelstate(old, NULL);
	return n < 0 && errno != EINTR ? -errno : 0;
}

static ssize_t write_some(int fd, enum sw_fd_kind kind, const char *buf, size_t len)
{
	int old;
	ssize_t n;

	switch (kind) {
	case SW_FD_BLOCKING:
		/* a file's write does not wait for a reader; cancelled here only if stuck */
		pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
		n = write(fd, buf, len);
		pthread_setcancelstate(old, NULL);
		return n;
	case SW_FD_PIPE:
		/*
		 * After POLLOUT a pipe has a free page: a write of at most
		 * PIPE_BUF bytes (one page at most) goes in whole at once.
		 */
		return write(fd, buf, len < PIPE_BUF ? len : PIPE_BUF);
	case SW_FD_SOCKET:
		return send(fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	default:
		return write(fd, buf, len);
	}
}

int sw_write_all(int fd, enum sw_fd_kind kind, const char *buf, size_t len, size_t *off)
{
	ssize_t n;
	int err;

	while (*off < len) {
		if (kind == SW_FD_PIPE) {
			err = wait_room(fd);
			if (err)
				return err;
		}
		n = write_some(fd, kind, buf + *off, len - *off);
		if (n >= 0) {
			*off += n;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* full, or a stdout that another process made non-blocking: wait for room */
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		err = wait_room(fd);
		if (err)
			return err;
	}
	return 0;
}

enum sw_fd_kind sw_fd_kind_of(int fd, int *own)
{
	char path[32];
	struct stat st;
	bool tty;

	*own = -1;
	if (fstat(fd, &st))
		return SW_FD_BLOCKING;
	if (S_ISSOCK(st.st_mode))
		return SW_FD_SOCKET;
	/* a terminal stalls as a pipe does (a window frozen, ^S, a master nobody reads) */
	tty = S_ISCHR(st.st_mode) && isatty(fd);
	if (!S_ISFIFO(st.st_mode) && !tty)
		return SW_FD_BLOCKING;
	/*
	 * Opening the pipe or terminal again gives a file description of our
	 * own, which O_NONBLOCK can be set on without changing it for the
	 * others holding it (fcntl() on fd would make the user's shell see
	 * EAGAIN). Without /proc (or a reader), a pipe gets poll and small
	 * writes; a terminal, which promises nothing like PIPE_BUF, blocking
	 * writes as before.
	 */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	*own = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (*own >= 0)
		return SW_FD_NONBLOCK;
	return tty ? SW_FD_BLOCKING : SW_FD_PIPE;
}

/*
 * Accounts for the b->done bytes a flush wrote: whole lines as written, the
 * lines after them as lost, except (keep_cut) a line the write cut, whose
 * rest stays buffered to be written first. Returns whether lines were lost.
 */
static bool settle(struct sw_sink *s, struct sw_fdbuf *b, bool keep_cut)
{
	unsigned long long records = 0, relost = 0;
	unsigned int i, whole = 0, first;
	size_t start;
	bool cut, lost;

	while (whole < b->lines && b->end[whole] <= b->done)
		whole++;
	if (whole)
		sw_sink_count_written(s, whole);
	start = whole ? b->end[whole - 1] : 0;
	cut = keep_cut && whole < b->lines && (b->done > start || (!whole && b->cut));
	first = cut ? whole + 1 : whole;
	for (i = first; i < b->lines; i++) {
		if (b->relost[i])
			relost += b->relost[i];
		else
			records++;
	}
	lost = first < b->lines;
	if (lost)
		sw_sink_count_lost(s, records, relost);
	b->len = 0;
	b->lines = 0;
	b->cut = cut;
	if (cut) {
		b->len = b->end[whole] - b->done;
		memmove(b->buf, b->buf + b->done, b->len);
		b->end[0] = b->len;
		b->relost[0] = b->relost[whole];
		b->lines = 1;
	}
	b->done = 0;
	return lost;
}

int sw_fdbuf_flush(struct sw_sink *s, struct sw_fdbuf *b, bool *lost)
{
	bool l = false;
	int err = 0;

	if (b->len) {
		err = b->fd < 0 ? -EBADF : sw_write_all(b->fd, b->kind, b->buf, b->len, &b->done);
		if (err)
			sw_sink_count_write_error(s, err);
		l = settle(s, b, true);
	}
	if (lost)
		*lost = l;
	return err;
}

bool sw_fdbuf_discard(struct sw_sink *s, struct sw_fdbuf *b)
{
	return settle(s, b, false);
}

int sw_fdbuf_add(struct sw_sink *s, struct sw_fdbuf *b, const struct sw_record *r, const char *line,
		 size_t len)
{
	bool lost;

	/*
	 * A flush that lost lines has counted them: the lost record that says
	 * so goes before this line, so the core writes it and then this line
	 * again. After a failed flush at most a cut line is left, and both fit.
	 * A flush that fails otherwise has counted its error: this line is
	 * taken all the same (an error would make the core write it again, or
	 * count it as lost).
	 */
	if (b->len + len + 1 > sizeof(b->buf) || b->lines == SW_FDBUF_LINES) {
		sw_fdbuf_flush(s, b, &lost);
		if (lost)
			return -ERESTART;
	}
	memcpy(b->buf + b->len, line, len);
	b->buf[b->len + len] = '\n';
	b->len += len + 1;
	b->end[b->lines] = b->len;
	b->relost[b->lines] = sw_sink_own_lost(s, r) ? r->lost : 0;
	b->lines++;
	return 0;
}
