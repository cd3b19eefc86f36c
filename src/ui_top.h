/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ncurses live view of `sockwatch top`: header, sorted rows, keys, event-driven redraws. */
#ifndef SW_UI_TOP_H
#define SW_UI_TOP_H

#include <stdbool.h>

#include "live.h"

struct sw_ui_opts {
	unsigned int interval_ms; /* at most one redraw per interval */
	bool names; /* start with service names */
};

/* Runs until q, SIGINT or SIGTERM; returns an exit code. */
int sw_ui_top_run(struct sw_live *l, const struct sw_ui_opts *o);

#endif /* SW_UI_TOP_H */
