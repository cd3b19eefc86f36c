// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The stdout sink: whole lines to file descriptor 1, flushed whenever the queue runs empty. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "sink_int.h"

struct stdout_out {
	struct sw_fdbuf b;
	bool tty; /* stdout is a terminal: EIO (ENXIO) means it hung up, its reader has gone */
};

static int stdout_open(struct sw_sink *s)
{
	struct stdout_out *o = calloc(1, sizeof(*o));
	int own;

	if (!o)
		return -ENOMEM;
	o->tty = isatty(STDOUT_FILENO);
	o->b.kind = sw_fd_kind_of(STDOUT_FILENO, &own);
	o->b.fd = own >= 0 ? own : STDOUT_FILENO;
	s->priv = o;
	return 0;
}

static int stdout_write(struct sw_sink *s, const struct sw_record *r, const char *line, size_t len)
{
	struct stdout_out *o = s->priv;

	return sw_fdbuf_add(s, &o->b, r, line, len);
}

/*
 * EPIPE and the like are counted by sw_fdbuf_flush() (EPIPE as a reader that
 * has gone; SIGPIPE is ignored by the caller). A terminal that hung up (the
 * ssh connection dropped, the terminal window closed) fails every write with
 * EIO from then on: its reader has gone as well, for good.
 */
static void stdout_flush(struct sw_sink *s)
{
	struct stdout_out *o = s->priv;
	int err = sw_fdbuf_flush(s, &o->b, NULL);

	if (o->tty && (err == -EIO || err == -ENXIO))
		atomic_fetch_add(&s->gone, 1);
}

static void stdout_close(struct sw_sink *s)
{
	struct stdout_out *o = s->priv;

	sw_fdbuf_discard(s, &o->b); /* a cut line, or lines a cancelled writer did not write */
	if (o->b.fd != STDOUT_FILENO)
		close(o->b.fd);
	free(o);
	s->priv = NULL;
}

const struct sw_sink_ops sw_sink_stdout_ops = {
	.open = stdout_open,
	.write = stdout_write,
	.flush = stdout_flush,
	.close = stdout_close,
};
