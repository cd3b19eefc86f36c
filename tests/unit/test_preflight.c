// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the privilege verdict: who may trace, and the message naming what is missing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "preflight.h"

#define LEAD "permission denied: sockwatch needs root, or CAP_BPF and CAP_PERFMON; missing: "

static void enough(void **state)
{
	char err[256] = "";

	assert_int_equal(sw_caps_verdict(false, true, false, false, err, sizeof(err)), 0);
	assert_int_equal(sw_caps_verdict(false, false, true, true, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

/* The message names exactly the capabilities that are missing. */
static void names_the_missing(void **state)
{
	char err[256];

	assert_int_equal(sw_caps_verdict(false, false, false, false, err, sizeof(err)), -EPERM);
	assert_string_equal(err, LEAD "CAP_BPF and CAP_PERFMON (run with sudo)");
	assert_int_equal(sw_caps_verdict(false, false, true, false, err, sizeof(err)), -EPERM);
	assert_string_equal(err, LEAD "CAP_PERFMON (run with sudo)");
	assert_int_equal(sw_caps_verdict(false, false, false, true, err, sizeof(err)), -EPERM);
	assert_string_equal(err, LEAD "CAP_BPF (run with sudo)");
}

/* A BTF file that is missing, empty or not BTF: each said, -ENOENT or -EINVAL (exit 4). */
static void btf_unusable(void **state)
{
	char dir[] = "/tmp/sw-btf.XXXXXX", path[64], err[512];
	FILE *f;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	assert_int_equal(sw_btf_check_path(path, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "kernel BTF not found ("));
	f = fopen(path, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(sw_btf_check_path(path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot be read or parsed: the file is empty; "));
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("not BTF at all, but long enough to hold a header", f);
	fclose(f);
	assert_int_equal(sw_btf_check_path(path, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "cannot be read or parsed: "));
	assert_null(strstr(err, "empty"));
	unlink(path);
	rmdir(dir);
}

/* Root without the capabilities (an unprivileged container): sudo would not help. */
#define ROOT_LEAD                                                                            \
	"permission denied: sockwatch runs as root but without CAP_BPF and CAP_PERFMON (or " \
	"CAP_SYS_ADMIN), as in an unprivileged container; missing: "
#define ROOT_TAIL \
	" (grant them, e.g. docker run --cap-add BPF --cap-add PERFMON, or run it on the host)"

static void root_without_caps(void **state)
{
	char err[512] = "";

	assert_int_equal(sw_caps_verdict(true, true, false, false, err, sizeof(err)), 0);
	assert_int_equal(sw_caps_verdict(true, false, true, true, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(sw_caps_verdict(true, false, false, false, err, sizeof(err)), -EPERM);
	assert_string_equal(err, ROOT_LEAD "CAP_BPF and CAP_PERFMON" ROOT_TAIL);
	assert_int_equal(sw_caps_verdict(true, false, true, false, err, sizeof(err)), -EPERM);
	assert_string_equal(err, ROOT_LEAD "CAP_PERFMON" ROOT_TAIL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(enough),
		cmocka_unit_test(names_the_missing),
		cmocka_unit_test(btf_unusable),
		cmocka_unit_test(root_without_caps),
	};

	return cmocka_run_group_tests_name("preflight", tests, NULL, NULL);
}
