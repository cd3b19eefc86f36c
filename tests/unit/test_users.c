// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests: user names by uid, from the lookup and from the per-thread answer, and their lengths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "users.h"

/* uid 0 is root everywhere the tests run (the renderer tests expect it too). */
static void root_every_buffer_size(void **state)
{
	static const size_t sizes[] = { 5, 16, 63, 64, 65, 128 };
	char buf[128];

	for (int pass = 0; pass < 2; pass++) { /* the lookup, then this thread's last answer */
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			memset(buf, '#', sizeof(buf));
			assert_int_equal(sw_user_name(0, buf, sizes[i]), 4);
			assert_string_equal(buf, "root");
		}
	}
}

/* A uid without a name is its number; switching uids replaces the per-thread answer. */
static void unnamed_uid_and_switching(void **state)
{
	char buf[64];

	assert_int_equal(sw_user_name(4000000001u, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "4000000001");
	assert_int_equal(sw_user_name(0, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "root");
	assert_int_equal(sw_user_name(4000000001u, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "4000000001");
}

/* A small buffer gets what fits; later callers with room still get the whole name. */
static void small_buffer_does_not_truncate_the_cache(void **state)
{
	char small[4], buf[64];

	assert_int_equal(sw_user_name(4000000002u, small, sizeof(small)), 3);
	assert_string_equal(small, "400");
	assert_int_equal(sw_user_name(4000000002u, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "4000000002");
	assert_int_equal(sw_user_name(0, buf, sizeof(buf)), 4); /* off this thread's answer */
	assert_int_equal(sw_user_name(4000000002u, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "4000000002");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(root_every_buffer_size),
		cmocka_unit_test(unnamed_uid_and_switching),
		cmocka_unit_test(small_buffer_does_not_truncate_the_cache),
	};

	return cmocka_run_group_tests_name("users", tests, NULL, NULL);
}
