// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests: address formatting (v4, v6, mapped), exposure classes, event names and decoding. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "addr.h"
#include "event.h"

static void fmt(const char *in, __u16 port, const char *want)
{
	unsigned int family;
	__u8 a[16];
	char out[SW_ADDR_STRLEN];

	assert_int_equal(sw_addr_parse(in, &family, a), 0);
	assert_int_equal(sw_addrport_format(family, a, port, out, sizeof(out)), 0);
	assert_string_equal(out, want);
	/* the address alone, and its length */
	assert_int_equal(sw_addr_format(family, a, out, sizeof(out)), strlen(in));
	assert_string_equal(out, in);
}

static void formats(void **state)
{
	fmt("10.0.0.5", 443, "10.0.0.5:443");
	fmt("0.0.0.0", 22, "0.0.0.0:22");
	fmt("::1", 8080, "[::1]:8080");
	fmt("2001:db8::1", 65535, "[2001:db8::1]:65535");
	fmt("::", 0, "[::]:0");
	fmt("255.255.255.255", 65535, "255.255.255.255:65535");
	fmt("1.20.100.0", 1, "1.20.100.0:1");
}

/* Every digit count of a byte, and the longest form. */
static void ipv4_text(void **state)
{
	static const struct {
		__u8 a[4];
		const char *want;
	} cases[] = {
		{ { 0, 0, 0, 0 }, "0.0.0.0" },
		{ { 127, 0, 0, 1 }, "127.0.0.1" },
		{ { 10, 99, 100, 9 }, "10.99.100.9" },
		{ { 255, 255, 255, 255 }, "255.255.255.255" },
		{ { 192, 168, 1, 200 }, "192.168.1.200" },
	};
	char buf[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sw_addr_format(SW_AF_INET, cases[i].a, buf, sizeof(buf)),
				 strlen(cases[i].want));
		assert_string_equal(buf, cases[i].want);
	}
}

static void too_small(void **state)
{
	unsigned int family;
	__u8 a[16];
	char out[SW_ADDR_STRLEN];

	assert_int_equal(sw_addr_parse("255.255.255.255", &family, a), 0);
	assert_int_equal(sw_addr_format(family, a, out, 16), 15);
	assert_string_equal(out, "255.255.255.255");
	assert_int_equal(sw_addr_format(family, a, out, 15), -ENOSPC);
	assert_int_equal(sw_addrport_format(family, a, 80, out, 19), 0);
	assert_string_equal(out, "255.255.255.255:80");
	assert_int_equal(sw_addrport_format(family, a, 80, out, 18), -ENOSPC);
	assert_int_equal(sw_addr_format(3, a, out, sizeof(out)), -EAFNOSUPPORT);
	assert_string_equal(out, ""); /* what a failure leaves: nothing to print */
	assert_int_equal(sw_addrport_format(3, a, 80, out, sizeof(out)), -EAFNOSUPPORT);
	assert_string_equal(out, "?");
}

static void mapped(void **state)
{
	unsigned int family;
	__u8 a[16];

	assert_int_equal(sw_addr_parse("::ffff:192.0.2.7", &family, a), 0);
	assert_int_equal(family, SW_AF_INET6);
	assert_true(sw_addr_is_mapped(a));
	assert_true(sw_addr_unmap(a));
	assert_memory_equal(a, "\xc0\x00\x02\x07\0\0\0\0\0\0\0\0\0\0\0\0", 16);
	assert_int_equal(sw_addr_parse("::1", &family, a), 0);
	assert_false(sw_addr_unmap(a));
	assert_int_equal(sw_addr_parse("nonsense", &family, a), -EINVAL);
}

/* Which AF_INET6 endpoints are an IPv4 socket: the rule the kernel side applies too. */
static void v4_in_v6(void **state)
{
	static const struct {
		const char *laddr, *raddr;
		bool v4;
	} cases[] = {
		{ "::ffff:10.0.0.1", "::ffff:10.0.0.2", true }, /* a connection */
		{ "::", "::ffff:10.0.0.2", true }, /* not bound yet */
		{ "::ffff:0.0.0.0", "::", true }, /* a listener on every IPv4 interface */
		{ "::ffff:127.0.0.1", "::", true },
		{ "::", "::", false }, /* dual-stack listener */
		{ "::1", "::", false },
		{ "fe80::1", "::ffff:10.0.0.2", false },
		{ "::ffff:10.0.0.1", "fe80::2", false },
	};
	unsigned int family;
	__u8 l[16], r[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sw_addr_parse(cases[i].laddr, &family, l), 0);
		assert_int_equal(sw_addr_parse(cases[i].raddr, &family, r), 0);
		if (sw_addr_v4_in_v6(l, r) != cases[i].v4)
			fail_msg("%s -> %s: %d", cases[i].laddr, cases[i].raddr, !cases[i].v4);
	}
}

static void exposure(void **state)
{
	static const struct {
		const char *addr;
		const char *want;
	} cases[] = {
		{ "127.0.0.1", "loopback" },   { "127.5.5.5", "loopback" },
		{ "::1", "loopback" },	       { "::ffff:127.0.0.1", "loopback" },
		{ "0.0.0.0", "wildcard" },     { "::", "wildcard" },
		{ "192.168.1.10", "address" }, { "fe80::1", "address" },
	};
	unsigned int family;
	__u8 a[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(sw_addr_parse(cases[i].addr, &family, a), 0);
		assert_string_equal(sw_exposure_name(sw_addr_exposure(family, a)), cases[i].want);
	}
}

static void names(void **state)
{
	assert_string_equal(sw_kind_name(SW_EV_CONNECT_FAILED), "connect_failed");
	assert_string_equal(sw_kind_name(200), "unknown");
	assert_int_equal(sw_kind_from_name("accept"), SW_EV_ACCEPT);
	assert_int_equal(sw_kind_from_name("bogus"), -EINVAL);
	assert_string_equal(sw_state_name(SW_TCP_TIME_WAIT), "TIME_WAIT");
	assert_string_equal(sw_state_name(99), "UNKNOWN");
	assert_int_equal(sw_state_from_name("established"), SW_TCP_ESTABLISHED);
	assert_string_equal(sw_error_reason(ECONNREFUSED), "refused");
	assert_string_equal(sw_error_reason(ETIMEDOUT), "timeout");
	assert_string_equal(sw_error_reason(ECONNRESET), "reset");
	assert_string_equal(sw_error_reason(0), "aborted");
	assert_string_equal(sw_error_reason(EADDRNOTAVAIL), "no_local_port");
	assert_string_equal(sw_error_reason(SW_EADDRNOTAVAIL), "no_local_port");
	assert_string_equal(sw_error_reason(EHOSTUNREACH), "host_unreachable");
	assert_string_equal(sw_error_reason(EPROTO), "error");
	assert_string_equal(sw_closer_name(SW_CLOSER_REMOTE), "remote");
}

static void decode(void **state)
{
	struct sw_event in = { .kind = SW_EV_CLOSE,
			       .family = SW_AF_INET,
			       .newstate = SW_TCP_CLOSE };
	struct sw_event out;

	memset(in.comm, 'A', sizeof(in.comm)); /* no NUL from the kernel */
	assert_int_equal(sw_event_decode(&in, sizeof(in), &out), 0);
	assert_int_equal(strlen(out.comm), SW_COMM_LEN - 1);
	assert_int_equal(sw_event_decode(&in, sizeof(in) - 1, &out), -EINVAL);
	in.kind = 0;
	assert_int_equal(sw_event_decode(&in, sizeof(in), &out), -EINVAL);
	in.kind = SW_EV_CLOSE;
	in.family = 7;
	assert_int_equal(sw_event_decode(&in, sizeof(in), &out), -EINVAL);
	in.family = SW_AF_INET6;
	in.newstate = 40;
	assert_int_equal(sw_event_decode(&in, sizeof(in), &out), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(formats),   cmocka_unit_test(mapped),
		cmocka_unit_test(v4_in_v6),  cmocka_unit_test(exposure),
		cmocka_unit_test(too_small), cmocka_unit_test(names),
		cmocka_unit_test(ipv4_text), cmocka_unit_test(decode),
	};

	return cmocka_run_group_tests_name("addr and event", tests, NULL, NULL);
}
