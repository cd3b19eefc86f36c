// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the live view's loop timing: redraws, the age tick, ghost expiry, pause. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "conntab.h"
#include "top_clock.h"

#define MS 1000000ULL
#define SEC 1000000000ULL

/*
 * Paused, the rows are frozen but the table still follows events: closes
 * keep coming, so their ghosts must still expire on time, and the loop
 * must wake for them even with no event or key to wake it.
 */
static void test_paused_still_expires(void **state)
{
	struct sw_top_clock c = {
		.interval_ns = 100 * MS,
		.last_draw = 10 * SEC,
		.next_expire = 12 * SEC,
		.paused = true,
	};
	struct sw_conntab t;

	assert_false(sw_top_expire_due(&c, 12 * SEC - 1));
	assert_true(sw_top_expire_due(&c, 12 * SEC));
	assert_int_equal(sw_top_timeout_ms(&c, 11 * SEC), 1000);
	assert_int_equal(sw_top_timeout_ms(&c, 13 * SEC), 0);
	assert_false(sw_top_draw_due(&c, 13 * SEC));

	/* What the loop does with it: the closes of a paused minute do not pile up. */
	assert_int_equal(sw_conntab_init(&t, 3 * SEC), 0);
	c.next_expire = 0;
	for (__u64 k = 1; k <= 600; k++) {
		__u64 now = 10 * SEC + k * 100 * MS;
		struct sw_event e = {
			.kind = SW_EV_CLOSE,
			.cookie = k,
			.oldstate = SW_TCP_ESTABLISHED,
			.newstate = SW_TCP_CLOSE,
			.family = SW_AF_INET,
			.lport = 1000,
			.rport = 80,
		};

		assert_int_equal(sw_conntab_apply(&t, &e, now), 1);
		if (!c.next_expire)
			sw_conntab_expire(&t, now, &c.next_expire);
		if (sw_top_expire_due(&c, now))
			sw_conntab_expire(&t, now, &c.next_expire);
	}
	assert_true(t.nghosts <= 31);
	sw_conntab_free(&t);
}

/* No ghost while paused: only input or events wake the loop. */
static void test_paused_idle(void **state)
{
	struct sw_top_clock c = { .interval_ns = 100 * MS, .last_draw = SEC, .paused = true };

	assert_int_equal(sw_top_timeout_ms(&c, 5 * SEC), -1);
	c.dirty = true;
	assert_int_equal(sw_top_timeout_ms(&c, 5 * SEC), -1);
	assert_false(sw_top_draw_due(&c, 5 * SEC));
	assert_false(sw_top_expire_due(&c, 5 * SEC));
}

/* Running: the age tick, the interval once something changed, and the next expiry, whichever is first. */
static void test_running(void **state)
{
	struct sw_top_clock c = { .interval_ns = 100 * MS, .last_draw = 10 * SEC };

	assert_int_equal(sw_top_timeout_ms(&c, 10 * SEC), 1000);
	assert_false(sw_top_draw_due(&c, 11 * SEC - 1));
	assert_true(sw_top_draw_due(&c, 11 * SEC));
	c.dirty = true;
	assert_int_equal(sw_top_timeout_ms(&c, 10 * SEC), 100);
	assert_int_equal(sw_top_timeout_ms(&c, 10 * SEC + 50 * MS + 1), 50);
	assert_false(sw_top_draw_due(&c, 10 * SEC + 99 * MS));
	assert_true(sw_top_draw_due(&c, 10 * SEC + 100 * MS));
	c.next_expire = 10 * SEC + 30 * MS;
	assert_int_equal(sw_top_timeout_ms(&c, 10 * SEC), 30);
	c.next_expire = 20 * SEC;
	assert_int_equal(sw_top_timeout_ms(&c, 10 * SEC), 100);
}

/*
 * An --interval longer than the age tick is honoured: one redraw per
 * interval, whether something changed or not, and no wake-up before it.
 */
static void test_long_interval(void **state)
{
	struct sw_top_clock c = { .interval_ns = 5 * SEC, .last_draw = 10 * SEC };

	assert_int_equal(sw_top_timeout_ms(&c, 10 * SEC), 5000);
	assert_false(sw_top_draw_due(&c, 11 * SEC));
	assert_false(sw_top_draw_due(&c, 15 * SEC - 1));
	assert_true(sw_top_draw_due(&c, 15 * SEC));
	c.dirty = true;
	assert_int_equal(sw_top_timeout_ms(&c, 11 * SEC), 4000);
	assert_false(sw_top_draw_due(&c, 11 * SEC));
	assert_false(sw_top_draw_due(&c, 14 * SEC));
	assert_true(sw_top_draw_due(&c, 15 * SEC));
	/* a ghost's expiry still wakes the loop before it (the table, not the screen) */
	c.next_expire = 12 * SEC;
	assert_int_equal(sw_top_timeout_ms(&c, 11 * SEC), 1000);
	assert_false(sw_top_draw_due(&c, 12 * SEC));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paused_still_expires),
		cmocka_unit_test(test_paused_idle),
		cmocka_unit_test(test_running),
		cmocka_unit_test(test_long_interval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
