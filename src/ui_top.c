// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The ncurses live view of `sockwatch top`: header, sorted rows, keys, event-driven redraws. */
#include "ui_top.h"

int sw_ui_top_run(struct sw_live *l, const struct sw_ui_opts *o)
{
	return 1;
}
