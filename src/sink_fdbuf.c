// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The line buffer of the stdout and file sinks: whole lines to a file descriptor, few write(2)s. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "sink_int.h"

int sw_write_all(int fd, const char *buf, size_t len, size_t *off)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	int old, err = 0;
	ssize_t n;

	/* a stalled reader (stdout pipe) must not make sw_sink_close() hang */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	while (*off < len) {
		n = write(fd, buf + *off, len - *off);
		if (n >= 0) {
			*off += n;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* a non-blocking stdout (set by whoever shares it): wait like a blocking write */
		if ((errno == EAGAIN || errno == EWOULDBLOCK) &&
		    (poll(&p, 1, -1) >= 0 || errno == EINTR))
			continue;
		err = -errno;
		break;
	}
	pthread_setcancelstate(old, NULL);
	return err;
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
		err = b->fd < 0 ? -EBADF : sw_write_all(b->fd, b->buf, b->len, &b->done);
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
