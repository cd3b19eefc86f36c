// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The stdout sink: whole lines to file descriptor 1, flushed whenever the queue runs empty. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "sink_int.h"

static int stdout_open(struct sw_sink *s)
{
	struct sw_fdbuf *b = calloc(1, sizeof(*b));
	int own;

	if (!b)
		return -ENOMEM;
	b->kind = sw_fd_kind_of(STDOUT_FILENO, &own);
	b->fd = own >= 0 ? own : STDOUT_FILENO;
	s->priv = b;
	return 0;
}

static int stdout_write(struct sw_sink *s, const struct sw_record *r, const char *line, size_t len)
{
	return sw_fdbuf_add(s, s->priv, r, line, len);
}

/* EPIPE and the like are counted by sw_fdbuf_flush(); SIGPIPE is ignored by the caller. */
static void stdout_flush(struct sw_sink *s)
{
	sw_fdbuf_flush(s, s->priv, NULL);
}

static void stdout_close(struct sw_sink *s)
{
	struct sw_fdbuf *b = s->priv;

	sw_fdbuf_discard(s, b); /* a cut line, or lines a cancelled writer did not write */
	if (b->fd != STDOUT_FILENO)
		close(b->fd);
	free(b);
	s->priv = NULL;
}

const struct sw_sink_ops sw_sink_stdout_ops = {
	.open = stdout_open,
	.write = stdout_write,
	.flush = stdout_flush,
	.close = stdout_close,
};
