// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The line buffer of the stdout and file sinks: whole lines to a file descriptor, few write(2)s. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sink_int.h"

int sw_write_all(int fd, const char *buf, size_t len)
{
	int old, err = 0;
	ssize_t n;

	/* a stalled reader (stdout pipe) must not make sw_sink_close() hang */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &old);
	while (len) {
		n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		buf += n;
		len -= n;
	}
	pthread_setcancelstate(old, NULL);
	return err;
}

int sw_fdbuf_flush(struct sw_sink *s, struct sw_fdbuf *b)
{
	int err;

	if (!b->len)
		return 0;
	err = b->fd < 0 ? -EBADF : sw_write_all(b->fd, b->buf, b->len);
	if (err) {
		sw_sink_count_error(s);
		sw_sink_count_lost(s, b->records, b->relost);
	} else {
		sw_sink_count_written(s, b->lines);
	}
	b->len = 0;
	b->lines = 0;
	b->records = 0;
	b->relost = 0;
	return err;
}

int sw_fdbuf_add(struct sw_sink *s, struct sw_fdbuf *b, const struct sw_record *r, const char *line,
		 size_t len)
{
	int err = 0;

	if (b->len + len + 1 > sizeof(b->buf))
		err = sw_fdbuf_flush(s, b);
	memcpy(b->buf + b->len, line, len); /* len < SW_SINK_LINE_MAX < sizeof(buf) */
	b->buf[b->len + len] = '\n';
	b->len += len + 1;
	b->lines++;
	if (sw_sink_own_lost(s, r))
		b->relost += r->lost;
	else
		b->records++;
	return err;
}
