// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* When the live view's loop must wake, and what is due when it does: redraws and ghost expiry. */
#include "top_clock.h"

#define NS_PER_MS 1000000ULL

/*
 * How long an unchanged screen stays: the age tick, or the interval if that
 * is longer (`--interval 5000` is at most one redraw per 5 s, idle or not).
 */
static __u64 idle_ns(const struct sw_top_clock *c)
{
	return c->interval_ns > SW_TOP_TICK_NS ? c->interval_ns : SW_TOP_TICK_NS;
}

int sw_top_timeout_ms(const struct sw_top_clock *c, __u64 now)
{
	__u64 when = 0;

	if (!c->paused) {
		when = c->last_draw + idle_ns(c);
		if (c->dirty)
			when = c->last_draw + c->interval_ns;
	}
	/* Paused, only the header follows the table: its closed count too. */
	if (c->next_expire && (!when || c->next_expire < when))
		when = c->next_expire;
	if (!when)
		return -1;
	if (when <= now)
		return 0;
	return (int)((when - now + NS_PER_MS - 1) / NS_PER_MS);
}

bool sw_top_expire_due(const struct sw_top_clock *c, __u64 now)
{
	return c->next_expire && now >= c->next_expire;
}

bool sw_top_draw_due(const struct sw_top_clock *c, __u64 now)
{
	if (c->paused)
		return false;
	return (c->dirty && now - c->last_draw >= c->interval_ns) ||
	       now - c->last_draw >= idle_ns(c);
}
