// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the command-line helpers: number, size and duration parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli.h"

static void u32_plain(void **state)
{
	__u32 v = 0;

	assert_int_equal(sw_parse_u32("1", 1, 65535, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(sw_parse_u32("65535", 1, 65535, &v), 0);
	assert_int_equal(v, 65535);
	assert_int_equal(sw_parse_u32("4294967295", 1, 0xffffffffu, &v), 0);
	assert_int_equal(v, 0xffffffffu);
	assert_int_equal(sw_parse_u32("0", 0, 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(sw_parse_u32("0", 1, 10, &v), -ERANGE);
	assert_int_equal(sw_parse_u32("65536", 1, 65535, &v), -ERANGE);
	assert_int_equal(sw_parse_u32("4294967296", 1, 0xffffffffu, &v), -ERANGE);
	assert_int_equal(sw_parse_u32("99999999999999999999999", 1, 10, &v), -ERANGE);
}

/* Only digits: no sign, no white space, nothing after; v is left alone then. */
static void u32_rejects_everything_else(void **state)
{
	static const char *const bad[] = {
		"",
		"-1",
		"+1",
		" 1",
		"\t1",
		"\n1",
		"1 ",
		"1x",
		"0x10",
		"abc",
		/* strtoull() skips the space, then negates: this was taken as 1 */
		" -18446744073709551615",
		" +5",
		"  -0",
	};
	__u32 v = 77;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sw_parse_u32(bad[i], 0, 0xffffffffu, &v) != -EINVAL)
			fail_msg("'%s' was not refused", bad[i]);
		assert_int_equal(v, 77);
	}
	assert_int_equal(sw_parse_u32(NULL, 0, 1, &v), -EINVAL);
}

static void sizes_and_seconds(void **state)
{
	unsigned long long sz;
	__u32 sec;

	assert_int_equal(sw_parse_size("100M", &sz), 0);
	assert_true(sz == 100ULL << 20);
	assert_int_equal(sw_parse_size("2k", &sz), 0);
	assert_true(sz == 2048);
	assert_int_equal(sw_parse_size(" 1M", &sz), -EINVAL);
	assert_int_equal(sw_parse_size("-1", &sz), -EINVAL);
	assert_int_equal(sw_parse_size("1MB", &sz), -EINVAL);
	assert_int_equal(sw_parse_size("17179869184G", &sz), -ERANGE);
	assert_int_equal(sw_parse_seconds("30m", 1, 0xffffffffu, &sec), 0);
	assert_int_equal(sec, 1800);
	assert_int_equal(sw_parse_seconds("1d", 1, 0xffffffffu, &sec), 0);
	assert_int_equal(sec, 86400);
	assert_int_equal(sw_parse_seconds(" 1", 1, 0xffffffffu, &sec), -EINVAL);
	assert_int_equal(sw_parse_seconds("-1h", 1, 0xffffffffu, &sec), -EINVAL);
	assert_int_equal(sw_parse_seconds("0", 1, 0xffffffffu, &sec), -ERANGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(u32_plain),
		cmocka_unit_test(u32_rejects_everything_else),
		cmocka_unit_test(sizes_and_seconds),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
