// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the privilege verdict: who may trace, and the message naming what is missing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "preflight.h"

#define LEAD "permission denied: sockwatch needs root, or CAP_BPF and CAP_PERFMON; missing: "

static void enough(void **state)
{
	char err[256] = "";

	assert_int_equal(sw_caps_verdict(true, false, false, err, sizeof(err)), 0);
	assert_int_equal(sw_caps_verdict(false, true, true, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* The message names exactly the capabilities that are missing. */
static void names_the_missing(void **state)
{
	char err[256];

	assert_int_equal(sw_caps_verdict(false, false, false, err, sizeof(err)), -EPERM);
	assert_string_equal(err, LEAD "CAP_BPF and CAP_PERFMON (run with sudo)");
	assert_int_equal(sw_caps_verdict(false, true, false, err, sizeof(err)), -EPERM);
	assert_string_equal(err, LEAD "CAP_PERFMON (run with sudo)");
	assert_int_equal(sw_caps_verdict(false, false, true, err, sizeof(err)), -EPERM);
	assert_string_equal(err, LEAD "CAP_BPF (run with sudo)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enough),
		cmocka_unit_test(names_the_missing),
	};

	return cmocka_run_group_tests_name("preflight", tests, NULL, NULL);
}
