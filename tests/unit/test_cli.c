// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the command-line helpers: number, size and duration parsing, option errors. */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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
	/* well-formed but too large: told apart from malformed (--rotate-interval's message) */
	assert_int_equal(sw_parse_seconds("4294967295", 1, 0xffffffffu, &sec), 0);
	assert_int_equal(sec, 0xffffffffu);
	assert_int_equal(sw_parse_seconds("4294967296", 1, 0xffffffffu, &sec), -EOVERFLOW);
	assert_int_equal(sw_parse_seconds("99999d", 1, 0xffffffffu, &sec), -EOVERFLOW);
	assert_int_equal(sw_parse_seconds("99999999999999999999", 1, 0xffffffffu, &sec),
			 -EOVERFLOW);
	assert_int_equal(sw_parse_seconds("99999999999999999999w", 1, 0xffffffffu, &sec), -EINVAL);
	assert_int_equal(sw_parse_seconds("99999x", 1, 0xffffffffu, &sec), -EINVAL);
}

enum { OPT_JSON = 300, OPT_ROTATE_SIZE, OPT_ROTATE_KEEP, OPT_NETNS };

static const struct option opts[] = {
	{ "json", no_argument, NULL, OPT_JSON },
	{ "rotate-size", required_argument, NULL, OPT_ROTATE_SIZE },
	{ "rotate-keep", required_argument, NULL, OPT_ROTATE_KEEP },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "verbose", no_argument, NULL, 'v' },
	{},
};

/* The message for the first error getopt_long() reports in argv (NULL-terminated). */
static const char *first_error(char **argv)
{
	static char msg[256];
	int argc = 0, opt;

	while (argv[argc])
		argc++;
	optind = 0; /* a full reset of glibc's state, cluster position included */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":46vp:", opts, NULL)) != -1) {
		if (opt == ':' || opt == '?') {
			sw_opt_error_msg(opt, argv, opts, msg, sizeof(msg));
			return msg;
		}
	}
	return "no error";
}

#define ERR(...) first_error((char *[]){ "sockwatch-test", __VA_ARGS__, NULL })

/* The option named is the one at fault, whatever came before it. */
static void option_errors(void **state)
{
	/* inside a cluster the last finished element is the previous one */
	assert_string_equal(ERR("-x4"), "unknown option '-x'");
	assert_string_equal(ERR("-4", "-x4"), "unknown option '-x'");
	assert_string_equal(ERR("--rotate-size=1M", "-4x6"), "unknown option '-x'");
	assert_string_equal(ERR("-4x"), "unknown option '-x'");
	assert_string_equal(ERR("-4\001"), "unknown option '-\\x01'");
	/* long options: the name, without a value */
	assert_string_equal(ERR("--bogus"), "unknown option '--bogus'");
	assert_string_equal(ERR("--bogus=3"), "unknown option '--bogus'");
	/* a value for an option that takes none is not an unknown option */
	assert_string_equal(ERR("--json=1"), "option '--json' takes no value");
	assert_string_equal(ERR("--js=1"), "option '--json' takes no value");
	assert_string_equal(ERR("--verbose=yes"), "option '--verbose' takes no value");
	assert_string_equal(ERR("--rotate-size=1M", "--json=1"), "option '--json' takes no value");
	/* missing values */
	assert_string_equal(ERR("--netns"), "option '--netns' needs a value");
	assert_string_equal(ERR("-p"), "option '-p' needs a value");
	assert_string_equal(ERR("-4vp"), "option '-p' needs a value");
	assert_string_equal(ERR("--json", "--netns=1", "-4"), "no error");
	/* an abbreviation of two options is ambiguous, not unknown; of one, it is that one */
	assert_string_equal(ERR("--rot"),
			    "ambiguous option '--rot' (could be --rotate-size, --rotate-keep)");
	assert_string_equal(ERR("--json", "--r=1M"),
			    "ambiguous option '--r' (could be --rotate-size, --rotate-keep)");
	assert_string_equal(ERR("--rotate-s=1M", "--ne=1", "--bogus"), "unknown option '--bogus'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(u32_plain),
		cmocka_unit_test(u32_rejects_everything_else),
		cmocka_unit_test(sizes_and_seconds),
		cmocka_unit_test(option_errors),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
