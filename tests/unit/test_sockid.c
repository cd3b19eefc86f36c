// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests: SipHash-2-4 against the reference vectors, and the socket ids shown as "cookie". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "sockid.h"
#include "sockwatch.h"

/* The reference key 00 01 .. 0f and messages 00 01 .. (len - 1). */
static __u64 ref(size_t len)
{
	__u8 key[16], msg[64] = { 0 };

	for (int i = 0; i < 16; i++)
		key[i] = i;
	for (size_t i = 0; i < len; i++)
		msg[i] = i;
	return sw_siphash24(key, msg, len);
}

static void siphash_reference_vectors(void **state)
{
	(void)state;
	/* From the SipHash paper's appendix (output bytes read little-endian). */
	assert_int_equal(ref(0), 0x726fdb47dd0e0e31ULL);
	assert_int_equal(ref(1), 0x74f839c593dc67fdULL);
	assert_int_equal(ref(7), 0xab0200f58b01d137ULL);
	assert_int_equal(ref(8), 0x93f5f5799a932462ULL);
	assert_int_equal(ref(15), 0xa129ca6149be45e5ULL);
	assert_int_equal(ref(16), 0x3f2acc7f57c29bdbULL);
}

static void cookie_shown_as_is(void **state)
{
	struct sw_event e = { .cookie = 4242, .birth_ns = 7 };

	(void)state;
	assert_int_equal(sw_event_sockid(&e), 4242);
	e.cookie = 0;
	e.flags = SW_F_KEY_IS_PTR;
	assert_int_equal(sw_event_sockid(&e), 0); /* "not known yet" stays 0 */
}

static void address_never_shown(void **state)
{
	const __u64 addr = 0xffff8881234a5600ULL;
	struct sw_event e = { .cookie = addr, .birth_ns = 1000, .flags = SW_F_KEY_IS_PTR };
	__u64 id = sw_event_sockid(&e);

	(void)state;
	assert_true(id != addr);
	/* stable for the socket: the same address and birth, the same id */
	assert_int_equal(sw_event_sockid(&e), id);
	assert_int_equal(sw_sockid_of_addr(addr, 1000), id);
	/* a later socket at the same address is another socket */
	e.birth_ns = 2000;
	assert_true(sw_event_sockid(&e) != id);
	/* and another address another id */
	e.birth_ns = 1000;
	e.cookie = addr + 0x800;
	assert_true(sw_event_sockid(&e) != id);
	/* a socket from before the tracer (birth 0) still hides its address */
	e.birth_ns = 0;
	assert_true(sw_event_sockid(&e) != e.cookie);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(siphash_reference_vectors),
		cmocka_unit_test(cookie_shown_as_is),
		cmocka_unit_test(address_never_shown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
