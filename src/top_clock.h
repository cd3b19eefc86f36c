/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* When the live view's loop must wake, and what is due when it does: redraws and ghost expiry. */
#ifndef SW_TOP_CLOCK_H
#define SW_TOP_CLOCK_H

#include <stdbool.h>
#include <linux/types.h>

#define SW_TOP_TICK_NS 1000000000ULL /* ages and rates move once a second */

struct sw_top_clock {
	__u64 interval_ns; /* --interval: at most one redraw per interval (the tick, if longer) */
	__u64 last_draw; /* CLOCK_MONOTONIC of the last full redraw */
	__u64 next_expire; /* when the next ghost expires, 0 if none */
	bool dirty; /* the screen no longer matches the table or settings */
	bool paused; /* the rows are frozen; the table still follows events */
};

/*
 * Milliseconds until the loop must run again (a redraw, the age tick or an
 * interval longer than it, a ghost's expiry), 0 if it is due, or -1 for "on
 * input or events only".
 */
int sw_top_timeout_ms(const struct sw_top_clock *c, __u64 now);
/*
 * Whether ghosts are due to expire. Paused or not: events keep closing
 * rows while the screen is frozen, and the ghosts must not pile up.
 */
bool sw_top_expire_due(const struct sw_top_clock *c, __u64 now);
/*
 * Whether the rows must be redrawn now (never while paused): a change once
 * the interval has passed since the last redraw, or the age tick (but never
 * before the interval, when that is the longer).
 */
bool sw_top_draw_due(const struct sw_top_clock *c, __u64 now);

#endif /* SW_TOP_CLOCK_H */
