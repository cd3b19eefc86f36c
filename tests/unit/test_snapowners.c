// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests of the snapshot owner index: every holder of a socket found by its key, lowest pid first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "snapowners.h"

#define PTR(n) (0xffff888000000000ULL + (n)*0x1000)

static struct sw_snap_owner owner(__u64 cookie, __u32 pid, __u32 fd, const char *comm)
{
	struct sw_snap_owner o = {
		.cookie = cookie,
		.skptr = PTR(cookie),
		.pid = pid,
		.uid = 1000 + pid,
		.fd = fd,
	};

	strncpy(o.comm, comm, sizeof(o.comm) - 1);
	return o;
}

/*
 * Records in the order task_file gives them (by process, then fd): socket 7
 * is held by three processes (a forked server, the parent last, pid 10 with
 * two fds), socket 3 by one, socket 9 by none.
 */
static const struct sw_snap_owner *records(size_t *n)
{
	static struct sw_snap_owner o[8];

	o[0] = owner(5, 30, 4, "worker");
	o[1] = owner(7, 30, 5, "worker");
	o[2] = owner(7, 20, 3, "worker");
	o[3] = owner(3, 20, 6, "worker");
	o[4] = owner(7, 10, 8, "master");
	o[5] = owner(7, 10, 3, "master");
	o[6] = owner(1, 10, 9, "master");
	o[7] = owner(0xffffffffffffffffULL, 40, 3, "edge");
	*n = 8;
	return o;
}

static void test_find_every_holder(void **state)
{
	const struct sw_snapowners_ent *first;
	struct sw_snapowners ix;
	size_t n;
	const struct sw_snap_owner *o = records(&n);

	assert_int_equal(sw_snapowners_build(&ix, o, n, false), 0);
	assert_int_equal(ix.n, n);
	/* socket 7: four records, by pid then fd, each the snapshot's own record */
	assert_int_equal(sw_snapowners_find(&ix, 7, &first), 4);
	assert_ptr_equal(first[0].o, &o[5]); /* pid 10 fd 3 */
	assert_ptr_equal(first[1].o, &o[4]); /* pid 10 fd 8 */
	assert_ptr_equal(first[2].o, &o[2]); /* pid 20 */
	assert_ptr_equal(first[3].o, &o[1]); /* pid 30 */
	for (int i = 0; i < 4; i++)
		assert_int_equal(first[i].key, 7);
	assert_int_equal(sw_snapowners_find(&ix, 3, &first), 1);
	assert_ptr_equal(first[0].o, &o[3]);
	assert_int_equal(sw_snapowners_find(&ix, 1, &first), 1);
	assert_ptr_equal(first[0].o, &o[6]);
	assert_int_equal(sw_snapowners_find(&ix, 5, &first), 1);
	assert_ptr_equal(first[0].o, &o[0]);
	assert_int_equal(sw_snapowners_find(&ix, 0xffffffffffffffffULL, &first), 1);
	assert_ptr_equal(first[0].o, &o[7]);
	/* keys between, below and above the ones held: none */
	assert_int_equal(sw_snapowners_find(&ix, 9, &first), 0);
	assert_null(first);
	assert_int_equal(sw_snapowners_find(&ix, 0, &first), 0);
	assert_int_equal(sw_snapowners_find(&ix, 6, &first), 0);
	assert_int_equal(sw_snapowners_find(&ix, 0xfffffffffffffffeULL, &first), 0);
	sw_snapowners_free(&ix);
	assert_null(ix.v);
}

/* Keyed by socket address (raw_tp): the same holders, found by skptr, not by cookie. */
static void test_by_address(void **state)
{
	const struct sw_snapowners_ent *first;
	struct sw_snapowners ix;
	size_t n;
	const struct sw_snap_owner *o = records(&n);

	assert_int_equal(sw_snapowners_build(&ix, o, n, true), 0);
	assert_int_equal(sw_snapowners_find(&ix, 7, &first), 0);
	assert_int_equal(sw_snapowners_find(&ix, PTR(7), &first), 4);
	assert_ptr_equal(first[0].o, &o[5]);
	assert_ptr_equal(first[3].o, &o[1]);
	assert_int_equal(sw_snapowners_find(&ix, PTR(3), &first), 1);
	assert_ptr_equal(first[0].o, &o[3]);
	sw_snapowners_free(&ix);
}

/* Many sockets, several holders each, in no order: each look-up finds exactly its own. */
static void test_many(void **state)
{
	enum { NSOCK = 5000, PER = 3 };
	static struct sw_snap_owner o[NSOCK * PER];
	const struct sw_snapowners_ent *first;
	struct sw_snapowners ix;
	size_t k = 0;

	for (__u32 h = 0; h < PER; h++)
		for (__u64 s = 0; s < NSOCK; s++) /* cookies 1, 3, 5, ...; pids descending */
			o[k++] = owner(2 * ((s * 7919) % NSOCK) + 1, 1000 - h, (__u32)s, "p");
	assert_int_equal(sw_snapowners_build(&ix, o, k, false), 0);
	for (__u64 s = 0; s < NSOCK; s++) {
		assert_int_equal(sw_snapowners_find(&ix, 2 * s + 1, &first), PER);
		for (int h = 0; h < PER; h++) {
			assert_int_equal(first[h].o->cookie, 2 * s + 1);
			assert_int_equal(first[h].o->pid, 1000 - PER + 1 + h);
		}
		assert_int_equal(sw_snapowners_find(&ix, 2 * s + 2, &first), 0);
	}
	sw_snapowners_free(&ix);
}

static void test_empty(void **state)
{
	const struct sw_snapowners_ent *first = (void *)1;
	struct sw_snapowners ix;

	assert_int_equal(sw_snapowners_build(&ix, NULL, 0, false), 0);
	assert_int_equal(sw_snapowners_find(&ix, 7, &first), 0);
	assert_null(first);
	sw_snapowners_free(&ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_find_every_holder),
		cmocka_unit_test(test_by_address),
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
